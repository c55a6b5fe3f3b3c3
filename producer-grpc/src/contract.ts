/**
 * The gRPC contract both sides load: `proto/marimba/v1/votes.proto` (plus the standard health
 * service), read at start-up with the same options the committed types in `generated/` were
 * made with (`bun run generate`), so the runtime objects and the TypeScript types agree.
 */
import { join } from "node:path";
import { loadSync, type Options } from "@grpc/proto-loader";
import { protoPath as healthProtoPath } from "grpc-health-check";
import type { Timestamp__Output } from "./generated/google/protobuf/Timestamp.ts";
import type { ProtoGrpcType as HealthProto } from "./generated/health.ts";
import type { ProtoGrpcType as VotesProto } from "./generated/votes.ts";

export const PROTO_DIR = join(import.meta.dir, "..", "..", "proto");
export const VOTES_PROTO = "marimba/v1/votes.proto";
const HEALTH_PROTO_DIR = join(healthProtoPath, "..", "..", "..");

/** Keep in step with the `generate` script's flags in package.json; the freshness test checks both. */
export const LOADER_OPTIONS: Options = {
  keepCase: false,
  longs: String,
  enums: String,
  // Without defaults a field the caller left out stays undefined, so validation can say "is required".
  defaults: false,
  oneofs: true,
  includeDirs: [PROTO_DIR, HEALTH_PROTO_DIR],
};

/** Both services' descriptors: what the server registers and what reflection shows `grpcurl`. */
export function loadContract(overrides: Partial<Options> = {}) {
  return loadSync([VOTES_PROTO, "health/v1/health.proto"], { ...LOADER_OPTIONS, ...overrides });
}

export type VoteServiceProto = VotesProto["marimba"]["v1"];
export type HealthServiceProto = HealthProto["grpc"]["health"]["v1"];
export type { Receipt, Receipt__Output } from "./generated/marimba/v1/Receipt.ts";
export type { Receipts, Receipts__Output } from "./generated/marimba/v1/Receipts.ts";
export type { Vote as VoteMessage, Vote__Output as VoteMessage__Output } from "./generated/marimba/v1/Vote.ts";
export type { VoteServiceClient, VoteServiceHandlers } from "./generated/marimba/v1/VoteService.ts";

/** The fully-qualified service name: the health service reports on it by this name. */
export const VOTE_SERVICE_NAME = "marimba.v1.VoteService";

/** Trailer of an INVALID_ARGUMENT answer: the field problems as UTF-8 JSON `[{"field","message"}]`. */
export const FIELD_PROBLEMS_TRAILER = "marimba-field-problems-bin";
/** Trailer naming why the server refused a vote, so the edge can tell its answers from transport failures. */
export const REASON_TRAILER = "marimba-reason";

/** Message size limits: a vote is well under 2 KiB, 500 receipts under 64 KiB. */
export const MAX_VOTE_MESSAGE_BYTES = 16 * 1024;
export const MAX_RECEIPTS_MESSAGE_BYTES = 256 * 1024;
/**
 * A CastBatch message: 500 of the largest valid votes (~4.4 KB each: two names of 720 code units
 * of 3-byte characters) are ~2.2 MB, the HTTP route's hop limit (`MAX_HOP_BODY_BYTES`) too.
 * grpc-js has one receive limit for every method, so a stream checks the size of each vote itself
 * (`MAX_VOTE_MESSAGE_BYTES`).
 */
export const MAX_BATCH_MESSAGE_BYTES = 4 * 1024 * 1024;

/** An ISO-8601 instant as a protobuf Timestamp (millisecond precision, as `acceptedAt` has). */
export function toTimestamp(iso: string): Required<Timestamp__Output> {
  const ms = Date.parse(iso);
  const seconds = Math.floor(ms / 1000);
  return { seconds: String(seconds), nanos: (ms - seconds * 1000) * 1_000_000 };
}

/** A protobuf Timestamp as an ISO-8601 instant, or null when it is not a valid instant. */
export function fromTimestamp(timestamp: Timestamp__Output): string | null {
  const seconds = Number(timestamp.seconds ?? 0);
  const nanos = timestamp.nanos ?? 0;
  if (!Number.isSafeInteger(seconds) || !Number.isInteger(nanos) || nanos < 0 || nanos > 999_999_999) return null;
  const date = new Date(seconds * 1000 + Math.floor(nanos / 1_000_000));
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}
