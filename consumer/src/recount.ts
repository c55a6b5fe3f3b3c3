import {
  addVotes,
  appendToSeriesLua,
  appliedOffsetsKey,
  countedIdSlot,
  countedRoute,
  emptyDelta,
  type Route,
  type StoredVote,
  TALLY_HASHES,
  type TallyDelta,
  tallyKeys,
  VOTE_SERIES_KEY,
  VOTES_COLLECTION,
} from "@marimba/shared";
import type { Redis } from "ioredis";
import type { Db } from "mongodb";
import { RECOUNT_LOCK_KEY } from "./counters.ts";

/** Applied offsets per topic and partition, exactly as Redis holds them. */
export type AppliedOffsets = Record<string, Record<string, string>>;

export interface RecountProgress {
  /** Stored votes read from the log so far in this attempt. */
  read: number;
  /** Of those, votes the counters include (at or below their partition's applied offset). */
  counted: number;
  seconds: number;
  /** Votes read per second in this attempt. */
  perSecond: number;
  attempt: number;
}

export interface RecountOptions {
  /** The lock's time to live; renewed every third of it while the recount runs. */
  lockTtlMs?: number;
  /** Documents per cursor batch. */
  batchSize?: number;
  /** Attempts before giving up when the fence finds the counters moved under the recount. */
  maxAttempts?: number;
  /** Called about once a second while the log is read, and once at the end of each attempt. */
  onProgress?: (progress: RecountProgress) => void;
  progressEveryMs?: number;
  /** Called after each cursor batch (tests slow a recount down with it). */
  afterBatch?: () => Promise<void>;
}

export interface RecountResult {
  total: number;
  /** Applied offsets the recount counted up to, per topic and partition. */
  offsets: AppliedOffsets;
  /** Stored votes read from the log in the attempt that was swapped in. */
  read: number;
  seconds: number;
  attempts: number;
}

export class RecountBusyError extends Error {}
export class RecountFencedError extends Error {}

const DEFAULTS = { lockTtlMs: 30_000, batchSize: 10_000, maxAttempts: 3, progressEveryMs: 1000 };
/** Staging hashes of a recount that died are dropped by Redis after this long. */
const STAGING_TTL_MS = 15 * 60_000;

// Extends the lock only while it is still this recount's (a lock that expired and was taken by
// another recount is not extended), and deletes it likewise.
const RENEW_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`;
const RELEASE_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

// The fenced swap. KEYS: lock, total, the 4 hashes, their 4 staging hashes, the votes-over-time
// stream, then every applied offsets key counted. ARGV: lock token, total, then per offsets key
// its field count and fields. It swaps only if the lock is still this recount's and every applied
// offset is still the one counted to (so no batch was applied meanwhile), and releases the lock in
// the same step. When the swap changes the route counters it adds one stream entry with the
// change per route (`source recount`), so the series still sums to what the counters gained.
const SWAP_SCRIPT = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
local a = 3
for k = 12, #KEYS do
  local n = tonumber(ARGV[a])
  a = a + 1
  if redis.call('HLEN', KEYS[k]) ~= n then return 0 end
  for i = 1, n do
    if redis.call('HGET', KEYS[k], ARGV[a]) ~= ARGV[a + 1] then return 0 end
    a = a + 2
  end
end
local before = redis.call('HGETALL', KEYS[6])
redis.call('SET', KEYS[2], ARGV[2])
for i = 3, 6 do
  if redis.call('EXISTS', KEYS[i + 4]) == 1 then
    redis.call('RENAME', KEYS[i + 4], KEYS[i])
    redis.call('PERSIST', KEYS[i])
  else
    redis.call('DEL', KEYS[i])
  end
end
redis.call('DEL', KEYS[1])
local changes = {}
local after = redis.call('HGETALL', KEYS[6])
local old = {}
for i = 1, #before, 2 do old[before[i]] = tonumber(before[i + 1]) end
for i = 1, #after, 2 do
  local change = tonumber(after[i + 1]) - (old[after[i]] or 0)
  old[after[i]] = nil
  if change ~= 0 then
    changes[#changes + 1] = after[i]
    changes[#changes + 1] = string.format('%d', change)
  end
end
for i = 1, #before, 2 do
  if old[before[i]] and old[before[i]] ~= 0 then
    changes[#changes + 1] = before[i]
    changes[#changes + 1] = string.format('%d', -old[before[i]])
  end
end
if #changes > 0 then
  ${appendToSeriesLua("KEYS[11]", "'total', ARGV[2], 'source', 'recount', unpack(changes)")}
end
return 1
`;

