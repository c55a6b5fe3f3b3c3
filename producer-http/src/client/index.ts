import { createLogger, createRegistry, edgeEnv, edgeSettings, env, loadConfig, runService, serveHttp } from "@marimba/shared";
import { createClientApp } from "./app.ts";
import { FORWARD_TIMEOUT_MS, VoteUpstream } from "./upstream.ts";

const logger = createLogger("producer-http-client");

await runService(logger, async () => {
  const config = loadConfig({
    PORT: env.port(8000),
    HOST: env.text("127.0.0.1"),
    UPSTREAM_URL: env.url("http://127.0.0.1:8080"),
    ...edgeEnv,
  });
  const { batch, limits } = edgeSettings(config);
  const registry = createRegistry("producer-http-client");
  const upstream = new VoteUpstream(config.UPSTREAM_URL.replace(/\/$/, ""), batch);
  const app = createClientApp({ upstream, registry, ...limits });
  const server = await serveHttp((request) => app.handle(request), {
    hostname: config.HOST,
    port: config.PORT,
    // Outlasts the forwarding deadline, so a slow answer reaches the caller instead of a dropped connection.
    idleTimeoutSeconds: Math.ceil(FORWARD_TIMEOUT_MS / 1000) + 10,
  });
  logger.info({ port: config.PORT, upstream: config.UPSTREAM_URL }, "accepting votes");
  return {
    async stop() {
      await server.stop();
    },
  };
});
