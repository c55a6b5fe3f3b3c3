import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { acceptVote, TALLY_HASHES, tallyKeys, VOTE_SERIES_KEY, type VoteInput } from "@marimba/shared";
import {
  kafkaClient,
  ownPipeline,
  readTallies as readStackTallies,
  settle as settleStack,
  silentLogger,
  uniqueVote,
  waitFor,
} from "@marimba/testkit";
import { VoteConsumer } from "../../src/consumer.ts";
import { RECOUNT_LOCK_KEY, TallyCounters } from "../../src/counters.ts";
import { RecountBusyError, type RecountProgress, recount } from "../../src/recount.ts";
import { VoteLog } from "../../src/vote-log.ts";

// Every test recounts the whole log, so the log is this suite's own: a topic, group, database and
// Redis db of their own, with a consumer of their own, on the real Kafka, MongoDB and Redis. The
// stack's log may hold a bench run's hundreds of thousands of votes (a minute to recount per
// 100,000); this one holds the few hundred the suite sends.
const own = ownPipeline("recount-test", 4);
const { topic, redisUrl, db, redis } = own;
const producer = kafkaClient("recount-test-producer").producer({ idempotent: true });
const consumer = new VoteConsumer(
  kafkaClient("recount-test"),
  { topic, groupId: topic, concurrency: 3, sliceSize: 1000 },
  { voteLog: new VoteLog(db), counters: new TallyCounters(redis), logger: silentLogger },
  silentLogger,
);
const readTallies = () => readStackTallies(redisUrl);
const settle = () => settleStack({ topic, redisUrl });

beforeAll(async () => {
  await db.dropDatabase();
  await redis.flushdb();
  await own.createTopic(3);
  await producer.connect();
  await consumer.start();
  await waitFor("the suite's consumer to join its group", () => consumer.ready, 30_000, 100);
}, 60_000);

afterAll(async () => {
  await consumer.stop();
  await producer.disconnect();
  await own.remove();
});

/** Publishes `count` votes like `vote` (each accepted with an id of its own) to the suite's topic, as the producers do. */
async function send(vote: VoteInput, count: number): Promise<void> {
  const votes = Array.from({ length: count }, (_, i) => acceptVote(vote, i % 2 === 0 ? "http" : "grpc"));
  // A topic created a moment ago may not have its leaders known to the producer yet.
  await waitFor(
    "the votes published",
    async () => {
      await producer.send({ topic, acks: -1, messages: votes.map((accepted) => ({ key: accepted.id, value: JSON.stringify(accepted) })) });
      return true;
    },
    20_000,
    300,
  );
}

/** Sends `count` votes for one new band; returns its name. */
async function sendBand(count: number): Promise<string> {
  const vote = uniqueVote();
  await send(vote, count);
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

describe("recount (real MongoDB and Redis)", () => {
  test("counters flushed and recounted from MongoDB equal the counters before", async () => {
    const vote = uniqueVote();
    await send(vote, 3);
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
    await send(vote, 2);
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
    await Promise.all([send(vote, 50), recount(db, redis)]);
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
