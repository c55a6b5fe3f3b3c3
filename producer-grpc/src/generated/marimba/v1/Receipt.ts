// Original file: ../proto/marimba/v1/votes.proto

import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from '../../google/protobuf/Timestamp';

/**
 * Proof that a vote is durably in Kafka.
 */
export interface Receipt {
  'id'?: (string);
  'acceptedAt'?: (_google_protobuf_Timestamp | null);
}

/**
 * Proof that a vote is durably in Kafka.
 */
export interface Receipt__Output {
  'id'?: (string);
  'acceptedAt'?: (_google_protobuf_Timestamp__Output);
}
