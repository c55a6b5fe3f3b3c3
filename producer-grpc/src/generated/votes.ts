import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from './google/protobuf/Timestamp';
import type { Receipt as _marimba_v1_Receipt, Receipt__Output as _marimba_v1_Receipt__Output } from './marimba/v1/Receipt';
import type { Receipts as _marimba_v1_Receipts, Receipts__Output as _marimba_v1_Receipts__Output } from './marimba/v1/Receipts';
import type { Vote as _marimba_v1_Vote, Vote__Output as _marimba_v1_Vote__Output } from './marimba/v1/Vote';
import type { VoteServiceClient as _marimba_v1_VoteServiceClient, VoteServiceDefinition as _marimba_v1_VoteServiceDefinition } from './marimba/v1/VoteService';
import type { Votes as _marimba_v1_Votes, Votes__Output as _marimba_v1_Votes__Output } from './marimba/v1/Votes';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  google: {
    protobuf: {
      Timestamp: MessageTypeDefinition<_google_protobuf_Timestamp, _google_protobuf_Timestamp__Output>
    }
  }
  marimba: {
    v1: {
      Receipt: MessageTypeDefinition<_marimba_v1_Receipt, _marimba_v1_Receipt__Output>
      Receipts: MessageTypeDefinition<_marimba_v1_Receipts, _marimba_v1_Receipts__Output>
      Vote: MessageTypeDefinition<_marimba_v1_Vote, _marimba_v1_Vote__Output>
      /**
       * Casts fans' votes. A vote answered OK is durably in Kafka (acks = all).
       * Errors: INVALID_ARGUMENT (field problems in the trailer `marimba-field-problems-bin`,
       * JSON `[{"field","message"}]`; also a message that is not valid protobuf), UNAVAILABLE (not
       * durable: retry), RESOURCE_EXHAUSTED (too many votes waiting for Kafka: retry shortly),
       * DEADLINE_EXCEEDED (a CastStream left open past the server's stream deadline, 10 s).
       */
      VoteService: SubtypeConstructor<typeof grpc.Client, _marimba_v1_VoteServiceClient> & { service: _marimba_v1_VoteServiceDefinition }
      Votes: MessageTypeDefinition<_marimba_v1_Votes, _marimba_v1_Votes__Output>
    }
  }
}

