import { ServerCredentials } from "@grpc/grpc-js";
import { createLogger, createRegistry, env, kafkaEnv, loadConfig, publisherEnv, runService, startPublishing } from "@marimba/shared";
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
    ...kafkaEnv,
    ...publisherEnv,
  });
  const registry = createRegistry("producer-grpc-server");
  const publishing = await startPublishing("producer-grpc-server", config, logger, registry);
  const { publisher, probe } = publishing;
  const health = new KafkaHealth(() => probe.reachable());
  await health.start();

  const server = createVoteServer({ publisher, health, registry, logger });
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
      await publishing.stop();
      await metricsApp.stop();
    },
  };
});