/** The applied offsets keys Redis holds (one per topic). */
async function offsetKeys(redis: Redis): Promise<string[]> {
  const keys: string[] = [];
  let cursor = "0";
  do {
    const [next, found] = await redis.scan(cursor, "MATCH", `${appliedOffsetsKey("")}*`, "COUNT", 100);
    cursor = next;
    keys.push(...found);
  } while (cursor !== "0");
  return keys.sort();
}

/** Applied offsets of every topic the counters include. */
async function appliedOffsets(redis: Redis): Promise<AppliedOffsets> {
  const prefix = appliedOffsetsKey("");
  const offsets: AppliedOffsets = {};
  for (const key of await offsetKeys(redis)) offsets[key.slice(prefix.length)] = await redis.hgetall(key);
  return offsets;
}

type Counted = Pick<StoredVote, "_id" | "name" | "album" | "year" | "rank" | "route" | "topic" | "partition" | "offset">;

/** A vote id the counters include, and the route it is counted in. */
export interface CountedId {
  id: string;
  route: Route;
}

/**
 * Counts the votes MongoDB holds up to the given applied offsets: exactly what the counters
 * must say. Votes stored past an applied offset belong to a batch not yet counted. One plain
 * pass over the log, grouped here: FerretDB applies any filter or `$group` only after decoding
 * every document anyway, and streams a projection faster than it aggregates (see the consumer
 * README). Each document is one vote id (`_id`), so this counts distinct ids.
 */
