import { SharedRead } from "@marimba/shared";
import type { ConsumerState, PartitionLag, PipelineStatus } from "../contract.ts";
import { type Deadlined, DependencyTracker } from "./reads.ts";

/** Kafka's end offset of every partition of the votes topic (the offset the next vote will get). */
export interface EndOffsets {
  endOffsets(): Promise<Map<number, number>>;
}

/** The offsets the counters include, per partition (`marimba:offsets:<topic>`), and a store ping. */
export interface AppliedOffsets {
  appliedOffsets(): Promise<Map<number, number>>;
}

/** A consumer replica's last heartbeat, and how old it was when read (on the clock that stamped it). */
export interface ConsumerSighting {
  replica: string;
  lastSeenAt: string;
  ageMs: number;
}

/** Each consumer replica's last heartbeat, most recent first. */
export interface ConsumerSightings {
  consumersSeen(): Promise<ConsumerSighting[]>;
}

export interface StorePing {
  ping(): Promise<unknown>;
}

export interface PipelineSources {
  kafka: EndOffsets;
  redis: AppliedOffsets & ConsumerSightings;
  mongo: StorePing;
}

/** The deadlined readers, one per store, shared with the rest of the live feed. */
export interface PipelineReaders {
  kafka: Deadlined;
  redis: Deadlined;
  mongo: Deadlined;
}

/** Votes waiting this long with the applied offsets not moving mean the consumer has stalled. */
export const STALL_AFTER_MS = 3000;

/** No replica beating (every `CONSUMER_HEARTBEAT_MS`) for this long means the consumer has stopped. */
export const GONE_AFTER_MS = 3000;

/** Lag per partition: end offset − (applied offset + 1); a partition the counters never saw waits whole. */
export function partitionLags(end: Map<number, number>, applied: Map<number, number>): PartitionLag[] {
  return [...end.entries()]
    .sort(([a], [b]) => a - b)
    .map(([partition, endOffset]) => {
      const appliedOffset = applied.get(partition) ?? -1;
      return { partition, end: endOffset, applied: appliedOffset, lag: Math.max(0, endOffset - (appliedOffset + 1)) };
    });
}

function fingerprint(applied: Map<number, number>): string {
  return [...applied.entries()]
    .sort(([a], [b]) => a - b)
    .map(([partition, offset]) => `${partition}:${offset}`)
    .join(",");
}

/**
 * Watches the pipeline from the outside: how many accepted votes Kafka holds that the counters
 * do not (exact: both sides are offsets), when each consumer replica last beat and when the
 * applied offsets last moved, and the state of each store. Every read has a deadline; one
 * store's trouble never hides another's.
 */
export class PipelineWatch {
  readonly redis = new DependencyTracker();
  readonly mongo = new DependencyTracker();
  readonly kafka = new DependencyTracker();
  private lastApplied: string | null = null;
  private lastMovedAt: number | null = null;

  private readonly reading = new SharedRead(() => this.readNow());
  private readonly watchingSince: number;

  constructor(
    private readonly sources: PipelineSources,
    private readonly readers: PipelineReaders,
    private readonly now: () => number = Date.now,
  ) {
    this.watchingSince = now();
  }

  /** The current status; callers that ask while a read runs share it. */
  read(): Promise<PipelineStatus> {
    return this.reading.get();
  }

  private async readNow(): Promise<PipelineStatus> {
    const [end, applied, mongo] = await Promise.allSettled([
      this.readers.kafka.read(() => this.sources.kafka.endOffsets()),
      this.readers.redis.read(() => Promise.all([this.sources.redis.appliedOffsets(), this.sources.redis.consumersSeen()])),
      this.readers.mongo.read(() => this.sources.mongo.ping()),
    ]);
    const at = this.now();
    if (end.status === "fulfilled") this.kafka.ok(at);
    else this.kafka.failed(end.reason, at);
    if (applied.status === "fulfilled") this.redis.ok(at);
    else this.redis.failed(applied.reason, at);
    if (mongo.status === "fulfilled") this.mongo.ok(at);
    else this.mongo.failed(mongo.reason, at);

    const [offsets, replicas] = applied.status === "fulfilled" ? applied.value : [null, null];
    if (offsets) {
      const print = fingerprint(offsets);
      if (this.lastApplied !== null && print !== this.lastApplied) this.lastMovedAt = at;
      this.lastApplied = print;
    }
    const partitions = end.status === "fulfilled" && offsets ? partitionLags(end.value, offsets) : [];
    const total = end.status === "fulfilled" && offsets ? partitions.reduce((sum, p) => sum + p.lag, 0) : null;
    const newest = replicas === null ? undefined : (replicas[0] ?? null);
    return {
      dependencies: { redis: this.redis.current, mongo: this.mongo.current, kafka: this.kafka.current },
      lag: { total, partitions },
      consumer: {
        state: this.consumerState(total, newest, at),
        lastSeenAt: newest?.lastSeenAt ?? null,
        lastMovedAt: this.lastMovedAt === null ? null : new Date(this.lastMovedAt).toISOString(),
        replicas: (replicas ?? []).map(({ replica, lastSeenAt, ageMs }) => ({ replica, lastSeenAt, alive: ageMs < GONE_AFTER_MS })),
      },
      readAt: new Date(at).toISOString(),
    };
  }

  /** `newest` is undefined when the heartbeats could not be read, null when no replica has beaten. */
  private consumerState(lag: number | null, newest: ConsumerSighting | null | undefined, at: number): ConsumerState {
    if (newest === null || (newest !== undefined && newest.ageMs >= GONE_AFTER_MS)) return "stopped";
    if (lag === null) return "unknown";
    if (lag === 0) return "caught-up";
    // Votes are waiting: the consumer is counting if the offsets moved lately, stalled if not.
    const since = this.lastMovedAt ?? this.watchingSince;
    return at - since >= STALL_AFTER_MS ? "stalled" : "counting";
  }
}
