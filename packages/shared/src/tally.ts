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

export type CountedFields = Pick<Vote, "name" | "album" | "year" | "rank" | "route">;

/** The field a vote adds one to in each hash, in `TALLY_HASHES` order. */
export function tallyFields(vote: CountedFields): [band: string, album: string, rank: string, route: string] {
  return [vote.name, albumField(vote), vote.rank, vote.route];
}

/** Adds votes into a delta (pure, so a batch is counted the same however it is split). */
export function addVotes(delta: TallyDelta, votes: Iterable<CountedFields>): TallyDelta {
  for (const vote of votes) {
    delta.total += 1;
    tallyFields(vote).forEach((field, index) => {
      bump(delta[TALLY_HASHES[index] as TallyHash], field);
    });
  }
  return delta;
}

/** A vote of a batch to count, and whether MongoDB took this copy just now (false: it already held the id). */
export interface VoteToCount {
  vote: CountedFields & Pick<Vote, "id">;
  stored: boolean;
}

/**
 * A batch as the counters' script takes it: `n`, then n `(hash number, field, count)` triples that
 * add up every vote (hash numbers from 1, in `TALLY_HASHES` order), then per vote its id, route,
 * whether this copy is the stored one (1/0) and the numbers of its four triples, space-separated.
 */
export function countArguments(votes: readonly VoteToCount[]): string[] {
  const triples = new Map<string, { hash: number; field: string; count: number; number: number }>();
  const perVote: string[] = [];
  for (const { vote, stored } of votes) {
    const numbers = tallyFields(vote).map((field, index) => {
      const key = `${index}\u0000${field}`;
      let triple = triples.get(key);
      if (!triple) {
        triple = { hash: index + 1, field, count: 0, number: triples.size + 1 };
        triples.set(key, triple);
      }
      triple.count++;
      return triple.number;
    });
    perVote.push(vote.id, vote.route, stored ? "1" : "0", numbers.join(" "));
  }
  const sums = [...triples.values()].flatMap(({ hash, field, count }) => [String(hash), field, String(count)]);
  return [String(triples.size), ...sums, ...perVote];
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
