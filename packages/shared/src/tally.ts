import type { Redis } from "ioredis";
import { albumField, countedRoute, TALLY_HASHES, type TallyHash, tallyKeys } from "./keys.ts";
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

/** The length of every vote id (a UUID): the counters' script cuts its ids out of one string. */
export const VOTE_ID_LENGTH = 36;

/**
 * A batch as the counters' script takes it: `n`, then n `(hash number, field, count)` triples that
 * add up every vote (hash numbers from 1, in `TALLY_HASHES` order), then five strings with one
 * entry per vote, so the script gets a handful of arguments however large the batch: the ids
 * back to back, each route's number (`countedRoute`, one digit), whether the copy is the
 * stored one (1/0), the numbers of each vote's four triples written `width` digits wide, and
 * `width`.
 */
export function countArguments(votes: readonly VoteToCount[]): string[] {
  const triples = new Map<string, { hash: number; field: string; count: number; number: number }>();
  const numbers: number[] = [];
  let ids = "";
  let routes = "";
  let stored = "";
  for (const { vote, stored: isStored } of votes) {
    if (vote.id.length !== VOTE_ID_LENGTH) throw new Error(`vote id ${JSON.stringify(vote.id)} is not a UUID`);
    tallyFields(vote).forEach((field, index) => {
      const key = `${index}\u0000${field}`;
      let triple = triples.get(key);
      if (!triple) {
        triple = { hash: index + 1, field, count: 0, number: triples.size + 1 };
        triples.set(key, triple);
      }
      triple.count++;
      numbers.push(triple.number);
    });
    ids += vote.id;
    routes += countedRoute(vote.route);
    stored += isStored ? "1" : "0";
  }
  const width = String(triples.size).length;
  const sums = [...triples.values()].flatMap(({ hash, field, count }) => [String(hash), field, String(count)]);
  const wide = numbers.map((number) => String(number).padStart(width, "0")).join("");
  return [String(triples.size), ...sums, ids, routes, stored, wide, String(width)];
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
