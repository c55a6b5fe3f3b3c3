import {
  appendToSeriesLua,
  appliedOffsetsKey,
  COUNTED_ID_BUCKET_CHARS,
  COUNTED_IDS_PREFIX,
  countArguments,
  ROUTES,
  TALLY_HASHES,
  tallyKeys,
  VOTE_ID_LENGTH,
  VOTE_SERIES_KEY,
  type Vote,
  type VoteToCount,
  withDeadline,
} from "@marimba/shared";
import type { Redis } from "ioredis";
import { calling } from "./failures.ts";

// Counts a batch and moves its partition's applied offset in one step, only if that offset is
// still the one the batch was read against (compare-and-set). A redelivered batch, or a zombie
// consumer that lost its partition, finds the offset moved and changes nothing. While a recount
// holds the lock key, every batch waits ({-1}) so the rebuilt tally is exact.
//
// Each vote's id is added to the counted-ids set (COUNTED_IDS_PREFIX) in the same step; an id
// already there is a second copy of a vote counted before (a keyed retry, on either route, in any
// partition) and its share is taken back out of the batch's counts. The copy MongoDB stored
// decides the route an id is counted in, so the counters agree with a recount of the log even
// when a retry on the other route was counted first.
//
// ARGV (see countArguments): partition, expected offset, new offset, n, n triples (hash 1..4,
// field, count) adding up the whole batch, then the ids back to back, the route numbers, the
// stored flags, the triple numbers (4 a vote, \`width\` digits each) and \`width\`. The batch's
// per-route counts also go to the votes-over-time stream (KEYS[8]), so the series always agrees
// with the counters. Answers {1, indexes of the votes not counted again}.
const ROUTE_HASH = String(TALLY_HASHES.indexOf("route") + 1);
const ID = VOTE_ID_LENGTH;
const FIELD_END = VOTE_ID_LENGTH - COUNTED_ID_BUCKET_CHARS;
const APPLY_SCRIPT = `
if redis.call('EXISTS', KEYS[7]) == 1 then return {-1} end
local current = redis.call('HGET', KEYS[1], ARGV[1]) or '-1'
if current ~= ARGV[2] then return {0} end
local n = tonumber(ARGV[4])
local counts = {}
for t = 1, n do counts[t] = tonumber(ARGV[3 * t + 4]) end
local first = 5 + 3 * n
local ids, routes, stored, numbers = ARGV[first], ARGV[first + 1], ARGV[first + 2], ARGV[first + 3]
local width = tonumber(ARGV[first + 4])
local names = {${ROUTES.map((route) => `'${route}'`).join(", ")}}
local answer = {1}
local counted = 0
local shift = {}
for v = 1, #routes do
  local id = string.sub(ids, ${ID} * v - ${ID - 1}, ${ID} * v)
  local key = KEYS[9] .. string.sub(id, ${FIELD_END + 1})
  local field = string.sub(id, 1, ${FIELD_END})
  local route = string.sub(routes, v, v)
  if redis.call('HSETNX', key, field, route) == 1 then
    counted = counted + 1
  else
    answer[#answer + 1] = v - 1
    local at = 4 * width * (v - 1) + 1
    for k = 0, 3 do
      local t = tonumber(string.sub(numbers, at + k * width, at + (k + 1) * width - 1))
      counts[t] = counts[t] - 1
    end
    if string.sub(stored, v, v) == '1' then
      local before = redis.call('HGET', key, field)
      if before ~= route then
        shift[before] = (shift[before] or 0) - 1
        shift[route] = (shift[route] or 0) + 1
        redis.call('HSET', key, field, route)
      end
    end
  end
end
local routeHash = KEYS[2 + ${ROUTE_HASH}]
local change = {}
for number, moved in pairs(shift) do
  local name = names[tonumber(number)]
  if moved ~= 0 then
    change[name] = moved
    if redis.call('HINCRBY', routeHash, name, moved) == 0 then redis.call('HDEL', routeHash, name) end
  end
end
for t = 1, n do
  local base = 3 * t + 2
  if counts[t] ~= 0 then
    redis.call('HINCRBY', KEYS[2 + tonumber(ARGV[base])], ARGV[base + 1], counts[t])
    if ARGV[base] == '${ROUTE_HASH}' then change[ARGV[base + 1]] = (change[ARGV[base + 1]] or 0) + counts[t] end
  end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
local total = redis.call('INCRBY', KEYS[2], counted)
local series = {}
for name, moved in pairs(change) do
  if moved ~= 0 then
    series[#series + 1] = name
    series[#series + 1] = moved
  end
end
if #series > 0 then
  ${appendToSeriesLua("KEYS[8]", "'total', total, unpack(series)")}
end
return answer
`;

