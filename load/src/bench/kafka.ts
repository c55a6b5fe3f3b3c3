import { appliedOffsetsKey, createKafka, createLogger, type Vote } from "@marimba/shared";
import { createRedis } from "@marimba/shared/storage";
import type { Kafka } from "kafkajs";
import { stackEnv } from "./stack.ts";

const silent = createLogger("bench");
silent.level = "silent";

export function benchKafka(clientId = "marimba-bench"): Kafka {
  return createKafka(clientId, stackEnv.KAFKA_BROKERS.split(","), silent);
}

/** Creates a topic with the given partitions and waits for its leaders. */
export async function createTopic(kafka: Kafka, topic: string, partitions: number): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }] });
  } finally {
    await admin.disconnect();
  }
}

export async function deleteTopic(kafka: Kafka, topic: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    if ((await admin.listTopics()).includes(topic)) await admin.deleteTopics({ topics: [topic] });
  } finally {
    await admin.disconnect();
  }
}

export async function deleteGroup(kafka: Kafka, groupId: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.deleteGroups([groupId]).catch(() => {});
  } finally {
    await admin.disconnect();
  }
}

/**
 * Writes votes straight into a topic in the wire format of docs/ARCHITECTURE.md (key = id, value = compact
 * JSON), in large batches with a few requests in flight: the fastest way to build a backlog.
 */
export async function produceVotes(kafka: Kafka, topic: string, votes: readonly Vote[], batchSize = 5000, inFlight = 4): Promise<void> {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    let next = 0;
    const worker = async () => {
      while (next < votes.length) {
        const batch = votes.slice(next, next + batchSize);
        next += batchSize;
        await producer.send({ topic, acks: -1, messages: batch.map((vote) => ({ key: vote.id, value: JSON.stringify(vote) })) });
      }
    };
    await Promise.all(Array.from({ length: inFlight }, worker));
  } finally {
    await producer.disconnect();
  }
}

/** Messages in the topic not yet applied to the counters, from Kafka's end offsets and the consumer's applied offsets in Redis. */
export async function consumerLag(kafka: Kafka, topic: string, redisUrl = stackEnv.REDIS_URL): Promise<number> {
  const admin = kafka.admin();
  const redis = createRedis(redisUrl);
  await admin.connect();
  try {
    const [ends, applied] = await Promise.all([admin.fetchTopicOffsets(topic), redis.hgetall(appliedOffsetsKey(topic))]);
    let lag = 0;
    for (const { partition, high } of ends) {
      const last = BigInt(applied[String(partition)] ?? "-1");
      const missing = BigInt(high) - 1n - last;
      if (missing > 0n) lag += Number(missing);
    }
    return lag;
  } finally {
    await admin.disconnect();
    redis.disconnect();
  }
}
