// Original file: ../proto/marimba/v1/votes.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { Receipt as _marimba_v1_Receipt, Receipt__Output as _marimba_v1_Receipt__Output } from '../../marimba/v1/Receipt';
import type { Receipts as _marimba_v1_Receipts, Receipts__Output as _marimba_v1_Receipts__Output } from '../../marimba/v1/Receipts';
import type { Vote as _marimba_v1_Vote, Vote__Output as _marimba_v1_Vote__Output } from '../../marimba/v1/Vote';
import type { Votes as _marimba_v1_Votes, Votes__Output as _marimba_v1_Votes__Output } from '../../marimba/v1/Votes';

/**
 * Casts fans' votes. A vote answered OK is durably in Kafka (acks = all).
 * Errors: INVALID_ARGUMENT (field problems in the trailer `marimba-field-problems-bin`,
 * JSON `[{"field","message"}]`; also a message that is not valid protobuf), UNAVAILABLE (not
 * durable: retry), RESOURCE_EXHAUSTED (too many votes waiting for Kafka: retry shortly),
 * DEADLINE_EXCEEDED (a CastStream left open past the server's stream deadline, 10 s).
 */
export interface VoteServiceClient extends grpc.Client {
  /**
   * One vote.
   */
  Cast(argument: _marimba_v1_Vote, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_marimba_v1_Receipt__Output>): grpc.ClientUnaryCall;
  Cast(argument: _marimba_v1_Vote, metadata: grpc.Metadata, callback: grpc.requestCallback<_marimba_v1_Receipt__Output>): grpc.ClientUnaryCall;
  Cast(argument: _marimba_v1_Vote, options: grpc.CallOptions, callback: grpc.requestCallback<_marimba_v1_Receipt__Output>): grpc.ClientUnaryCall;
  Cast(argument: _marimba_v1_Vote, callback: grpc.requestCallback<_marimba_v1_Receipt__Output>): grpc.ClientUnaryCall;
  /**
   * One vote.
   */
  cast(argument: _marimba_v1_Vote, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_marimba_v1_Receipt__Output>): grpc.ClientUnaryCall;
  cast(argument: _marimba_v1_Vote, metadata: grpc.Metadata, callback: grpc.requestCallback<_marimba_v1_Receipt__Output>): grpc.ClientUnaryCall;
  cast(argument: _marimba_v1_Vote, options: grpc.CallOptions, callback: grpc.requestCallback<_marimba_v1_Receipt__Output>): grpc.ClientUnaryCall;
  cast(argument: _marimba_v1_Vote, callback: grpc.requestCallback<_marimba_v1_Receipt__Output>): grpc.ClientUnaryCall;
  
  /**
   * 1 to 500 votes in one message (at most 4 MiB, which any 500 valid votes fit in), accepted
   * all together or not at all: what the edge sends, as one message costs both sides less than a
   * stream of one message per vote. Field problems name the vote by its index, as CastStream's
   * do (`[3].year`); an empty batch or one of more than 500 votes is INVALID_ARGUMENT.
   */
  CastBatch(argument: _marimba_v1_Votes, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_marimba_v1_Receipts__Output>): grpc.ClientUnaryCall;
  CastBatch(argument: _marimba_v1_Votes, metadata: grpc.Metadata, callback: grpc.requestCallback<_marimba_v1_Receipts__Output>): grpc.ClientUnaryCall;
  CastBatch(argument: _marimba_v1_Votes, options: grpc.CallOptions, callback: grpc.requestCallback<_marimba_v1_Receipts__Output>): grpc.ClientUnaryCall;
  CastBatch(argument: _marimba_v1_Votes, callback: grpc.requestCallback<_marimba_v1_Receipts__Output>): grpc.ClientUnaryCall;
  /**
   * 1 to 500 votes in one message (at most 4 MiB, which any 500 valid votes fit in), accepted
   * all together or not at all: what the edge sends, as one message costs both sides less than a
   * stream of one message per vote. Field problems name the vote by its index, as CastStream's
   * do (`[3].year`); an empty batch or one of more than 500 votes is INVALID_ARGUMENT.
   */
  castBatch(argument: _marimba_v1_Votes, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_marimba_v1_Receipts__Output>): grpc.ClientUnaryCall;
  castBatch(argument: _marimba_v1_Votes, metadata: grpc.Metadata, callback: grpc.requestCallback<_marimba_v1_Receipts__Output>): grpc.ClientUnaryCall;
  castBatch(argument: _marimba_v1_Votes, options: grpc.CallOptions, callback: grpc.requestCallback<_marimba_v1_Receipts__Output>): grpc.ClientUnaryCall;
  castBatch(argument: _marimba_v1_Votes, callback: grpc.requestCallback<_marimba_v1_Receipts__Output>): grpc.ClientUnaryCall;
  
