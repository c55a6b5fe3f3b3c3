import { createLogger, createRegistry, env, kafkaEnv, loadConfig, publisherEnv, runService, startPublishing } from "@marimba/shared";
import { createServerApp } from "./app.ts";

const logger = createLogger("producer-http-server");

await runService(logger, async () => {
  const config = loadConfig({
    PORT: env.port(8080),
    HOST: env.text("127.0.0.1"),
    ...kafkaEnv,
    ...publisherEnv,
  });
  const registry = createRegistry("producer-http-server");
  const publishing = await startPublishing("producer-http-server", config, logger, registry);
  const { publisher, probe } = publishing;
  const app = createServerApp({ publisher, registry, kafkaReachable: () => probe.reachable() }).listen({
    hostname: config.HOST,
    port: config.PORT,
  });
  logger.info({ port: config.PORT, topic: config.KAFKA_TOPIC }, "publishing votes");
  return {
    async stop() {
      await app.stop(false); // finish in-flight requests
      await publishing.stop();
    },
  };
});
