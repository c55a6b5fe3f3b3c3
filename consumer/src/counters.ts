import { appliedOffsetsKey, deltaArguments, type TallyDelta, tallyKeys } from "@marimba/shared";
import type { Redis } from "ioredis";

// Applies a batch's deltas and its last offset in one step, only if the partition's applied
// offset is still the one the batch was computed against (compare-and-set). A redelivered
// batch, or a zombie consumer that lost its partition, finds the offset moved and changes nothing.
// While a recount holds the lock key, every batch waits (-1) so the rebuilt tally is exact.
const APPLY_SCRIPT = `
if redis.call('EXISTS', KEYS[7]) == 1 then return -1 end
local current = redis.call('HGET', KEYS[1], ARGV[1]) or '-1'
if current ~= ARGV[2] then return 0 end
redis.call('INCRBY', KEYS[2], ARGV[4])
for i = 5, #ARGV, 3 do
  redis.call('HINCRBY', KEYS[2 + tonumber(ARGV[i])], ARGV[i + 1], ARGV[i + 2])
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
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
    redis.defineCommand("applyTally", { numberOfKeys: 7, lua: APPLY_SCRIPT });
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
