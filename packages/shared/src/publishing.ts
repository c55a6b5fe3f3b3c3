import { createKafka, KafkaProbe } from "./clients.ts";
import { env, LOCAL_DEFAULTS } from "./config.ts";
import type { Logger } from "./log.ts";
import { publisherMetrics, type Registry } from "./metrics.ts";
import { VotePublisher } from "./publisher.ts";

/** The environment every server that publishes votes reads. */
export const kafkaEnv = {
  KAFKA_BROKERS: env.brokers(LOCAL_DEFAULTS.KAFKA_BROKERS),
  KAFKA_TOPIC: env.text(LOCAL_DEFAULTS.KAFKA_TOPIC),
};

/**
 * What the server of either route needs to publish: the process's one publisher, and a probe
 * that watches Kafka so votes are refused at once while it is away (and readiness says so).
 */
export async function startPublishing(
  service: string,
  config: { KAFKA_BROKERS: string[]; KAFKA_TOPIC: string },
  logger: Logger,
  registry: Registry,
) {
  const kafka = createKafka(service, config.KAFKA_BROKERS, logger);
  const probe = new KafkaProbe(kafka).watch();
  const publisher = new VotePublisher(
    kafka,
    { topic: config.KAFKA_TOPIC, kafkaReachable: () => probe.lastKnown },
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
