import {
  appliedOffsetsKey,
  deltaArguments,
  TALLY_HASHES,
  type TallyDelta,
  tallyKeys,
  VOTE_SERIES_KEY,
  VOTE_SERIES_RETENTION_MS,
  withDeadline,
} from "@marimba/shared";
import type { Redis } from "ioredis";
import { calling } from "./failures.ts";

// Applies a batch's deltas and its last offset in one step, only if the partition's applied
// offset is still the one the batch was computed against (compare-and-set). A redelivered
// batch, or a zombie consumer that lost its partition, finds the offset moved and changes nothing.
// While a recount holds the lock key, every batch waits (-1) so the rebuilt tally is exact.
// The batch's per-route counts also go to the votes-over-time stream (KEYS[8]) in the same step,
// so the series always agrees with the counters.
const APPLY_SCRIPT = `
if redis.call('EXISTS', KEYS[7]) == 1 then return -1 end
local current = redis.call('HGET', KEYS[1], ARGV[1]) or '-1'
if current ~= ARGV[2] then return 0 end
local total = redis.call('INCRBY', KEYS[2], ARGV[4])
local routes = {}
for i = 5, #ARGV, 3 do
  redis.call('HINCRBY', KEYS[2 + tonumber(ARGV[i])], ARGV[i + 1], ARGV[i + 2])
  if ARGV[i] == '${TALLY_HASHES.indexOf("route") + 1}' then
    routes[#routes + 1] = ARGV[i + 1]
    routes[#routes + 1] = ARGV[i + 2]
  end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
if ARGV[4] ~= '0' then
  local now = redis.call('TIME')
  local oldest = string.format('%d', tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000) - ${VOTE_SERIES_RETENTION_MS})
  redis.call('XADD', KEYS[8], 'MINID', '~', oldest, '*', 'total', total, unpack(routes))
end
return 1
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

/** Held by a recount while it rebuilds the counters; batches wait for it to go. */
export const RECOUNT_LOCK_KEY = "marimba:recount:lock";

type ScriptedRedis = Redis & {
  applyTally(...args: (string | number)[]): Promise<number>;
  raiseOffsets(...args: (string | number)[]): Promise<number>;
};

/** One Redis call within its deadline; a failure names Redis. */
const call = <T>(what: string, work: () => Promise<T>) => calling("redis", () => withDeadline(REDIS_DEADLINE_MS, `Redis: ${what}`, work));

/** The live counters in Redis and, per partition, the last Kafka offset they include. */
export class TallyCounters {
  private readonly redis: ScriptedRedis;

  constructor(redis: Redis) {
    redis.defineCommand("applyTally", { numberOfKeys: 8, lua: APPLY_SCRIPT });
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
   * Adds `delta` and moves the partition to `newOffset`: "stale" when `expectedOffset` is no
   * longer the applied offset, "paused" while a recount holds the counters.
   */
  async apply(topic: string, partition: number, expectedOffset: string, newOffset: string, delta: TallyDelta): Promise<ApplyOutcome> {
    const outcome = await call("counting a batch", () =>
      this.redis.applyTally(
        appliedOffsetsKey(topic),
        tallyKeys.total,
        tallyKeys.band,
        tallyKeys.album,
        tallyKeys.rank,
        tallyKeys.route,
        RECOUNT_LOCK_KEY,
        VOTE_SERIES_KEY,
        String(partition),
        expectedOffset,
        newOffset,
        String(delta.total),
        ...deltaArguments(delta),
      ),
    );
    return outcome === 1 ? "applied" : outcome === 0 ? "stale" : "paused";
  }

  async ping(): Promise<boolean> {
    return (await call("ping", () => this.redis.ping())) === "PONG";
  }
}
