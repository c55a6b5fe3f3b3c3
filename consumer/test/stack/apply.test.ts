import { afterAll, describe, expect, test } from "bun:test";
import { acceptVote, appliedOffsetsKey, tallyKeys, type Vote } from "@marimba/shared";
import { createMongo, createRedis } from "@marimba/shared/storage";
import { readTallies as readStackTallies, silentLogger, stackEnv, uniqueVote } from "@marimba/testkit";
import { applyBatch, type PartitionBatch } from "../../src/apply.ts";
import { RECOUNT_LOCK_KEY, TallyCounters } from "../../src/counters.ts";
import { VoteLog } from "../../src/vote-log.ts";

// A database and a Redis db of their own: these batches are not in Kafka, so they must not
// reach the stack's counters.
const redisUrl = `${stackEnv.REDIS_URL}/1`;
const client = createMongo(stackEnv.MONGO_URL);
const db = client.db("marimba_apply_test");
const collection = new VoteLog(db).collection;
const redis = createRedis(redisUrl);
const deps = { voteLog: new VoteLog(db), counters: new TallyCounters(redis), logger: silentLogger };
const readTallies = () => readStackTallies(redisUrl);

afterAll(async () => {
  await db.dropDatabase();
  await redis.flushdb();
  await client.close();
  redis.disconnect();
});

/** A batch on a topic of its own, so its applied offsets start empty. */
function batchOf(votes: Vote[], topic = `apply-test-${crypto.randomUUID()}`, firstOffset = 0): PartitionBatch {
  return {
    topic,
    partition: 0,
    messages: votes.map((vote, i) => ({ offset: String(firstOffset + i), value: Buffer.from(JSON.stringify(vote)) })),
  };
}

const bandVotes = (count: number) => {
  const band = uniqueVote();
  return Array.from({ length: count }, () => acceptVote(band, "grpc"));
};

async function bandCount(name: string): Promise<number> {
  return Number((await redis.hget(tallyKeys.band, name)) ?? 0);
}

describe("applyBatch (real MongoDB and Redis)", () => {
  test("a batch is stored as one document per vote and counted in every counter", async () => {
    const votes = bandVotes(5);
    const name = votes[0]?.name as string;
    const before = await readTallies();
    expect(await applyBatch(deps, batchOf(votes))).toEqual({ counted: 5, skipped: 0, invalid: 0 });
    const after = await readTallies();
    expect(after.total - before.total).toBe(5);
    expect(after.band[name]).toBe(5);
    expect(after.album[`${name} — Demo (2026)`]).toBe(5);
    expect((after.route.grpc ?? 0) - (before.route.grpc ?? 0)).toBe(5);
    const stored = await collection.find({ _id: { $in: votes.map((v) => v.id) } }).toArray();
    expect(stored).toHaveLength(5);
    expect(stored[0]).toMatchObject({ name, route: "grpc", acceptedAt: expect.any(Date), storedAt: expect.any(Date) });
  });

  test("the same batch delivered twice changes nothing the second time", async () => {
    const votes = bandVotes(7);
    const name = votes[0]?.name as string;
    const batch = batchOf(votes);
    await applyBatch(deps, batch);
    const before = await readTallies();
    expect(await applyBatch(deps, batch)).toEqual({ counted: 0, skipped: 7, invalid: 0 });
    expect(await readTallies()).toEqual(before);
    expect(await bandCount(name)).toBe(7);
    expect(await collection.countDocuments({ name })).toBe(7);
  });

  test("a redelivery overlapping the applied offset counts only the new messages", async () => {
    const votes = bandVotes(10);
    const name = votes[0]?.name as string;
    const whole = batchOf(votes);
    await applyBatch(deps, { ...whole, messages: whole.messages.slice(0, 6) });
    expect(await applyBatch(deps, whole)).toEqual({ counted: 4, skipped: 6, invalid: 0 });
    expect(await bandCount(name)).toBe(10);
    expect(await redis.hget(appliedOffsetsKey(whole.topic), "0")).toBe("9");
  });

  test("a crash after MongoDB but before Redis is repaired by redelivery without doubling documents", async () => {
    const votes = bandVotes(4);
    const name = votes[0]?.name as string;
    const batch = batchOf(votes);
    // The first attempt stored the votes, then died before counting them.
    await deps.voteLog.insert(votes.map((vote, i) => ({ vote, position: { topic: batch.topic, partition: 0, offset: i } })));
    await applyBatch(deps, batch);
    expect(await bandCount(name)).toBe(4);
    expect(await collection.countDocuments({ name })).toBe(4);
  });

  test("a zombie consumer's stale batch is refused by the offset compare-and-set", async () => {
    const votes = bandVotes(3);
    const name = votes[0]?.name as string;
    const batch = batchOf(votes);
    const counters = deps.counters;
    // The zombie read the applied offset (-1) before losing the partition; the new owner then applied.
    const stale = await counters.appliedOffset(batch.topic, 0);
    await applyBatch(deps, batch);
    const refused = await counters.apply(batch.topic, 0, stale, "2", {
      total: 3,
      band: new Map([[name, 3]]),
      album: new Map(),
      rank: new Map(),
      route: new Map(),
    });
    expect(refused).toBe("stale");
    expect(await bandCount(name)).toBe(3);
  });

  test("a message that is not a valid vote is passed over and its offset still advances", async () => {
    const votes = bandVotes(2);
    const batch = batchOf(votes);
    const poisoned = { ...batch, messages: [...batch.messages, { offset: "2", value: Buffer.from('{"name":"no id"}') }] };
    expect(await applyBatch(deps, poisoned)).toEqual({ counted: 2, skipped: 0, invalid: 1 });
    expect(await redis.hget(appliedOffsetsKey(batch.topic), "0")).toBe("2");
  });

  test("while a recount holds the counters, a batch waits and then counts once", async () => {
    const votes = bandVotes(3);
    const name = votes[0]?.name as string;
    await redis.set(RECOUNT_LOCK_KEY, "test", "EX", 10);
    const applying = applyBatch(deps, batchOf(votes));
    await Bun.sleep(300);
    expect(await bandCount(name)).toBe(0);
    await redis.del(RECOUNT_LOCK_KEY);
    expect((await applying).counted).toBe(3);
    expect(await bandCount(name)).toBe(3);
  });
  test("partitions applied at the same time share one bulk write, and each is stored and counted", async () => {
    const voteLog = new VoteLog(db);
    const writes: number[] = [];
    const bulkWrite = voteLog.collection.bulkWrite.bind(voteLog.collection);
    voteLog.collection.bulkWrite = ((operations: Parameters<typeof bulkWrite>[0], options) => {
      writes.push(operations.length);
      return bulkWrite(operations, options);
    }) as typeof bulkWrite;
    const topic = `apply-test-${crypto.randomUUID()}`;
    const batches = [bandVotes(3), bandVotes(2), bandVotes(4)].map((votes, partition) => ({
      ...batchOf(votes, topic),
      partition,
    }));
    const results = await Promise.all(batches.map((batch) => applyBatch({ ...deps, voteLog }, batch)));
    expect(results.map((result) => result.counted)).toEqual([3, 2, 4]);
    expect(writes).toEqual([9]);
    for (const batch of batches) {
      const name = JSON.parse(String(batch.messages[0]?.value)).name as string;
      expect(await bandCount(name)).toBe(batch.messages.length);
      expect(await collection.countDocuments({ name })).toBe(batch.messages.length);
    }
  });
});
