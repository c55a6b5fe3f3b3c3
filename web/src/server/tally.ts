import { appliedOffsetsKey, readTallies, SharedRead, tallyKeys } from "@marimba/shared";
import type { Redis } from "ioredis";
import type { Tally } from "../contract.ts";
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

  async ping(): Promise<boolean> {
    return (await this.redis.ping()) === "PONG";
  }
}
