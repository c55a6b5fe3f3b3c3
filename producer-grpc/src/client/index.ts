import { createLogger, createRegistry, edgeEnv, edgeSettings, env, loadConfig, runService, serveHttp } from "@marimba/shared";
import { z } from "zod";
import { createClientApp } from "./app.ts";
import { DEFAULT_DEADLINE_MS, VoteServerClient } from "./upstream.ts";

const logger = createLogger("producer-grpc-client");

await runService(logger, async () => {
  const config = loadConfig({
    PORT: env.port(3000),
    HOST: env.text("127.0.0.1"),
    UPSTREAM_ADDRESS: z
      .string()
      .trim()
      .regex(/^[\w.-]+:\d{1,5}$/, "must be host:port")
      .default("127.0.0.1:3001"),
    UPSTREAM_DEADLINE_MS: env.positiveInt(DEFAULT_DEADLINE_MS),
    ...edgeEnv,
  });
  const { batch, limits } = edgeSettings(config);
  const registry = createRegistry("producer-grpc-client");
  const upstream = new VoteServerClient(config.UPSTREAM_ADDRESS, config.UPSTREAM_DEADLINE_MS, batch);
  const app = createClientApp({ upstream, registry, ...limits });
  const server = await serveHttp((request) => app.handle(request), {
    hostname: config.HOST,
    port: config.PORT,
    // Outlasts the call deadline, so a slow answer reaches the caller instead of a dropped connection.
    idleTimeoutSeconds: Math.ceil(config.UPSTREAM_DEADLINE_MS / 1000) + 10,
  });
  logger.info({ port: config.PORT, upstream: config.UPSTREAM_ADDRESS }, "accepting votes");
  return {
    async stop() {
      await server.stop();
      upstream.close();
    },
  };
});
