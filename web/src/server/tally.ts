import { readTallies, tallyKeys } from "@marimba/shared";
import type { Redis } from "ioredis";
import type { Tally } from "../contract.ts";

/** Reads the live counters the consumer keeps in Redis (`tallyKeys`). */
export class TallyReader {
  constructor(private readonly redis: Redis) {}

  /** Every counter, in one pipeline so they are read together. */
  async read(): Promise<Tally> {
    return { ...(await readTallies(this.redis)), readAt: new Date().toISOString() };
  }

  /** The total alone: a cheap check of whether anything changed. */
  async total(): Promise<number> {
    return Number((await this.redis.get(tallyKeys.total)) ?? 0);
  }

  async ping(): Promise<boolean> {
    return (await this.redis.ping()) === "PONG";
  }
}
