/**
 * What a stack test asks about the votes it sent, each answered without reading the vote log:
 * the stack's store may hold a bench run's hundreds of thousands of votes, and the local MongoDB
 * (FerretDB on SQLite) reads every document for a sort, a range, `$in`, a field equality or a
 * count. Only a lookup of one `_id` is served from its index, so MongoDB is asked one id at a time.
 */
import { countedIdSlot, ROUTES, type Route, type StoredVote, VOTES_COLLECTION, type Vote } from "@marimba/shared";
import { createMongo, createRedis } from "@marimba/shared/storage";
import { stackEnv } from "@marimba/stack";
import { kafkaClient } from "./stack.ts";

/** Lookups in flight at once: enough to hide the round trip, few enough not to crowd the stack. */
const LOOKUPS_IN_FLIGHT = 8;

async function eachInFlight<T>(items: readonly T[], work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(LOOKUPS_IN_FLIGHT, items.length) }, async () => {
      while (next < items.length) await work(items[next++] as T);
    }),
  );
}

/** The stored copies MongoDB holds of these vote ids (an id it does not hold is absent from the map). */
export async function storedVotes(ids: Iterable<string>, db = stackEnv.MONGO_DB): Promise<Map<string, StoredVote>> {
  const client = createMongo(stackEnv.MONGO_URL);
  const votes = client.db(db).collection<StoredVote>(VOTES_COLLECTION);
  const found = new Map<string, StoredVote>();
  try {
    await eachInFlight([...new Set(ids)], async (id) => {
      const document = await votes.findOne({ _id: id });
      if (document) found.set(id, document);
    });
  } finally {
    await client.close();
  }
  return found;
}

/**
 * The route each vote id is counted in, from the consumer's counted-ids set (one HGET per id);
 * an id the counters do not include is absent from the map.
 */
export async function countedRoutes(ids: Iterable<string>, redisUrl = stackEnv.REDIS_URL): Promise<Map<string, Route>> {
  const redis = createRedis(redisUrl);
  try {
    const unique = [...new Set(ids)];
    const pipeline = redis.pipeline();
    for (const id of unique) {
      const { key, field } = countedIdSlot(id);
      pipeline.hget(key, field);
    }
    const answers = (await pipeline.exec()) ?? [];
    const counted = new Map<string, Route>();
    unique.forEach((id, i) => {
      const [error, value] = answers[i] ?? [null, null];
      if (error) throw error;
      if (value !== null) counted.set(id, ROUTES[Number(value) - 1] as Route);
    });
    return counted;
  } finally {
    redis.disconnect();
  }
}

/** A topic's end offset per partition: where the next message of each will be written. */
export type TopicOffsets = Record<number, number>;

export async function topicOffsets(topic = stackEnv.KAFKA_TOPIC): Promise<TopicOffsets> {
  const admin = kafkaClient("marimba-test-offsets").admin();
  await admin.connect();
  try {
    return Object.fromEntries((await admin.fetchTopicOffsets(topic)).map(({ partition, high }) => [partition, Number(high)]));
  } finally {
    await admin.disconnect();
  }
}

/** The sum of the topic's end offsets: it moves exactly when something is written. */
export async function topicEndOffset(topic = stackEnv.KAFKA_TOPIC): Promise<number> {
  return Object.values(await topicOffsets(topic)).reduce((sum, high) => sum + high, 0);
}

/**
 * Every vote written to the topic since `from` (as `topicOffsets` gave it) up to its end now:
 * what reached Kafka while a test ran, read in as many messages as were written meanwhile.
 */
export async function votesInKafkaSince(from: TopicOffsets, topic = stackEnv.KAFKA_TOPIC): Promise<Vote[]> {
  const to = await topicOffsets(topic);
  const waiting = new Set(
    Object.keys(to)
      .map(Number)
      .filter((partition) => (to[partition] ?? 0) > (from[partition] ?? 0)),
  );
  if (waiting.size === 0) return [];
  const kafka = kafkaClient("marimba-test-reader");
  const groupId = `marimba-test-reader-${crypto.randomUUID()}`;
  const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false });
  // Offsets are contiguous (an idempotent producer, no transactions): a partition is read once it has every offset.
  const read = new Map<number, Map<number, Vote>>([...waiting].map((partition) => [partition, new Map()]));
  try {
    await consumer.connect();
    await consumer.subscribe({ topic });
    let finished: () => void = () => {};
    const done = new Promise<void>((resolve) => {
      finished = resolve;
    });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const votes = read.get(batch.partition);
        if (!votes) return;
        const start = from[batch.partition] ?? 0;
        const end = to[batch.partition] ?? 0;
        for (const message of batch.messages) {
          const offset = Number(message.offset);
          if (offset >= start && offset < end && message.value) votes.set(offset, JSON.parse(message.value.toString()) as Vote);
        }
        if (votes.size === end - start) waiting.delete(batch.partition);
        if (waiting.size === 0) finished();
      },
    });
    for (const partition of waiting) consumer.seek({ topic, partition, offset: String(from[partition] ?? 0) });
    const timeout = setTimeout(finished, 60_000);
    await done;
    clearTimeout(timeout);
    if (waiting.size > 0) throw new Error(`could not read partitions ${[...waiting].join(", ")} of ${topic} up to ${JSON.stringify(to)}`);
    return [...read.values()].flatMap((votes) => [...votes.values()]);
  } finally {
    await consumer.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteGroups([groupId]).catch(() => {});
    await admin.disconnect();
  }
}
