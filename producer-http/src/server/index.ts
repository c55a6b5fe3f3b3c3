import {
  createKafka,
  createLogger,
  createRegistry,
  env,
  KafkaProbe,
  LOCAL_DEFAULTS,
  loadConfig,
  publisherMetrics,
  runService,
  VotePublisher,
} from "@marimba/shared";
import { createServerApp } from "./app.ts";

const logger = createLogger("producer-http-server");

await runService(logger, async () => {
  const config = loadConfig({
    PORT: env.port(8080),
    HOST: env.text("127.0.0.1"),
    KAFKA_BROKERS: env.brokers(LOCAL_DEFAULTS.KAFKA_BROKERS),
    KAFKA_TOPIC: env.text(LOCAL_DEFAULTS.KAFKA_TOPIC),
  });
  const registry = createRegistry("producer-http-server");
  const kafka = createKafka("producer-http-server", config.KAFKA_BROKERS, logger);
  const probe = new KafkaProbe(kafka).watch();
  const publisher = new VotePublisher(
    kafka,
    { topic: config.KAFKA_TOPIC, kafkaReachable: () => probe.lastKnown },
    logger,
    publisherMetrics(registry),
  );
  await publisher.start();
  const app = createServerApp({ publisher, registry, kafkaReachable: () => probe.reachable() }).listen({
    hostname: config.HOST,
    port: config.PORT,
  });
  logger.info({ port: config.PORT, topic: config.KAFKA_TOPIC }, "publishing votes");
  return {
    async stop() {
      await app.stop(false); // finish in-flight requests
      await publisher.stop();
      await probe.close();
    },
  };
});
