import { afterAll, describe, expect, test } from "bun:test";
import { CuttableNetwork, KAFKA_API, kafkaClient, silentLogger, sleep, stackEnv, topicEndOffset, waitFor } from "@marimba/testkit";
import type { Kafka } from "kafkajs";
import { createKafka } from "../../src/clients.ts";
import { PublishError, StickyPartitioner, VotePublisher } from "../../src/publisher.ts";
import { acceptVote } from "../../src/vote.ts";

const votes = (count: number) =>
  Array.from({ length: count }, (_, i) =>
    acceptVote({ name: "Publisher Test", album: "Batch", year: "2026", rank: String(1 + (i % 5)) }, "http"),
  );

/** Runs `use` with a throwaway topic of its own on the stack's Kafka, deleted afterwards. */
async function withTopic(partitions: number, use: (kafka: Kafka, topic: string, endOffsets: () => Promise<number[]>) => Promise<void>) {
  const kafka = kafkaClient("publisher-test-topic");
  const topic = `publisher-test-${crypto.randomUUID()}`;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
  // The broker may still answer UNKNOWN_TOPIC_OR_PARTITION for a moment on a busy machine.
  await waitFor(
    `topic ${topic} to have a leader for each partition`,
    async () => {
      const [metadata] = (await admin.fetchTopicMetadata({ topics: [topic] })).topics;
      return metadata?.partitions.length === partitions && metadata.partitions.every((partition) => partition.leader >= 0);
    },
    15_000,
    100,
  );
  const endOffsets = async () => (await admin.fetchTopicOffsets(topic)).map(({ high }) => Number(high)).sort((a, b) => a - b);
  try {
    await use(kafka, topic, endOffsets);
  } finally {
    await admin.deleteTopics({ topics: [topic] });
    await admin.disconnect();
  }
}

