import { afterAll, describe, expect, test } from "bun:test";
import { TALLY_HASHES, tallyKeys } from "@marimba/shared";
import { createMongo, createRedis } from "@marimba/shared/storage";
import { post, readTallies, settle, stackEnv, uniqueVote, urls } from "@marimba/testkit";
import { RECOUNT_LOCK_KEY } from "../../src/counters.ts";
import { RecountBusyError, recount } from "../../src/recount.ts";

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
});
