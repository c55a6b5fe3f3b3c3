import { afterAll, describe, expect, test } from "bun:test";
import { acceptVote, appliedOffsetsKey, tallyKeys, type Vote } from "@marimba/shared";
import { createMongo, createRedis } from "@marimba/shared/storage";
import { readTallies as readStackTallies, silentLogger, stackEnv, uniqueVote } from "@marimba/testkit";
import { applyBatch, type PartitionBatch } from "../../src/apply.ts";
import { RECOUNT_LOCK_KEY, TallyCounters } from "../../src/counters.ts";
import { CountersBehindError } from "../../src/failures.ts";
import { recount } from "../../src/recount.ts";
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
    expect(await applyBatch(deps, batchOf(votes))).toEqual({ counted: 5, skipped: 0, invalid: 0, duplicates: 0 });
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
    expect(await applyBatch(deps, batch)).toEqual({ counted: 0, skipped: 7, invalid: 0, duplicates: 0 });
    expect(await readTallies()).toEqual(before);
    expect(await bandCount(name)).toBe(7);
    expect(await collection.countDocuments({ name })).toBe(7);
  });

  test("a redelivery overlapping the applied offset counts only the new messages", async () => {
    const votes = bandVotes(10);
    const name = votes[0]?.name as string;
    const whole = batchOf(votes);
    await applyBatch(deps, { ...whole, messages: whole.messages.slice(0, 6) });
    expect(await applyBatch(deps, whole)).toEqual({ counted: 4, skipped: 6, invalid: 0, duplicates: 0 });
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
    const refused = await counters.apply(
      batch.topic,
      0,
      stale,
      "2",
      votes.map((vote) => ({ vote, stored: true })),
    );
    expect(refused.outcome).toBe("stale");
    expect(await bandCount(name)).toBe(3);
  });

  test("a message that is not a valid vote is passed over and its offset still advances", async () => {
    const votes = bandVotes(2);
    const batch = batchOf(votes);
    const poisoned = { ...batch, messages: [...batch.messages, { offset: "2", value: Buffer.from('{"name":"no id"}') }] };
    expect(await applyBatch(deps, poisoned)).toEqual({ counted: 2, skipped: 0, invalid: 1, duplicates: 0 });
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
    // A wider window than the service's 1 ms, so a busy machine cannot split the three apart.
    const voteLog = new VoteLog(db, undefined, undefined, 500);
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

  test("a second message carrying an id already stored at another offset is stored once and not counted again", async () => {
    const [vote] = bandVotes(1) as [Vote];
    const batch = batchOf([vote, vote, vote]);
    expect(await applyBatch(deps, batch)).toEqual({ counted: 1, skipped: 0, invalid: 0, duplicates: 2 });
    expect(await bandCount(vote.name)).toBe(1);
    expect(await collection.countDocuments({ _id: vote.id })).toBe(1);
    // Later, on the same topic, yet another copy: still one.
    expect(await applyBatch(deps, { ...batchOf([vote], batch.topic, 3) })).toEqual({ counted: 0, skipped: 0, invalid: 0, duplicates: 1 });
    expect(await bandCount(vote.name)).toBe(1);
  });

  test("votes stored by a crashed consumer are counted once on redelivery by a process that did not store them; a copy among them is not", async () => {
    for (const size of [3, 12]) {
      const votes = bandVotes(size);
      const name = votes[0]?.name as string;
      // Another process stored the batch and died before counting: this VoteLog knows nothing of it.
      const batch = batchOf([...votes, votes[0] as Vote]);
      await new VoteLog(db).insert(votes.map((vote, i) => ({ vote, position: { topic: batch.topic, partition: 0, offset: i } })));
      expect(await applyBatch({ ...deps, voteLog: new VoteLog(db) }, batch)).toEqual({
        counted: size,
        skipped: 0,
        invalid: 0,
        duplicates: 1,
      });
      expect(await bandCount(name)).toBe(size);
      expect(await collection.countDocuments({ name })).toBe(size);
    }
  });

  test("a batch that starts past the message after the applied offset is refused: the counters lost data", async () => {
    const votes = bandVotes(2);
    const name = votes[0]?.name as string;
    const topic = `apply-test-${crypto.randomUUID()}`;
    await applyBatch(deps, batchOf(votes.slice(0, 1), topic, 0));
    // Offset 1 was never counted, yet the batch starts at 5.
    await expect(applyBatch(deps, batchOf(votes.slice(1), topic, 5))).rejects.toBeInstanceOf(CountersBehindError);
    expect(await bandCount(name)).toBe(1);
  });

  test("a keyed retry counted from another partition before its stored copy: counted once, in the stored copy's route", async () => {
    const storedCopy = acceptVote(uniqueVote(), "grpc");
    const retry = { ...storedCopy, route: "http" as const };
    const topic = `apply-test-${crypto.randomUUID()}`;
    const before = await readTallies();
    // The stored copy's consumer wrote it to MongoDB (partition 0) but has not counted it yet.
    await deps.voteLog.insert([{ vote: storedCopy, position: { topic, partition: 0, offset: 0 } }]);
    expect(await applyBatch(deps, { ...batchOf([retry], topic), partition: 1 })).toEqual({
      counted: 1,
      skipped: 0,
      invalid: 0,
      duplicates: 0,
    });
    const answer = await deps.counters.apply(topic, 0, "-1", "0", [{ vote: storedCopy, stored: true }]);
    expect(answer).toEqual({ outcome: "applied", countedBefore: [storedCopy] });
    const after = await readTallies();
    expect(after.total - before.total).toBe(1);
    expect(after.band[storedCopy.name]).toBe(1);
    expect((after.route.grpc ?? 0) - (before.route.grpc ?? 0)).toBe(1);
    expect((after.route.http ?? 0) - (before.route.http ?? 0)).toBe(0);
    // A recount of the log agrees with the counters.
    await recount(db, redis);
    expect(await readTallies()).toEqual(after);
  });

  test("a stored copy redelivered after a retry was counted on the other route moves the count to its own route", async () => {
    const storedCopy = acceptVote(uniqueVote(), "grpc");
    const retry = { ...storedCopy, route: "http" as const };
    const topic = `apply-test-${crypto.randomUUID()}`;
    const before = await readTallies();
    // The stored copy's first attempt wrote it to MongoDB (partition 0, offset 0) and died before counting it.
    await deps.voteLog.insert([{ vote: storedCopy, position: { topic, partition: 0, offset: 0 } }]);
    await applyBatch(deps, { ...batchOf([retry], topic), partition: 1 });
    // The redelivery is refused by MongoDB like the retry was, but it is the stored copy itself.
    expect(await applyBatch(deps, batchOf([storedCopy], topic))).toEqual({ counted: 0, skipped: 0, invalid: 0, duplicates: 1 });
    const after = await readTallies();
    expect(after.total - before.total).toBe(1);
    expect((after.route.grpc ?? 0) - (before.route.grpc ?? 0)).toBe(1);
    expect((after.route.http ?? 0) - (before.route.http ?? 0)).toBe(0);
    await recount(db, redis);
    expect(await readTallies()).toEqual(after);
  });

  test("a recount between a retry's count and its stored copy's keeps the vote counted once", async () => {
    const storedCopy = acceptVote(uniqueVote(), "grpc");
    const topic = `apply-test-${crypto.randomUUID()}`;
    const before = await readTallies();
    await deps.voteLog.insert([{ vote: storedCopy, position: { topic, partition: 0, offset: 0 } }]);
    await applyBatch(deps, { ...batchOf([{ ...storedCopy, route: "http" }], topic), partition: 1 });
    // The stored copy is past partition 0's applied offset, yet its id is counted: the recount counts it.
    await recount(db, redis);
    const recounted = await readTallies();
    expect(recounted.total - before.total).toBe(1);
    expect(recounted.band[storedCopy.name]).toBe(1);
    expect((recounted.route.grpc ?? 0) - (before.route.grpc ?? 0)).toBe(1);
    expect(await deps.counters.apply(topic, 0, "-1", "0", [{ vote: storedCopy, stored: true }])).toEqual({
      outcome: "applied",
      countedBefore: [storedCopy],
    });
    expect(await readTallies()).toEqual(recounted);
  });

  test("after Redis lost everything, the recount restores the counted ids too: a later copy is still not counted", async () => {
    const votes = bandVotes(3);
    const name = votes[0]?.name as string;
    const batch = batchOf(votes);
    await applyBatch(deps, batch);
    // Redis wiped; the applied offsets come back from Kafka's commits (the consumer's repair does that).
    const offsets = await redis.hgetall(appliedOffsetsKey(batch.topic));
    await redis.flushdb();
    await redis.hset(appliedOffsetsKey(batch.topic), offsets);
    await recount(db, redis);
    expect(await bandCount(name)).toBe(3);
    expect(await applyBatch(deps, batchOf([votes[0] as Vote], batch.topic, 3))).toEqual({
      counted: 0,
      skipped: 0,
      invalid: 0,
      duplicates: 1,
    });
    expect(await bandCount(name)).toBe(3);
  });
});
