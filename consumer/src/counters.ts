import {
  appliedOffsetsKey,
  deltaArguments,
  TALLY_HASHES,
  type TallyDelta,
  tallyKeys,
  VOTE_SERIES_KEY,
  VOTE_SERIES_RETENTION_MS,
} from "@marimba/shared";
import type { Redis } from "ioredis";

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

export type ApplyOutcome = "applied" | "stale" | "paused";

/** Held by a recount while it rebuilds the counters; batches wait for it to go. */
export const RECOUNT_LOCK_KEY = "marimba:recount:lock";

type ScriptedRedis = Redis & {
  applyTally(...args: (string | number)[]): Promise<number>;
};

/** The live counters in Redis and, per partition, the last Kafka offset they include. */
export class TallyCounters {
  private readonly redis: ScriptedRedis;

  constructor(redis: Redis) {
    redis.defineCommand("applyTally", { numberOfKeys: 8, lua: APPLY_SCRIPT });
    this.redis = redis as ScriptedRedis;
  }

  /** The last applied offset of a partition, exactly as stored ("-1" when none). */
  async appliedOffset(topic: string, partition: number): Promise<string> {
    return (await this.redis.hget(appliedOffsetsKey(topic), String(partition))) ?? "-1";
  }

  /**
   * Adds `delta` and moves the partition to `newOffset`: "stale" when `expectedOffset` is no
   * longer the applied offset, "paused" while a recount holds the counters.
   */
  async apply(topic: string, partition: number, expectedOffset: string, newOffset: string, delta: TallyDelta): Promise<ApplyOutcome> {
    const outcome = await this.redis.applyTally(
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
    );
    return outcome === 1 ? "applied" : outcome === 0 ? "stale" : "paused";
  }

  async ping(): Promise<boolean> {
    return (await this.redis.ping()) === "PONG";
  }
}
