import { TALLY_HASHES, tallyKeys } from "@marimba/shared";
import { createRedis } from "@marimba/shared/storage";
import { stackEnv } from "./dependencies.ts";

export interface Tallies {
  total: number;
  band: Record<string, number>;
  album: Record<string, number>;
  rank: Record<string, number>;
  route: Record<string, number>;
}

/** Reads every counter the consumer keeps. */
export async function readTallies(redisUrl = stackEnv.REDIS_URL): Promise<Tallies> {
  const redis = createRedis(redisUrl);
  try {
    const pipeline = redis.pipeline().get(tallyKeys.total);
    for (const hash of TALLY_HASHES) pipeline.hgetall(tallyKeys[hash]);
    const results = (await pipeline.exec()) ?? [];
    const [total, ...hashes] = results.map(([error, value]) => {
      if (error) throw error;
      return value;
    });
    const numbers = (hash: unknown) =>
      Object.fromEntries(Object.entries((hash ?? {}) as Record<string, string>).map(([field, count]) => [field, Number(count)]));
    return {
      total: Number(total ?? 0),
      band: numbers(hashes[0]),
      album: numbers(hashes[1]),
      rank: numbers(hashes[2]),
      route: numbers(hashes[3]),
    };
  } finally {
    redis.disconnect();
  }
}

export function formatTallies(tallies: Tallies): string {
  const lines = [`  total votes: ${tallies.total}`];
  for (const hash of TALLY_HASHES) {
    const entries = Object.entries(tallies[hash]).sort((a, b) => b[1] - a[1]);
    if (entries.length === 0) continue;
    lines.push(`  by ${hash}:`);
    for (const [field, count] of entries.slice(0, 10)) lines.push(`    ${String(count).padStart(7)}  ${field}`);
    if (entries.length > 10) lines.push(`    … and ${entries.length - 10} more`);
  }
  return lines.join("\n");
}