export async function countFromLog(
  db: Db,
  offsets: AppliedOffsets,
  options: Pick<RecountOptions, "batchSize" | "onProgress" | "progressEveryMs" | "afterBatch"> & {
    attempt?: number;
    /** Checked after each cursor batch: true ends the pass early (its result is then not used). */
    abandoned?: () => boolean;
    /** Given the ids counted, a cursor batch at a time. */
    counted?: (ids: CountedId[]) => Promise<void>;
    /**
     * Of votes stored past their partition's applied offset, which ids the counters include
     * through another copy (a retry counted from another partition first): those count too.
     */
    countedElsewhere?: (ids: string[]) => Promise<boolean[]>;
  } = {},
): Promise<{ delta: TallyDelta; read: number }> {
  const limits = new Map<string, number>();
  for (const [topic, partitions] of Object.entries(offsets)) {
    for (const [partition, offset] of Object.entries(partitions)) limits.set(`${topic}\u0000${partition}`, Number(offset));
  }
  const groups = new Map<string, { vote: Counted; count: number }>();
  const started = performance.now();
  let read = 0;
  let counted = 0;
  let lastReport = started;
  const report = () => {
    const seconds = (performance.now() - started) / 1000;
    options.onProgress?.({ read, counted, seconds, perSecond: seconds > 0 ? read / seconds : 0, attempt: options.attempt ?? 1 });
  };
  const batchSize = options.batchSize ?? DEFAULTS.batchSize;
  const ids: CountedId[] = [];
  const above: Counted[] = [];
  const count = (vote: Counted) => {
    counted++;
    if (options.counted) ids.push({ id: vote._id, route: vote.route });
    const key = `${vote.name}\u0000${vote.album}\u0000${vote.year}\u0000${vote.rank}\u0000${vote.route}`;
    const group = groups.get(key);
    if (group) group.count++;
    else groups.set(key, { vote, count: 1 });
  };
  const finishBatch = async () => {
    if (options.countedElsewhere && above.length > 0) {
      const pending = above.splice(0);
      const elsewhere = await options.countedElsewhere(pending.map((vote) => vote._id));
      pending.forEach((vote, i) => {
        if (elsewhere[i]) count(vote);
      });
    }
    if (options.counted && ids.length > 0) await options.counted(ids.splice(0));
  };
  const withIds = options.counted !== undefined || options.countedElsewhere !== undefined;
  const cursor = db
    .collection<StoredVote>(VOTES_COLLECTION)
    .find(
      {},
      { projection: { _id: withIds ? 1 : 0, name: 1, album: 1, year: 1, rank: 1, route: 1, topic: 1, partition: 1, offset: 1 }, batchSize },
    );
  try {
    for await (const vote of cursor as AsyncIterable<Counted>) {
      read++;
      const limit = limits.get(`${vote.topic}\u0000${vote.partition}`);
      if (limit !== undefined && vote.offset <= limit) count(vote);
      else if (options.countedElsewhere) above.push(vote);
      if (read % batchSize === 0) {
        await finishBatch();
        await options.afterBatch?.();
        if (options.abandoned?.()) break;
        const now = performance.now();
        if (now - lastReport >= (options.progressEveryMs ?? DEFAULTS.progressEveryMs)) {
          lastReport = now;
          report();
        }
      }
    }
    await finishBatch();
  } finally {
    await cursor.close();
  }
  report();
  const delta = emptyDelta();
  for (const { vote, count } of groups.values()) {
    const one = addVotes(emptyDelta(), [vote]);
    delta.total += count;
    for (const hash of TALLY_HASHES) {
      for (const field of one[hash].keys()) delta[hash].set(field, (delta[hash].get(field) ?? 0) + count);
    }
  }
  return { delta, read };
}

/** Holds the recount lock and renews it; `lost` once it is no longer this recount's. */
class RecountLock {
  readonly token = crypto.randomUUID();
  lost = false;
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly ttlMs: number,
  ) {}

  async acquire(): Promise<boolean> {
    this.lost = false;
    if ((await this.redis.set(RECOUNT_LOCK_KEY, this.token, "PX", this.ttlMs, "NX")) !== "OK") return false;
    this.timer = setInterval(() => void this.renew(), Math.max(10, Math.floor(this.ttlMs / 3)));
    return true;
  }

  private async renew(): Promise<void> {
    try {
      if ((await this.redis.eval(RENEW_SCRIPT, 1, RECOUNT_LOCK_KEY, this.token, String(this.ttlMs))) !== 1) this.lost = true;
    } catch {
      // Redis away for a moment: the next renewal tries again, and the fence catches a lock that expired.
    }
  }

  /** Stops renewing and deletes the lock if it is still this recount's. */
  async release(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.redis.eval(RELEASE_SCRIPT, 1, RECOUNT_LOCK_KEY, this.token);
  }

  stopRenewing(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}

/** Writes the counted hashes under staging names that expire if the recount dies before the swap. */
async function stage(redis: Redis, delta: TallyDelta, staging: (key: string) => string): Promise<void> {
  const build = redis.multi();
  for (const hash of TALLY_HASHES) {
    const key = staging(tallyKeys[hash]);
    build.del(key);
    const fields = [...delta[hash]].flatMap(([field, count]) => [field, String(count)]);
    for (let i = 0; i < fields.length; i += 2000) build.hset(key, ...fields.slice(i, i + 2000));
    if (fields.length > 0) build.pexpire(key, STAGING_TTL_MS);
  }
  await build.exec();
}

/**
 * Adds ids to the counted-ids set (`COUNTED_IDS_PREFIX`) with the route of their stored copy.
 * Only ever adds: every id given is one the swapped-in counters include, and batches wait while
 * the recount holds the lock, so none is counting one meanwhile. This rebuilds the set after Redis
 * lost it, so a later copy of an id counted before the loss is still not counted again.
 */
