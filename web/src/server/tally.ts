import { TALLY_HASHES, type TallyHash, tallyKeys } from "@marimba/shared";
import type { Redis } from "ioredis";
import type { Tally } from "../contract.ts";

function counts(hash: unknown): Record<string, number> {
  return Object.fromEntries(Object.entries((hash ?? {}) as Record<string, string>).map(([field, count]) => [field, Number(count)]));
}

/** Reads the live counters the consumer keeps in Redis (`tallyKeys`). */
export class TallyReader {
  constructor(private readonly redis: Redis) {}

  /** Every counter, in one pipeline so they are read together. */
  async read(): Promise<Tally> {
    const pipeline = this.redis.pipeline().get(tallyKeys.total);
    for (const hash of TALLY_HASHES) pipeline.hgetall(tallyKeys[hash]);
    const results = (await pipeline.exec()) ?? [];
    const readAt = new Date().toISOString();
    const [total, ...hashes] = results.map(([error, value]) => {
      if (error) throw error;
      return value;
    });
    const hash = (name: TallyHash) => counts(hashes[TALLY_HASHES.indexOf(name)]);
    return { total: Number(total ?? 0), band: hash("band"), album: hash("album"), rank: hash("rank"), route: hash("route"), readAt };
  }

  /** The total alone: a cheap check of whether anything changed. */
  async total(): Promise<number> {
    return Number((await this.redis.get(tallyKeys.total)) ?? 0);
  }

  async ping(): Promise<boolean> {
    return (await this.redis.ping()) === "PONG";
  }
}
