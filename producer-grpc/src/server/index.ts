import { ServerCredentials } from "@grpc/grpc-js";
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
import { createMetricsApp, createVoteServer } from "./app.ts";
import { KafkaHealth } from "./health.ts";

const logger = createLogger("producer-grpc-server");

/** In-flight calls get this long to finish on SIGTERM before they are cut (runService allows 10 s in all). */
const DRAIN_MS = 7000;

await runService(logger, async () => {
  const config = loadConfig({
    PORT: env.port(3001),
    HOST: env.text("127.0.0.1"),
    METRICS_PORT: env.port(9102),
    KAFKA_BROKERS: env.brokers(LOCAL_DEFAULTS.KAFKA_BROKERS),
    KAFKA_TOPIC: env.text(LOCAL_DEFAULTS.KAFKA_TOPIC),
  });
  const registry = createRegistry("producer-grpc-server");
  const kafka = createKafka("producer-grpc-server", config.KAFKA_BROKERS, logger);
  const probe = new KafkaProbe(kafka).watch();
  const publisher = new VotePublisher(
    kafka,
    { topic: config.KAFKA_TOPIC, kafkaReachable: () => probe.lastKnown },
    logger,
    publisherMetrics(registry),
  );
  const health = new KafkaHealth(() => probe.reachable());
  await publisher.start();
  await health.start();

  const server = createVoteServer({ publisher, health, registry, log: logger });
  const address = `${config.HOST}:${config.PORT}`;
  await new Promise<number>((resolve, reject) =>
    server.bindAsync(address, ServerCredentials.createInsecure(), (error, port) => (error ? reject(error) : resolve(port))),
  );
  const metricsApp = createMetricsApp(registry, () => probe.reachable()).listen({ hostname: config.HOST, port: config.METRICS_PORT });
  logger.info({ address, metricsPort: config.METRICS_PORT, topic: config.KAFKA_TOPIC }, "serving marimba.v1.VoteService");

  return {
    async stop() {
      health.stop();
      await new Promise<void>((resolve) => {
        const cut = setTimeout(() => {
          logger.warn("calls still open after the drain period; cutting them");
          server.forceShutdown();
          resolve();
        }, DRAIN_MS);
        server.tryShutdown(() => {
          clearTimeout(cut);
          resolve();
        });
      });
      await publisher.stop();
      await metricsApp.stop();
      await probe.close();
    },
  };
});
