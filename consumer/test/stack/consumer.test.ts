import { afterAll, describe, expect, test } from "bun:test";
import { acceptVote } from "@marimba/shared";
import { CuttableNetwork, KAFKA_API, kafkaClient, ownPipeline, silentLogger, uniqueVote, waitFor } from "@marimba/testkit";
import { VoteConsumer } from "../../src/consumer.ts";
import { TallyCounters } from "../../src/counters.ts";
import { VoteLog } from "../../src/vote-log.ts";

// A topic, group, database and Redis db of its own: the stack's consumer and counters never see these votes.
const own = ownPipeline("consumer-test", 2);
const { topic } = own;
const deps = { voteLog: new VoteLog(own.db), counters: new TallyCounters(own.redis), logger: silentLogger };

afterAll(() => own.remove());

describe("VoteConsumer (real Kafka, MongoDB and Redis)", () => {
  test("when kafkajs gives up because the group coordinator was lost, the consumer starts itself again and consumes", async () => {
    await own.createTopic(1);
    const network = new CuttableNetwork();
    let restarts = 0;
    let counted = 0;
    const consumer = new VoteConsumer(
      kafkaClient("consumer-test", network),
      { topic, groupId: topic, concurrency: 1, sliceSize: 1000 },
      deps,
      silentLogger,
      { restarted: () => restarts++, applied: (_partition, result) => (counted += result.counted) },
    );
    // The coordinator lookup of the first join loses its answer: kafkajs reports "Failed to find
    // group coordinator", which it never retries.
    network.cutAfterAnswer(KAFKA_API.findCoordinator);
    await consumer.start();
    await waitFor("the cut", () => network.isDown, 10_000, 10);
    expect(consumer.ready).toBe(false);
    network.heal();
    await waitFor("the consumer to start again and join its group", () => consumer.ready, 30_000, 100);
    expect(restarts).toBe(1);

    const producer = kafkaClient("consumer-test-producer").producer();
    await producer.connect();
    const vote = acceptVote(uniqueVote(), "http");
    await producer.send({ topic, messages: [{ key: vote.id, value: JSON.stringify(vote) }] });
    await producer.disconnect();
    await waitFor("the vote to be stored and counted", () => counted === 1, 30_000, 100);
    expect(await deps.voteLog.collection.countDocuments({ _id: vote.id })).toBe(1);
    await consumer.stop();
  }, 60_000);
});
