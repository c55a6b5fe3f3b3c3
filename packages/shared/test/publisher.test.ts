import { afterAll, describe, expect, test } from "bun:test";
import { kafkaClient, silentLogger, stackEnv, topicEndOffset } from "../../../stack/src/testkit.ts";
import { createKafka } from "../src/clients.ts";
import { PublishError, VotePublisher } from "../src/publisher.ts";
import { acceptVote } from "../src/vote.ts";

const votes = (count: number) =>
  Array.from({ length: count }, (_, i) =>
    acceptVote({ name: "Publisher Test", album: "Batch", year: "2026", rank: String(i % 5) }, "http"),
  );

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
    const kafka = kafkaClient("publisher-test-reader");
    const topic = `publisher-test-${crypto.randomUUID()}`;
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
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
    await admin.deleteTopics({ topics: [topic] });
    await admin.disconnect();
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

  test("with no broker answering, a vote is refused as unavailable once the retries run out, never left hanging", async () => {
    const nowhere = new VotePublisher(
      createKafka("publisher-test-nowhere", ["127.0.0.1:9"], silentLogger),
      { topic: "votes" },
      silentLogger,
    );
    const started = performance.now();
    await expect(nowhere.publish(votes(1))).rejects.toHaveProperty("reason", "unavailable");
    // Bounded by the producer's retries (~15 s), well inside the edges' 25 s deadline.
    expect(performance.now() - started).toBeLessThan(25_000);
    await nowhere.stop();
  }, 40_000);

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