async function rememberCounted(redis: Redis, ids: readonly CountedId[]): Promise<void> {
  const pipeline = redis.pipeline();
  for (const { id, route } of ids) {
    const { key, field } = countedIdSlot(id);
    pipeline.hset(key, field, countedRoute(route));
  }
  for (const [error] of (await pipeline.exec()) ?? []) if (error) throw error;
}

/** Which of the ids the counted-ids set holds. */
export async function countedBefore(redis: Redis, ids: readonly string[]): Promise<boolean[]> {
  const pipeline = redis.pipeline();
  for (const id of ids) {
    const { key, field } = countedIdSlot(id);
    pipeline.hexists(key, field);
  }
  return ((await pipeline.exec()) ?? []).map(([error, found]) => {
    if (error) throw error;
    return found === 1;
  });
}

/** Swaps the staged hashes in if the lock and the applied offsets are still those counted to. */
async function fencedSwap(
  redis: Redis,
  lock: RecountLock,
  total: number,
  offsets: AppliedOffsets,
  staging: (key: string) => string,
): Promise<"swapped" | "moved" | "lost"> {
  const topics = Object.keys(offsets).sort();
  const args: string[] = [lock.token, String(total)];
  for (const topic of topics) {
    const fields = Object.entries(offsets[topic] ?? {});
    args.push(String(fields.length), ...fields.flat());
  }
  const keys = [
    RECOUNT_LOCK_KEY,
    tallyKeys.total,
    ...TALLY_HASHES.map((hash) => tallyKeys[hash]),
    ...TALLY_HASHES.map((hash) => staging(tallyKeys[hash])),
    VOTE_SERIES_KEY,
    ...topics.map(appliedOffsetsKey),
  ];
  const outcome = await redis.eval(SWAP_SCRIPT, keys.length, ...keys, ...args);
  return outcome === 1 ? "swapped" : outcome === 0 ? "moved" : "lost";
}

/**
 * Rebuilds every counter from MongoDB, the source of truth. While the lock is held (and renewed)
 * consumers apply no batch, so the applied offsets stay those counted to; the counts are staged
 * under other names and swapped in by one script that first checks the lock is still this
 * recount's and no applied offset moved — a recount that lost its lock (frozen past the TTL)
 * starts again instead of overwriting counts made meanwhile. Readers see the old tally or the
 * new one, never half of each.
 */
export async function recount(db: Db, redis: Redis, options: RecountOptions = {}): Promise<RecountResult> {
  const { lockTtlMs, maxAttempts } = { ...DEFAULTS, ...options };
  const started = performance.now();
  const lock = new RecountLock(redis, lockTtlMs);
  const staging = (key: string) => `${key}:recount:${lock.token}`;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    if (!(await lock.acquire())) throw new RecountBusyError("another recount is running; try again when it ends");
    try {
      const offsets = await appliedOffsets(redis);
      const { delta, read } = await countFromLog(db, offsets, {
        ...options,
        attempt,
        abandoned: () => lock.lost,
        counted: (ids) => rememberCounted(redis, ids),
        countedElsewhere: (ids) => countedBefore(redis, ids),
      });
      lock.stopRenewing();
      if (!lock.lost) {
        await stage(redis, delta, staging);
        const outcome = await fencedSwap(redis, lock, delta.total, offsets, staging);
        if (outcome === "swapped") {
          return { total: delta.total, offsets, read, seconds: (performance.now() - started) / 1000, attempts: attempt };
        }
      }
    } finally {
      await redis.del(...TALLY_HASHES.map((hash) => staging(tallyKeys[hash])));
      await lock.release();
    }
  }
  throw new RecountFencedError(
    `the counters moved under the recount ${maxAttempts} times (its lock expired while it ran); nothing was changed — run it again`,
  );
}