  /**
   * Up to 500 votes in one stream, accepted all together or not at all.
   */
  CastStream(metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_marimba_v1_Receipts__Output>): grpc.ClientWritableStream<_marimba_v1_Vote>;
  CastStream(metadata: grpc.Metadata, callback: grpc.requestCallback<_marimba_v1_Receipts__Output>): grpc.ClientWritableStream<_marimba_v1_Vote>;
  CastStream(options: grpc.CallOptions, callback: grpc.requestCallback<_marimba_v1_Receipts__Output>): grpc.ClientWritableStream<_marimba_v1_Vote>;
  CastStream(callback: grpc.requestCallback<_marimba_v1_Receipts__Output>): grpc.ClientWritableStream<_marimba_v1_Vote>;
  /**
   * Up to 500 votes in one stream, accepted all together or not at all.
   */
  castStream(metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_marimba_v1_Receipts__Output>): grpc.ClientWritableStream<_marimba_v1_Vote>;
  castStream(metadata: grpc.Metadata, callback: grpc.requestCallback<_marimba_v1_Receipts__Output>): grpc.ClientWritableStream<_marimba_v1_Vote>;
  castStream(options: grpc.CallOptions, callback: grpc.requestCallback<_marimba_v1_Receipts__Output>): grpc.ClientWritableStream<_marimba_v1_Vote>;
  castStream(callback: grpc.requestCallback<_marimba_v1_Receipts__Output>): grpc.ClientWritableStream<_marimba_v1_Vote>;
  
}

/**
 * Casts fans' votes. A vote answered OK is durably in Kafka (acks = all).
 * Errors: INVALID_ARGUMENT (field problems in the trailer `marimba-field-problems-bin`,
 * JSON `[{"field","message"}]`; also a message that is not valid protobuf), UNAVAILABLE (not
 * durable: retry), RESOURCE_EXHAUSTED (too many votes waiting for Kafka: retry shortly),
 * DEADLINE_EXCEEDED (a CastStream left open past the server's stream deadline, 10 s).
 */
export interface VoteServiceHandlers extends grpc.UntypedServiceImplementation {
  /**
   * One vote.
   */
  Cast: grpc.handleUnaryCall<_marimba_v1_Vote__Output, _marimba_v1_Receipt>;
  
  /**
   * 1 to 500 votes in one message (at most 4 MiB, which any 500 valid votes fit in), accepted
   * all together or not at all: what the edge sends, as one message costs both sides less than a
   * stream of one message per vote. Field problems name the vote by its index, as CastStream's
   * do (`[3].year`); an empty batch or one of more than 500 votes is INVALID_ARGUMENT.
   */
  CastBatch: grpc.handleUnaryCall<_marimba_v1_Votes__Output, _marimba_v1_Receipts>;
  
  /**
   * Up to 500 votes in one stream, accepted all together or not at all.
   */
  CastStream: grpc.handleClientStreamingCall<_marimba_v1_Vote__Output, _marimba_v1_Receipts>;
  
}

export interface VoteServiceDefinition extends grpc.ServiceDefinition {
  Cast: MethodDefinition<_marimba_v1_Vote, _marimba_v1_Receipt, _marimba_v1_Vote__Output, _marimba_v1_Receipt__Output>
  CastBatch: MethodDefinition<_marimba_v1_Votes, _marimba_v1_Receipts, _marimba_v1_Votes__Output, _marimba_v1_Receipts__Output>
  CastStream: MethodDefinition<_marimba_v1_Vote, _marimba_v1_Receipts, _marimba_v1_Vote__Output, _marimba_v1_Receipts__Output>
}
