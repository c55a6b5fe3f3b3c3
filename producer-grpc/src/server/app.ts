import { loadPackageDefinition, Server, type ServerOptions } from "@grpc/grpc-js";
import { ReflectionService } from "@grpc/reflection";
import { type Logger, probes, type Registry, type VotePublisher } from "@marimba/shared";
import { Elysia } from "elysia";
import {
  loadContract,
  MAX_BATCH_MESSAGE_BYTES,
  MAX_RECEIPTS_MESSAGE_BYTES,
  type VoteServiceHandlers,
  type VoteServiceProto,
} from "../contract.ts";
import type { KafkaHealth } from "./health.ts";
import { grpcMetrics } from "./metrics.ts";
import { reflectableDefinition } from "./reflection.ts";
import { voteServiceHandlers } from "./service.ts";
import { tolerantDefinition } from "./votes.ts";

/** Chosen on purpose: small messages, pings that keep idle edge channels alive through NATs and proxies. */
export const SERVER_OPTIONS: ServerOptions = {
  // Sized for a CastBatch of 500 votes; a stream checks each of its votes against MAX_VOTE_MESSAGE_BYTES.
  "grpc.max_receive_message_length": MAX_BATCH_MESSAGE_BYTES,
  "grpc.max_send_message_length": MAX_RECEIPTS_MESSAGE_BYTES,
  // The server pings a connection idle for 30 s and drops it if no answer comes within 10 s.
  "grpc.keepalive_time_ms": 30_000,
  "grpc.keepalive_timeout_ms": 10_000,
  // Edges may ping every 10 s (they ping every 20 s), even with no call open, without being sent GOAWAY.
  "grpc.keepalive_permit_without_calls": 1,
  "grpc.http2.min_ping_interval_without_data_ms": 10_000,
  // Recycles connections now and then so clients rebalance across replicas after scaling.
  "grpc.max_connection_age_ms": 30 * 60_000,
  "grpc.max_connection_age_grace_ms": 30_000,
  "grpc.max_concurrent_streams": 1000,
  // Channelz bookkeeping was 6% of CPU per call in the profiles; nobody reads it.
  "grpc.enable_channelz": 0,
};

export interface VoteServerDeps {
  publisher: Pick<VotePublisher, "publish">;
  health: KafkaHealth;
  registry: Registry;
  logger: Logger;
  /** Longest a CastStream may stay open (default DEFAULT_STREAM_DEADLINE_MS). */
  streamDeadlineMs?: number;
}

/** The gRPC server with VoteService, the health service and reflection; bind it to serve. */
export function createVoteServer({ publisher, health, registry, logger, streamDeadlineMs }: VoteServerDeps): Server {
  const contract = loadContract();
  const proto = loadPackageDefinition(contract) as unknown as { marimba: { v1: VoteServiceProto } };
  const server = new Server(SERVER_OPTIONS);
  const handlers: VoteServiceHandlers = voteServiceHandlers({ publisher, metrics: grpcMetrics(registry), logger, streamDeadlineMs });
  server.addService(tolerantDefinition(proto.marimba.v1.VoteService.service), handlers);
  health.service.addToServer(server);
  // Reflection shows the proto's own field names (accepted_at), as protoc-generated servers do.
  new ReflectionService(reflectableDefinition(loadContract({ keepCase: true }))).addToServer(server);
  return server;
}

/** `/healthz`, `/readyz` (Kafka reachable) and `/metrics` on a small HTTP port beside the gRPC one. */
export function createMetricsApp(registry: Registry, kafkaReachable: () => Promise<boolean>) {
  return new Elysia().use(probes(registry, { kafka: kafkaReachable }));
}
