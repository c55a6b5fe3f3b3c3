import { type ChannelOptions, credentials, loadPackageDefinition, type ServiceError, status } from "@grpc/grpc-js";
import { type BatchOptions, Coalescer, HttpError, type Vote } from "@marimba/shared";
import {
  type HealthServiceProto,
  loadContract,
  MAX_BATCH_MESSAGE_BYTES,
  MAX_RECEIPTS_MESSAGE_BYTES,
  type Receipt__Output,
  toTimestamp,
  VOTE_SERVICE_NAME,
  type VoteMessage,
  type VoteServiceClient,
  type VoteServiceProto,
} from "../contract.ts";
import { httpErrorFor } from "./status.ts";

/** Longer than the server's worst case, so the edge never answers 503 for a vote the server wrote. */
export const DEFAULT_DEADLINE_MS = 25_000;
const HEALTH_DEADLINE_MS = 2000;

/** Chosen on purpose: pings within the server's allowance, quick reconnects after a server restart. */
export const CHANNEL_OPTIONS: ChannelOptions = {
  "grpc.max_send_message_length": MAX_BATCH_MESSAGE_BYTES,
  "grpc.max_receive_message_length": MAX_RECEIPTS_MESSAGE_BYTES,
  // A dead connection is noticed within 25 s even while idle, instead of on the next vote.
  "grpc.keepalive_time_ms": 20_000,
  "grpc.keepalive_timeout_ms": 5000,
  "grpc.keepalive_permit_without_calls": 1,
  "grpc.initial_reconnect_backoff_ms": 100,
  "grpc.max_reconnect_backoff_ms": 2000,
  // Channelz bookkeeping was 6% of the server's CPU per call in the profiles; nobody reads it.
  "grpc.enable_channelz": 0,
};

export function toMessage(vote: Vote): VoteMessage {
  const { id, name, album, year, rank, acceptedAt } = vote;
  return { id, name, album, year, rank, acceptedAt: toTimestamp(acceptedAt) };
}

/**
 * The answer for a failed coalesced batch. The edge validated every vote already, so the
 * server refusing one as invalid is a bug, not the caller's fault: no request in the batch is
 * told its own vote was bad because of another's.
 */
export function batchErrorFor(error: ServiceError): HttpError {
  if (error.code === status.INVALID_ARGUMENT) {
    return new HttpError(502, `the vote service refused votes the edge had accepted: ${error.details || "no reason given"}`);
  }
  return httpErrorFor(error);
}

function checkReceipts(votes: readonly Vote[], receipts: readonly Receipt__Output[]): void {
  const same = receipts.length === votes.length && receipts.every((receipt, i) => receipt.id === votes[i]?.id);
  if (!same) throw new HttpError(502, "the vote service answered with receipts for other votes");
}

/** The producer-grpc server over one long-lived channel; every call carries a deadline. */
export class VoteServerClient {
  private readonly votes: VoteServiceClient;
  private readonly health: InstanceType<HealthServiceProto["Health"]>;
  private readonly coalescer: Coalescer<Vote>;

  constructor(
    address: string,
    private readonly deadlineMs = DEFAULT_DEADLINE_MS,
    batch: Partial<BatchOptions> = {},
  ) {
    this.coalescer = new Coalescer<Vote>((votes) => this.castBatch(votes), batch);
    const proto = loadPackageDefinition(loadContract()) as unknown as {
      marimba: { v1: VoteServiceProto };
      grpc: { health: { v1: HealthServiceProto } };
    };
    this.votes = new proto.marimba.v1.VoteService(address, credentials.createInsecure(), CHANNEL_OPTIONS);
    this.health = new proto.grpc.health.v1.Health(address, credentials.createInsecure(), { channelOverride: this.votes.getChannel() });
  }

  /** Resolves once the server answered OK (Kafka acknowledged); throws the HttpError to answer with otherwise. */
  forward(votes: readonly Vote[]): Promise<void> {
    return this.coalescer.forward(votes);
  }

  /** One call with the votes of every request that arrived within the linger. */
  private castBatch(votes: readonly Vote[]): Promise<void> {
    const deadline = Date.now() + this.deadlineMs;
    return new Promise<void>((resolve, reject) => {
      const answered = (error: ServiceError | null, receipts: readonly Receipt__Output[]) => {
        if (error) return reject(batchErrorFor(error));
        try {
          checkReceipts(votes, receipts);
          resolve();
        } catch (mismatch) {
          reject(mismatch);
        }
      };
      // A lone vote goes unary Cast: measured a few percent cheaper than a batch of one.
      if (votes.length === 1) {
        this.votes.Cast(toMessage(votes[0] as Vote), { deadline }, (error, receipt) => answered(error, receipt ? [receipt] : []));
      } else {
        // One message for the whole batch: a stream pays grpc-js's per-message work for every vote.
        this.votes.CastBatch({ votes: votes.map(toMessage) }, { deadline }, (error, reply) => answered(error, reply?.receipts ?? []));
      }
    });
  }

  /** True when the server's health service says VoteService is SERVING (Kafka reachable). */
  reachable(): Promise<boolean> {
    return new Promise((resolve) => {
      this.health.Check({ service: VOTE_SERVICE_NAME }, { deadline: Date.now() + HEALTH_DEADLINE_MS }, (error, answer) =>
        resolve(!error && answer?.status === "SERVING"),
      );
    });
  }

  close(): void {
    this.votes.close();
  }
}
