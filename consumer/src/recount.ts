import {
  addVotes,
  appliedOffsetsKey,
  deltaArguments,
  emptyDelta,
  type StoredVote,
  TALLY_HASHES,
  type TallyDelta,
  tallyKeys,
  VOTES_COLLECTION,
} from "@marimba/shared";
import type { Redis } from "ioredis";
import type { Db } from "mongodb";
import { RECOUNT_LOCK_KEY } from "./counters.ts";

/** A recount that dies leaves the lock behind for at most this long. */
const LOCK_TTL_SECONDS = 120;

export interface RecountResult {
  total: number;
  /** Applied offsets the recount counted up to, per topic and partition. */
  offsets: Record<string, Record<string, string>>;
  seconds: number;
}

export class RecountBusyError extends Error {}

/** Applied offsets of every topic the counters include. */
async function appliedOffsets(redis: Redis): Promise<Record<string, Record<string, string>>> {
  const prefix = appliedOffsetsKey("");
  const keys: string[] = [];
  let cursor = "0";
  do {
    const [next, found] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 100);
    cursor = next;
    keys.push(...found);
  } while (cursor !== "0");
  const offsets: Record<string, Record<string, string>> = {};
  for (const key of keys) offsets[key.slice(prefix.length)] = await redis.hgetall(key);
  return offsets;
}

/**
 * Counts the votes MongoDB holds up to the given applied offsets: exactly what the counters
 * must say. Votes stored past an applied offset belong to a batch not yet counted.
 */
export async function countFromLog(db: Db, offsets: Record<string, Record<string, string>>): Promise<TallyDelta> {
  const counted = Object.entries(offsets).flatMap(([topic, partitions]) =>
    Object.entries(partitions).map(([partition, offset]) => ({ topic, partition: Number(partition), offset: { $lte: Number(offset) } })),
  );
  const delta = emptyDelta();
  if (counted.length === 0) return delta;
  const groups = db
    .collection<StoredVote>(VOTES_COLLECTION)
    .aggregate<{ _id: Pick<StoredVote, "name" | "album" | "year" | "rank" | "route">; count: number }>([
      { $match: { $or: counted } },
      { $group: { _id: { name: "$name", album: "$album", year: "$year", rank: "$rank", route: "$route" }, count: { $sum: 1 } } },
    ]);
  for await (const group of groups) {
    const one = addVotes(emptyDelta(), [group._id]);
    delta.total += group.count;
    for (const hash of TALLY_HASHES) {
      for (const field of one[hash].keys()) delta[hash].set(field, (delta[hash].get(field) ?? 0) + group.count);
    }
  }
  return delta;
}

/**
 * Rebuilds every counter from MongoDB, the source of truth. Consumers pause their batches
 * while the lock is held, the new hashes are built under temporary names, and one MULTI
 * swaps them all in, so a reader sees the old tally or the new one, never half of each.
 */
export async function recount(db: Db, redis: Redis): Promise<RecountResult> {
  const started = performance.now();
  if ((await redis.set(RECOUNT_LOCK_KEY, String(process.pid), "EX", LOCK_TTL_SECONDS, "NX")) !== "OK") {
    throw new RecountBusyError("another recount is running; try again when it ends");
  }
  try {
    const offsets = await appliedOffsets(redis);
    const delta = await countFromLog(db, offsets);
    const staging = (hash: string) => `${hash}:recount`;
    const build = redis.multi();
    for (const hash of TALLY_HASHES) build.del(staging(tallyKeys[hash]));
    const args = deltaArguments(delta);
    for (let i = 0; i < args.length; i += 3) {
      const hash = TALLY_HASHES[Number(args[i]) - 1] as (typeof TALLY_HASHES)[number];
      build.hset(staging(tallyKeys[hash]), args[i + 1] as string, args[i + 2] as string);
    }
    await build.exec();
    const swap = redis.multi().set(tallyKeys.total, String(delta.total));
    for (const hash of TALLY_HASHES) {
      if (delta[hash].size > 0) swap.rename(staging(tallyKeys[hash]), tallyKeys[hash]);
      else swap.del(tallyKeys[hash]);
    }
    await swap.exec();
    return { total: delta.total, offsets, seconds: (performance.now() - started) / 1000 };
  } finally {
    await redis.del(RECOUNT_LOCK_KEY);
  }
}
