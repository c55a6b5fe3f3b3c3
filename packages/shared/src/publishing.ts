import { createKafka, KafkaProbe } from "./clients.ts";
import { compressionSetting, type KafkaCompression } from "./compression.ts";
import { env, LOCAL_DEFAULTS } from "./config.ts";
import type { Logger } from "./log.ts";
import { publisherMetrics, type Registry } from "./metrics.ts";
import { DEFAULT_PUBLISHER_OPTIONS, VotePublisher } from "./publisher.ts";

/** The environment every server that publishes votes reads. */
export const kafkaEnv = {
  KAFKA_BROKERS: env.brokers(LOCAL_DEFAULTS.KAFKA_BROKERS),
  KAFKA_TOPIC: env.text(LOCAL_DEFAULTS.KAFKA_TOPIC),
};

/** How a server batches and compresses its produce requests: the settings `npm run bench` compares. */
export const publisherEnv = {
  KAFKA_COMPRESSION: compressionSetting(DEFAULT_PUBLISHER_OPTIONS.compression),
  KAFKA_LINGER_MS: env.nonNegativeInt(DEFAULT_PUBLISHER_OPTIONS.lingerMs),
  KAFKA_BATCH_VOTES: env.positiveInt(DEFAULT_PUBLISHER_OPTIONS.maxBatchVotes),
};

/**
 * What the server of either route needs to publish: the process's one publisher, and a probe
 * that watches Kafka so votes are refused at once while it is away (and readiness says so).
 */
export async function startPublishing(
  service: string,
  config: {
    KAFKA_BROKERS: string[];
    KAFKA_TOPIC: string;
    KAFKA_COMPRESSION: KafkaCompression;
    KAFKA_LINGER_MS: number;
    KAFKA_BATCH_VOTES: number;
  },
  logger: Logger,
  registry: Registry,
) {
  const kafka = createKafka(service, config.KAFKA_BROKERS, logger);
  const probe = new KafkaProbe(kafka).watch();
  const publisher = new VotePublisher(
    kafka,
    {
      topic: config.KAFKA_TOPIC,
      compression: config.KAFKA_COMPRESSION,
      lingerMs: config.KAFKA_LINGER_MS,
      maxBatchVotes: config.KAFKA_BATCH_VOTES,
      kafkaReachable: () => probe.lastKnown,
    },
    logger,
    publisherMetrics(registry),
  );
  await publisher.start();
  return {
    publisher,
    probe,
    /** Sends what is queued, then lets go of Kafka. */
    async stop() {
      await publisher.stop();
      await probe.close();
    },
  };
}