describe("VotePublisher (real Kafka)", () => {
  const batches: number[] = [];
  const publisher = new VotePublisher(kafkaClient("publisher-test"), { topic: stackEnv.KAFKA_TOPIC }, silentLogger, {
    batchSent: (count) => batches.push(count),
  });
  afterAll(() => publisher.stop());

  test("votes from many concurrent callers share a few acks=all produce requests", async () => {
    const before = await topicEndOffset();
    await Promise.all(votes(2000).map((vote) => publisher.publish([vote])));
    expect(await topicEndOffset()).toBe(before + 2000);
    expect(batches.reduce((a, b) => a + b, 0)).toBe(2000);
    expect(batches.length).toBeLessThan(200);
  });

  test("each vote is keyed by its id and carries the wire format", async () => {
    const [vote] = votes(1);
    if (!vote) throw new Error("no vote");
    await withTopic(1, async (kafka, topic) => {
      const own = new VotePublisher(kafka, { topic }, silentLogger);
      await own.publish([vote]);
      await own.stop();
      const consumer = kafka.consumer({ groupId: topic });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      const seen = await new Promise<{ key: string | undefined; value: unknown }>((resolve) => {
        void consumer.run({
          eachMessage: async ({ message }) =>
            resolve({ key: message.key?.toString(), value: JSON.parse(message.value?.toString() ?? "null") }),
        });
      });
      expect(seen).toEqual({ key: vote.id, value: vote });
      await consumer.disconnect();
    });
  }, 20_000);

  test("a batch lands in one partition and the next batch in another", async () => {
    await withTopic(3, async (kafka, topic, endOffsets) => {
      const own = new VotePublisher(kafka, { topic }, silentLogger);
      await own.publish(votes(10));
      await own.publish(votes(7));
      await own.stop();
      expect(await endOffsets()).toEqual([0, 7, 10]);
    });
  }, 20_000);

  test("a full queue refuses at once as overloaded", async () => {
    const small = new VotePublisher(kafkaClient("publisher-test-small"), { topic: stackEnv.KAFKA_TOPIC, maxQueuedVotes: 10 }, silentLogger);
    const refused = small.publish(votes(11));
    await expect(refused).rejects.toBeInstanceOf(PublishError);
    await expect(refused).rejects.toHaveProperty("reason", "overloaded");
    await small.stop();
  });

  test("while Kafka is known to be unreachable, a vote is refused at once", async () => {
    const closed = new VotePublisher(
      kafkaClient("publisher-test-closed"),
      { topic: stackEnv.KAFKA_TOPIC, kafkaReachable: () => false },
      silentLogger,
    );
    const started = performance.now();
    await expect(closed.publish(votes(1))).rejects.toHaveProperty("reason", "unavailable");
    expect(performance.now() - started).toBeLessThan(100);
    await closed.stop();
  });

  test("with no broker answering, a vote is refused as unavailable once connecting fails, never left hanging", async () => {
    const nowhere = new VotePublisher(
      createKafka("publisher-test-nowhere", ["127.0.0.1:9"], silentLogger),
      { topic: "votes" },
      silentLogger,
    );
    const started = performance.now();
    await expect(nowhere.publish(votes(1))).rejects.toHaveProperty("reason", "unavailable");
    // Never sent, so refused as soon as connecting fails: well inside the edges' 25 s deadline.
    expect(performance.now() - started).toBeLessThan(25_000);
    await nowhere.stop();
  }, 40_000);

  test("a batch written but never acknowledged is sent again when the network returns: accepted, one copy in Kafka", async () => {
    await withTopic(1, async (_kafka, topic, endOffsets) => {
      const network = new CuttableNetwork();
      const own = new VotePublisher(kafkaClient("publisher-test-cut", network), { topic }, silentLogger);
      await own.publish(votes(1));
      network.cutAfterAnswer(KAFKA_API.produce);
      const pending = own.publish(votes(5));
      await waitFor("the cut", () => network.isDown, 5000, 10);
      await sleep(3000); // longer than kafkajs' own retries inside one send
      network.heal();
      await pending;
      expect(await endOffsets()).toEqual([6]);
      await own.publish(votes(1)); // and the producer goes on with the next sequence numbers
      expect(await endOffsets()).toEqual([7]);
      await own.stop();
    });
  }, 30_000);

  test("a batch Kafka does not acknowledge within the delivery timeout is refused; the next one goes through", async () => {
    await withTopic(1, async (_kafka, topic, endOffsets) => {
      const network = new CuttableNetwork();
      const own = new VotePublisher(kafkaClient("publisher-test-timeout", network), { topic, deliveryTimeoutMs: 1500 }, silentLogger);
      await own.publish(votes(1));
      network.cut();
      const started = performance.now();
      await expect(own.publish(votes(3))).rejects.toHaveProperty("reason", "unavailable");
      expect(performance.now() - started).toBeLessThan(10_000);
      network.heal();
      await own.publish(votes(2));
      expect(await endOffsets()).toEqual([3]);
      await own.stop();
    });
  }, 30_000);

  test("after stop, new votes are refused and queued ones were sent", async () => {
    const closing = new VotePublisher(kafkaClient("publisher-test-stop"), { topic: stackEnv.KAFKA_TOPIC, lingerMs: 50 }, silentLogger);
    const before = await topicEndOffset();
    const pending = closing.publish(votes(3));
    await closing.stop();
    await pending;
    expect(await topicEndOffset()).toBe(before + 3);
    await expect(closing.publish(votes(1))).rejects.toHaveProperty("reason", "stopped");
  });
});

describe("StickyPartitioner", () => {
  const partitions = (leaders: number[]) =>
    leaders.map((leader, partitionId) => ({ partitionId, leader, partitionErrorCode: 0, replicas: [], isr: [], offlineReplicas: [] }));
  const message = { key: "id", value: "vote" };

  test("every message of a request gets one partition, and each request the next one", () => {
    const sticky = new StickyPartitioner();
    const partitionMetadata = partitions([1, 1, 1]);
    const chosen: number[][] = [];
    for (let request = 0; request < 4; request++) {
      sticky.rotate();
      chosen.push([1, 2, 3].map(() => sticky.partition({ topic: "votes", partitionMetadata, message })));
    }
    expect(chosen).toEqual([
      [0, 0, 0],
      [1, 1, 1],
      [2, 2, 2],
      [0, 0, 0],
    ]);
  });

  test("a partition without a leader is passed over while others have one", () => {
    const sticky = new StickyPartitioner();
    const partitionMetadata = partitions([1, -1, 1]);
    const chosen = [1, 2, 3, 4].map(() => {
      sticky.rotate();
      return sticky.partition({ topic: "votes", partitionMetadata, message });
    });
    expect(chosen).toEqual([0, 2, 0, 2]);
  });
});
