import type { Redis } from "ioredis";
import { albumField, TALLY_HASHES, type TallyHash, tallyKeys } from "./keys.ts";
import type { Vote } from "./vote.ts";

/** How much each counter grows: the sum of a set of votes. */
export interface TallyDelta {
  total: number;
  band: Map<string, number>;
  album: Map<string, number>;
  rank: Map<string, number>;
  route: Map<string, number>;
}

export function emptyDelta(): TallyDelta {
  return { total: 0, band: new Map(), album: new Map(), rank: new Map(), route: new Map() };
}

function bump(counts: Map<string, number>, field: string): void {
  counts.set(field, (counts.get(field) ?? 0) + 1);
}

/** Adds votes into a delta (pure, so a batch is counted the same however it is split). */
export function addVotes(delta: TallyDelta, votes: Iterable<Pick<Vote, "name" | "album" | "year" | "rank" | "route">>): TallyDelta {
  for (const vote of votes) {
    delta.total += 1;
    bump(delta.band, vote.name);
    bump(delta.album, albumField(vote));
    bump(delta.rank, vote.rank);
    bump(delta.route, vote.route);
  }
  return delta;
}

/** Flattens a delta into `[hash, field, count, …]` triples for a Redis script's ARGV. */
export function deltaArguments(delta: TallyDelta): string[] {
  const args: string[] = [];
  TALLY_HASHES.forEach((hash: TallyHash, index) => {
    for (const [field, count] of delta[hash]) args.push(String(index + 1), field, String(count));
  });
  return args;
}

/** Every counter as read from Redis. */
export interface Tallies {
  total: number;
  band: Record<string, number>;
  album: Record<string, number>;
  rank: Record<string, number>;
  route: Record<string, number>;
}

/** Reads every counter the consumer keeps, in one pipeline so they are read together. */
export async function readTallies(redis: Pick<Redis, "pipeline">): Promise<Tallies> {
  const pipeline = redis.pipeline().get(tallyKeys.total);
  for (const hash of TALLY_HASHES) pipeline.hgetall(tallyKeys[hash]);
  const [total, ...hashes] = ((await pipeline.exec()) ?? []).map(([error, value]) => {
    if (error) throw error;
    return value;
  });
  const counts = (hash: TallyHash) =>
    Object.fromEntries(
      Object.entries((hashes[TALLY_HASHES.indexOf(hash)] ?? {}) as Record<string, string>).map(([field, count]) => [field, Number(count)]),
    );
  return { total: Number(total ?? 0), band: counts("band"), album: counts("album"), rank: counts("rank"), route: counts("route") };
}