// Raises partitions' applied offsets to at least the given ones (a repair after Redis lost them);
// never lowers one a consumer has moved meanwhile.
const RAISE_OFFSETS_SCRIPT = `
for i = 1, #ARGV, 2 do
  local current = tonumber(redis.call('HGET', KEYS[1], ARGV[i]) or '-1')
  if current < tonumber(ARGV[i + 1]) then redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
end
return 1
`;

/** Longest one Redis call may take (its command timeout is 5 s) before the attempt is abandoned. */
const REDIS_DEADLINE_MS = 6000;

export type ApplyOutcome = "applied" | "stale" | "paused";

export interface ApplyAnswer {
  outcome: ApplyOutcome;
  /** Of an applied batch, the votes whose id the counters already included: not counted again. */
  countedBefore: Vote[];
}

/** Held by a recount while it rebuilds the counters; batches wait for it to go. */
export const RECOUNT_LOCK_KEY = "marimba:recount:lock";

type ScriptedRedis = Redis & {
  applyTally(...args: (string | number)[]): Promise<number[]>;
  raiseOffsets(...args: (string | number)[]): Promise<number>;
};

/** One Redis call within its deadline; a failure names Redis. */
const call = <T>(what: string, work: () => Promise<T>) => calling("redis", () => withDeadline(REDIS_DEADLINE_MS, `Redis: ${what}`, work));

/** The live counters in Redis and, per partition, the last Kafka offset they include. */
export class TallyCounters {
  private readonly redis: ScriptedRedis;

  constructor(redis: Redis) {
    redis.defineCommand("applyTally", { numberOfKeys: 9, lua: APPLY_SCRIPT });
    redis.defineCommand("raiseOffsets", { numberOfKeys: 1, lua: RAISE_OFFSETS_SCRIPT });
    this.redis = redis as ScriptedRedis;
  }

  /** The last applied offset of a partition, exactly as stored ("-1" when none). */
  async appliedOffset(topic: string, partition: number): Promise<string> {
    return (await call("reading an applied offset", () => this.redis.hget(appliedOffsetsKey(topic), String(partition)))) ?? "-1";
  }

  /** Every partition's applied offset (partition → offset), as stored. */
  async appliedOffsets(topic: string): Promise<Record<string, string>> {
    return call("reading the applied offsets", () => this.redis.hgetall(appliedOffsetsKey(topic)));
  }

  /** Raises each partition's applied offset to at least the one given (never lowers it). */
  async raiseAppliedOffsets(topic: string, offsets: Record<string, string>): Promise<void> {
    const args = Object.entries(offsets).flat();
    if (args.length > 0) await call("restoring applied offsets", () => this.redis.raiseOffsets(appliedOffsetsKey(topic), ...args));
  }

  /**
   * Counts the votes (each id once, ever) and moves the partition to `newOffset`: "stale" when
   * `expectedOffset` is no longer the applied offset, "paused" while a recount holds the counters.
   */
  async apply(
    topic: string,
    partition: number,
    expectedOffset: string,
    newOffset: string,
    votes: readonly (VoteToCount & { vote: Vote })[],
  ): Promise<ApplyAnswer> {
    const [outcome, ...again] = await call("counting a batch", () =>
      this.redis.applyTally(
        appliedOffsetsKey(topic),
        tallyKeys.total,
        tallyKeys.band,
        tallyKeys.album,
        tallyKeys.rank,
        tallyKeys.route,
        RECOUNT_LOCK_KEY,
        VOTE_SERIES_KEY,
        COUNTED_IDS_PREFIX,
        String(partition),
        expectedOffset,
        newOffset,
        ...countArguments(votes),
      ),
    );
    return {
      outcome: outcome === 1 ? "applied" : outcome === 0 ? "stale" : "paused",
      countedBefore: again.map((index) => (votes[index] as VoteToCount & { vote: Vote }).vote),
    };
  }

  async ping(): Promise<boolean> {
    return (await call("ping", () => this.redis.ping())) === "PONG";
  }
}
