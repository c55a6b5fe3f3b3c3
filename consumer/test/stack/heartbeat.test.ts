import { afterAll, describe, expect, test } from "bun:test";
import { CONSUMER_SEEN_RETENTION_MS, CONSUMERS_SEEN_KEY } from "@marimba/shared";
import { createRedis } from "@marimba/shared/storage";
import { silentLogger, stackEnv } from "@marimba/testkit";
import { ConsumerHeartbeat } from "../../src/heartbeat.ts";

const redis = createRedis(stackEnv.REDIS_URL);
/** The client a heartbeat defines its script on. */
const beating = createRedis(stackEnv.REDIS_URL);
afterAll(() => {
  redis.disconnect();
  beating.disconnect();
});

async function redisNow(): Promise<number> {
  const [seconds, micros] = await redis.time();
  return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
}

describe("consumer heartbeat (real Redis)", () => {
  test("a beat stamps the replica with Redis's time and keeps the key for the retention", async () => {
    const replica = `test-${crypto.randomUUID().slice(0, 8)}`;
    const outcomes: boolean[] = [];
    const heartbeat = new ConsumerHeartbeat(beating, replica, silentLogger, { beat: (ok) => outcomes.push(ok) });
    const before = await redisNow();
    await heartbeat.beat();
    const after = await redisNow();
    const stamp = Number(await redis.zscore(CONSUMERS_SEEN_KEY, replica));
    expect(stamp).toBeGreaterThanOrEqual(before);
    expect(stamp).toBeLessThanOrEqual(after);
    expect(await redis.pttl(CONSUMERS_SEEN_KEY)).toBeGreaterThan(CONSUMER_SEEN_RETENTION_MS - 60_000);
    expect(outcomes).toEqual([true]);
    await redis.zrem(CONSUMERS_SEEN_KEY, replica);
  });

  test("a replica gone longer than the retention is dropped by the next beat of any replica", async () => {
    const gone = `test-gone-${crypto.randomUUID().slice(0, 8)}`;
    await redis.zadd(CONSUMERS_SEEN_KEY, (await redisNow()) - CONSUMER_SEEN_RETENTION_MS - 1000, gone);
    const replica = `test-${crypto.randomUUID().slice(0, 8)}`;
    await new ConsumerHeartbeat(beating, replica, silentLogger).beat();
    expect(await redis.zscore(CONSUMERS_SEEN_KEY, gone)).toBeNull();
    await redis.zrem(CONSUMERS_SEEN_KEY, replica);
  });

  test("a Redis that cannot be reached fails the beat within its deadline, reported, not thrown", async () => {
    const outcomes: boolean[] = [];
    const unreachable = createRedis("redis://127.0.0.1:1");
    const heartbeat = new ConsumerHeartbeat(unreachable, "test-unreachable", silentLogger, { beat: (ok) => outcomes.push(ok) });
    await heartbeat.beat(); // returns (at its deadline, or at once if refused) instead of waiting for Redis
    expect(outcomes).toEqual([false]);
    unreachable.disconnect();
  });
});
