import { readTallies as readCounters, TALLY_HASHES, type Tallies } from "@marimba/shared";
import { createRedis } from "@marimba/shared/storage";
import { stackEnv } from "./dependencies.ts";

export type { Tallies };

/** Reads every counter of the stack's Redis (or another, by URL). */
export async function readTallies(redisUrl = stackEnv.REDIS_URL): Promise<Tallies> {
  const redis = createRedis(redisUrl);
  try {
    return await readCounters(redis);
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
