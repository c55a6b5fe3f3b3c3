import { createLogger, createRegistry, env, loadConfig, runService } from "@marimba/shared";
import { createClientApp } from "./app.ts";
import { VoteUpstream } from "./upstream.ts";

const logger = createLogger("producer-http-client");

await runService(logger, async () => {
  const config = loadConfig({
    PORT: env.port(8000),
    HOST: env.text("127.0.0.1"),
    UPSTREAM_URL: env.url("http://127.0.0.1:8080"),
  });
  const registry = createRegistry("producer-http-client");
  const upstream = new VoteUpstream(config.UPSTREAM_URL.replace(/\/$/, ""));
  const app = createClientApp({ upstream, registry }).listen({ hostname: config.HOST, port: config.PORT });
  logger.info({ port: config.PORT, upstream: config.UPSTREAM_URL }, "accepting votes");
  return {
    async stop() {
      await app.stop(false);
    },
  };
});
