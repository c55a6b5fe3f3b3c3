import { afterAll, describe, expect, test } from "bun:test";
import { TALLY_HASHES, tallyKeys } from "@marimba/shared";
import { createMongo, createRedis } from "@marimba/shared/storage";
import { post, readTallies, settle, stackEnv, uniqueVote, urls, waitFor } from "@marimba/testkit";
import { RECOUNT_LOCK_KEY } from "../../src/counters.ts";
import { RecountBusyError, type RecountProgress, recount } from "../../src/recount.ts";

/** Sends `count` votes for one new band through the HTTP route, in a few requests. */
async function sendBand(count: number): Promise<string> {
  const vote = uniqueVote();
  for (let sent = 0; sent < count; sent += 10) {
    expect(
      (
        await post(
          `${urls.http}/http/votes`,
          Array.from({ length: Math.min(10, count - sent) }, () => vote),
        )
      ).status,
    ).toBe(202);
  }
  return vote.name;
}

const bandCount = async (name: string) => Number((await redis.hget(tallyKeys.band, name)) ?? 0);

const mongo = createMongo(stackEnv.MONGO_URL);
const redis = createRedis(stackEnv.REDIS_URL);
const db = mongo.db(stackEnv.MONGO_DB);

afterAll(async () => {
  await mongo.close();
  redis.disconnect();
});

describe("recount (real MongoDB and Redis)", () => {
  test("counters flushed and recounted from MongoDB equal the counters before", async () => {
    const vote = uniqueVote();
    expect((await post(`${urls.http}/http/votes`, [vote, vote, vote])).status).toBe(202);
    await settle();
    const before = await readTallies();
    expect(before.band[vote.name]).toBe(3);
    await redis.del(tallyKeys.total, ...TALLY_HASHES.map((hash) => tallyKeys[hash]));
    expect((await readTallies()).total).toBe(0);
    const result = await recount(db, redis);
    expect(result.total).toBe(before.total);
    expect(await readTallies()).toEqual(before);
  }, 240_000);

  test("votes arriving during a recount are counted once, after it", async () => {
    const vote = uniqueVote();
    const [answer] = await Promise.all([
      post(
        `${urls.http}/http/votes`,
        Array.from({ length: 50 }, () => vote),
      ),
      recount(db, redis),
    ]);
    expect(answer.status).toBe(202);
    await settle();
    expect((await readTallies()).band[vote.name]).toBe(50);
    const settled = await readTallies();
    await recount(db, redis);
    expect(await readTallies()).toEqual(settled);
  }, 240_000);

  test("a second recount while one runs is refused, not interleaved", async () => {
    await redis.set(RECOUNT_LOCK_KEY, "another", "EX", 5);
    try {
      await expect(recount(db, redis)).rejects.toBeInstanceOf(RecountBusyError);
    } finally {
      await redis.del(RECOUNT_LOCK_KEY);
    }
  });

  test("a recount that outlives its lock's TTL keeps the lock, holds the consumers back, and ends exact", async () => {
    await settle();
    const ttlMs = 1000;
    let band = "";
    let duringRecount: { lockMs: number; counted: number } | undefined;
    const progress: RecountProgress[] = [];
    const result = await recount(db, redis, {
      lockTtlMs: ttlMs,
      batchSize: 1,
      onProgress: (step) => progress.push(step),
      // Once, at the first stored vote: votes arrive while the recount runs 4 TTLs long.
      afterBatch: async () => {
        if (band) return;
        band = await sendBand(30);
        await Bun.sleep(4 * ttlMs);
        duringRecount = { lockMs: await redis.pttl(RECOUNT_LOCK_KEY), counted: await bandCount(band) };
      },
    });
    expect(duringRecount?.lockMs).toBeGreaterThan(0); // renewed: still held 4 TTLs after it was taken
    expect(duringRecount?.counted).toBe(0); // no batch was applied under the recount
    expect(result.attempts).toBe(1);
    expect(progress.at(-1)?.read).toBe(result.read);
    expect(await redis.exists(RECOUNT_LOCK_KEY)).toBe(0); // released by its owner
    await settle();
    expect(await bandCount(band)).toBe(30);
    const settled = await readTallies();
    await recount(db, redis);
    expect(await readTallies()).toEqual(settled);
  }, 240_000);

  test("a recount whose lock expired while votes were counted is fenced off and starts again, ending exact", async () => {
    await settle();
    let band = "";
    const result = await recount(db, redis, {
      batchSize: 1,
      afterBatch: async () => {
        if (band) return;
        // As if the recount froze past its TTL: the lock goes, consumers count new votes meanwhile.
        await redis.del(RECOUNT_LOCK_KEY);
        band = await sendBand(20);
        await waitFor("the votes to be counted", async () => (await bandCount(band)) === 20, 60_000, 50);
      },
    });
    expect(result.attempts).toBe(2);
    await settle();
    expect(await bandCount(band)).toBe(20);
    const settled = await readTallies();
    expect(result.total).toBeLessThanOrEqual(settled.total);
    await recount(db, redis);
    expect(await readTallies()).toEqual(settled);
  }, 240_000);

  test("a lock taken over by another recount is neither renewed nor deleted by the first", async () => {
    await expect(
      recount(db, redis, {
        lockTtlMs: 600,
        batchSize: 1,
        afterBatch: async () => {
          if ((await redis.get(RECOUNT_LOCK_KEY))?.startsWith("another")) return;
          await redis.set(RECOUNT_LOCK_KEY, "another recount", "PX", 5000);
          await Bun.sleep(300);
        },
      }),
    ).rejects.toBeInstanceOf(RecountBusyError);
    try {
      expect(await redis.get(RECOUNT_LOCK_KEY)).toBe("another recount");
      expect(await redis.pttl(RECOUNT_LOCK_KEY)).toBeLessThanOrEqual(5000);
    } finally {
      await redis.del(RECOUNT_LOCK_KEY);
    }
  });
});
