import { appliedOffsetsKey, CONSUMERS_SEEN_KEY, readTallies, SharedRead, tallyKeys } from "@marimba/shared";
import type { Redis } from "ioredis";
import type { Tally } from "../contract.ts";
import type { ConsumerSighting } from "./pipeline.ts";
import { ReadError } from "./reads.ts";

/** What the reader needs of an ioredis client. */
export type TallyRedis = Pick<Redis, "status" | "pipeline" | "get" | "hgetall" | "ping">;

/** Reads the live counters the consumer keeps in Redis (`tallyKeys`) and the offsets they include. */
export class TallyReader {
  /** Concurrent `/api/tally` calls and the live feed share one pipeline to Redis. */
  private readonly tallies = new SharedRead(
    async (): Promise<Tally> => ({ ...(await readTallies(this.redis)), readAt: new Date().toISOString() }),
  );

  constructor(
    private readonly redis: TallyRedis,
    private readonly topic: string,
  ) {}

  /** Fails at once while ioredis has no connection, instead of queueing until a deadline. */
  private connected(): void {
    if (this.redis.status !== "ready")
      throw new ReadError("Redis", "unreachable", `Redis cannot be reached (connection ${this.redis.status})`);
  }

  /** Every counter, in one pipeline so they are read together; callers meanwhile share that read. */
  async read(): Promise<Tally> {
    this.connected();
    return this.tallies.get();
  }

  /** The total alone: a cheap check of whether anything changed. */
  async total(): Promise<number> {
    this.connected();
    return Number((await this.redis.get(tallyKeys.total)) ?? 0);
  }

  /** Partition → last offset the counters include (`marimba:offsets:<topic>`). */
  async appliedOffsets(): Promise<Map<number, number>> {
    this.connected();
    const stored = await this.redis.hgetall(appliedOffsetsKey(this.topic));
    return new Map(Object.entries(stored).map(([partition, offset]) => [Number(partition), Number(offset)]));
  }

  /**
   * Each consumer replica's last heartbeat (the Redis time it stamped), most recent first, with its
   * age on that same clock, so a skew between this server's clock and Redis's never shows as one.
   */
  async consumersSeen(): Promise<ConsumerSighting[]> {
    this.connected();
    const answers = (await this.redis.pipeline().time().zrange(CONSUMERS_SEEN_KEY, 0, -1, "WITHSCORES").exec()) ?? [];
    const [time, seen] = answers.map(([error, value]) => {
      if (error) throw error;
      return value;
    }) as [[string, string], string[]];
    const redisNow = Number(time[0]) * 1000 + Math.floor(Number(time[1]) / 1000);
    const sightings: ConsumerSighting[] = [];
    for (let i = 0; i + 1 < seen.length; i += 2) {
      const stamp = Number(seen[i + 1]);
      sightings.push({ replica: seen[i] as string, lastSeenAt: new Date(stamp).toISOString(), ageMs: Math.max(0, redisNow - stamp) });
    }
    return sightings.sort((a, b) => a.ageMs - b.ageMs);
  }

  async ping(): Promise<boolean> {
    return (await this.redis.ping()) === "PONG";
  }
}
