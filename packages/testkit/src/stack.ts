/**
 * What integration tests share: the running stack's addresses, clients for its real
 * Kafka, MongoDB and Redis, and small helpers to send votes and wait for them.
 */
import { createKafka, createLogger, type KafkaNetwork, VOTES_COLLECTION, type VoteInput } from "@marimba/shared";
import { createMongo, createRedis } from "@marimba/shared/storage";
import { stackEnv } from "@marimba/stack";

const silent = createLogger("test");
silent.level = "silent";

export interface Answer {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: a test reads whatever came back and checks it with expect()
  body: any;
  headers: Headers;
}

/** POSTs a body (an object is sent as JSON) and returns status, parsed body and headers. */
export async function post(
  url: string,
  body: unknown,
  headers: Record<string, string> = { "content-type": "application/json" },
): Promise<Answer> {
  const response = await fetch(url, { method: "POST", headers, body: typeof body === "string" ? body : JSON.stringify(body) });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: keep the text, the test will say so
  }
  return { status: response.status, body: parsed, headers: response.headers };
}

/** A vote for a band no other test uses, so its counters can be checked exactly. */
export function uniqueVote(overrides: Partial<VoteInput> = {}): VoteInput {
  return { name: `Test Band ${crypto.randomUUID().slice(0, 8)}`, album: "Demo", year: "2026", rank: "1", ...overrides };
}

/** The MongoDB votes collection of the running stack; close the client when done. */
export function votesCollection() {
  const client = createMongo(stackEnv.MONGO_URL);
  return { client, votes: client.db(stackEnv.MONGO_DB).collection<{ _id: string } & Record<string, unknown>>(VOTES_COLLECTION) };
}

/** A client of the stack's Kafka, with the services' settings (and optionally a network to cut). */
export function kafkaClient(clientId = "marimba-test", network: KafkaNetwork = {}) {
  return createKafka(clientId, stackEnv.KAFKA_BROKERS.split(","), silent, network);
}

export { silent as silentLogger };

/**
 * A topic, a MongoDB database and a Redis db of a test's own, on the stack's Kafka, MongoDB and
 * Redis: the stack's consumer and counters never see them, and `remove` deletes them all.
 */
export function ownPipeline(name: string, redisDb: number) {
  const redisUrl = `${stackEnv.REDIS_URL}/${redisDb}`;
  const mongo = createMongo(stackEnv.MONGO_URL);
  const redis = createRedis(redisUrl);
  const admin = kafkaClient(`${name}-admin`).admin();
  const topic = `${name}-${crypto.randomUUID()}`;
  return {
    topic,
    redisUrl,
    db: mongo.db(`marimba_${name.replaceAll("-", "_")}`),
    redis,
    admin,
    async createTopic(numPartitions: number): Promise<void> {
      await admin.connect();
      await admin.createTopics({ topics: [{ topic, numPartitions }], waitForLeaders: true });
    },
    async remove(): Promise<void> {
      await admin.deleteTopics({ topics: [topic] }).catch(() => {});
      await admin.disconnect();
      await this.db.dropDatabase();
      await redis.flushdb();
      await mongo.close();
      redis.disconnect();
    },
  };
}
