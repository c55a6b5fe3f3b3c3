/** A real gRPC client for the running producer-grpc server, promisified for tests. */
import { credentials, loadPackageDefinition, type Metadata, type ServiceError } from "@grpc/grpc-js";
import { ports } from "@marimba/testkit";
import {
  type HealthServiceProto,
  loadContract,
  type Receipt__Output,
  type VoteMessage,
  type VoteServiceClient,
  type VoteServiceProto,
} from "../src/contract.ts";

export const serverAddress = `127.0.0.1:${ports.grpcServer}`;

export type CallOutcome<T> = { ok: true; value: T } | { ok: false; error: ServiceError };

function outcome<T>(resolve: (o: CallOutcome<T>) => void) {
  return (error: ServiceError | null, value?: T) => resolve(error ? { ok: false, error } : { ok: true, value: value as T });
}

export function voteServerClient(address = serverAddress) {
  const proto = loadPackageDefinition(loadContract()) as unknown as {
    marimba: { v1: VoteServiceProto };
    grpc: { health: { v1: HealthServiceProto } };
  };
  const votes: VoteServiceClient = new proto.marimba.v1.VoteService(address, credentials.createInsecure());
  const health = new proto.grpc.health.v1.Health(address, credentials.createInsecure(), { channelOverride: votes.getChannel() });
  const deadline = () => ({ deadline: Date.now() + 20_000 });
  return {
    cast: (vote: VoteMessage) => new Promise<CallOutcome<Receipt__Output>>((resolve) => votes.Cast(vote, deadline(), outcome(resolve))),
    castStream: (stream: readonly VoteMessage[]) =>
      new Promise<CallOutcome<Receipt__Output[]>>((resolve) => {
        const call = votes.CastStream(deadline(), (error, reply) =>
          resolve(error ? { ok: false, error } : { ok: true, value: reply?.receipts ?? [] }),
        );
        for (const vote of stream) call.write(vote);
        call.end();
      }),
    castBatch: (batch: readonly VoteMessage[]) =>
      new Promise<CallOutcome<Receipt__Output[]>>((resolve) =>
        votes.CastBatch({ votes: [...batch] }, deadline(), (error, reply) =>
          resolve(error ? { ok: false, error } : { ok: true, value: reply?.receipts ?? [] }),
        ),
      ),
    healthStatus: (service = "") =>
      new Promise<string>((resolve) =>
        health.Check({ service }, { deadline: Date.now() + 3000 }, (error, answer) =>
          resolve(error ? `error: ${error.code}` : String(answer?.status)),
        ),
      ),
    close: () => votes.close(),
  };
}

/** The field problems an INVALID_ARGUMENT answer carries in its trailer. */
export function trailerProblems(metadata: Metadata | undefined): unknown {
  const raw = metadata?.get("marimba-field-problems-bin")[0];
  return raw === undefined ? undefined : JSON.parse(raw.toString());
}
