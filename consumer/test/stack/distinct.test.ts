import { afterAll, describe, expect, test } from "bun:test";
import { acceptVote, tallyKeys, type Vote } from "@marimba/shared";
import { kafkaClient, ownPipeline, silentLogger, uniqueVote, waitFor } from "@marimba/testkit";
import { VoteConsumer } from "../../src/consumer.ts";
import { TallyCounters } from "../../src/counters.ts";
import { DependencyError } from "../../src/failures.ts";
import { VoteLog } from "../../src/vote-log.ts";

// A topic, group, database and Redis db of their own, on the real Kafka, MongoDB and Redis.
const own = ownPipeline("distinct-test", 3);
const { topic, db, redis } = own;
const producer = kafkaClient("distinct-test-producer").producer();

afterAll(async () => {
  await producer.disconnect();
  await own.remove();
});

/** Publishes to one partition; a topic created a moment ago may not have its leader known to the producer yet. */
async function publish(vote: Vote, partition: number): Promise<void> {
  await waitFor(
    "the vote published",
    async () => {
      await producer.send({ topic, messages: [{ key: vote.id, value: JSON.stringify(vote), partition }] });
      return true;
    },
    20_000,
    300,
  );
}

const bandCount = async (name: string) => Number((await redis.hget(tallyKeys.band, name)) ?? 0);

function consumerOf(counters: TallyCounters, observed: { counted: number; duplicates: number }) {
  return new VoteConsumer(
    kafkaClient("distinct-test"),
    { topic, groupId: topic, concurrency: 2, sliceSize: 1000 },
    { voteLog: new VoteLog(db), counters, logger: silentLogger },
    silentLogger,
    {
      applied: (_partition, result) => {
        observed.counted += result.counted;
        observed.duplicates += result.duplicates;
      },
    },
  );
}

describe("distinct votes through Kafka (real Kafka, MongoDB and Redis)", () => {
  test("the same vote id published twice, at different offsets and partitions, is stored once and counted once", async () => {
    await own.createTopic(2);
    await producer.connect();
    const observed = { counted: 0, duplicates: 0 };
    const consumer = consumerOf(new TallyCounters(redis), observed);
    await consumer.start();
    const vote = acceptVote(uniqueVote(), "http");
    await publish(vote, 0);
    await publish(vote, 1);
    await publish(vote, 0);
    await waitFor("three messages applied", () => observed.counted + observed.duplicates === 3, 30_000, 100);
    await consumer.stop();
    expect(observed).toEqual({ counted: 1, duplicates: 2 });
    expect(await db.collection("votes").countDocuments({ _id: vote.id as never })).toBe(1);
    expect(await bandCount(vote.name)).toBe(1);
  }, 60_000);

  test("a consumer that dies between the MongoDB write and the Redis script: the next one counts the vote once", async () => {
    const vote = acceptVote(uniqueVote(), "grpc");
    // The first consumer stores the vote, then never gets to count it (Redis refuses its script).
    const crashing = new TallyCounters(redis);
    crashing.apply = async () => {
      throw new DependencyError("redis", new Error("the process died here"));
    };
    let stored = false;
    const first = consumerOf(crashing, { counted: 0, duplicates: 0 });
    await first.start();
    await publish(vote, 1);
    await waitFor(
      "the vote stored by the first consumer",
      async () => (stored = (await db.collection("votes").countDocuments({ _id: vote.id as never })) === 1),
      30_000,
      100,
    );
    await first.stop();
    expect(await bandCount(vote.name)).toBe(0);

    const observed = { counted: 0, duplicates: 0 };
    const second = consumerOf(new TallyCounters(redis), observed);
    await second.start();
    await waitFor("the redelivered vote counted", () => observed.counted === 1, 30_000, 100);
    await second.stop();
    expect(stored).toBe(true);
    expect(observed.duplicates).toBe(0);
    expect(await bandCount(vote.name)).toBe(1);
    expect(await db.collection("votes").countDocuments({ _id: vote.id as never })).toBe(1);
  }, 90_000);
});
