import { afterAll, describe, expect, test } from "bun:test";
import { TALLY_HASHES, tallyKeys, VOTE_SERIES_KEY } from "@marimba/shared";
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

/** Redis's clock now, in ms: the clock the votes-over-time stream's ids are on. */
async function redisNow(): Promise<number> {
  const [seconds, micros] = await redis.time();
  return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
}

/** The votes-over-time stream from `since` (ms): its entries, and the sum of their counts per route. */
async function seriesSince(since: number) {
  const entries = (await redis.xrange(VOTE_SERIES_KEY, String(since), "+")) as [string, string[]][];
  const routes: Record<string, number> = {};
  for (const [, fields] of entries) {
    for (let i = 0; i + 1 < fields.length; i += 2) {
      const field = fields[i] as string;
      if (field === "total" || field === "source") continue;
      routes[field] = (routes[field] ?? 0) + Number(fields[i + 1]);
    }
  }
  return { entries, routes, total: Object.values(routes).reduce((sum, n) => sum + n, 0) };
}

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

  test("a recount that changes the counters adds the change to the votes-over-time series, so it still sums to what they gained", async () => {
    const vote = uniqueVote();
    expect((await post(`${urls.http}/http/votes`, [vote, vote])).status).toBe(202);
    await settle();
    const truth = await readTallies();
    // As after Redis lost the counters: from here they go from 0 back to the log's truth.
    await redis.del(tallyKeys.total, ...TALLY_HASHES.map((hash) => tallyKeys[hash]));
    const lost = await redisNow();
    await Bun.sleep(2);
    await recount(db, redis);
    expect(await readTallies()).toEqual(truth);
    const series = await seriesSince(lost);
    expect(series.entries).toHaveLength(1);
    expect(series.entries[0]?.[1]).toEqual(expect.arrayContaining(["total", String(truth.total), "source", "recount"]));
    expect(series.routes).toEqual(truth.route);
    expect(series.total).toBe(truth.total);
  }, 240_000);

  test("a recount that finds the counters exact leaves the votes-over-time series as it was", async () => {
    await settle();
    const since = await redisNow();
    const before = await readTallies();
    await recount(db, redis);
    expect(await readTallies()).toEqual(before);
    expect((await seriesSince(since)).entries).toEqual([]);
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
