import { createLogger, createRegistry, DEFAULT_COALESCER_OPTIONS, env, loadConfig, MAX_BULK_VOTES, runService } from "@marimba/shared";
import { createClientApp } from "./app.ts";
import { VoteUpstream } from "./upstream.ts";

const logger = createLogger("producer-http-client");

await runService(logger, async () => {
  const config = loadConfig({
    PORT: env.port(8000),
    HOST: env.text("127.0.0.1"),
    UPSTREAM_URL: env.url("http://127.0.0.1:8080"),
    // Most votes per upstream request; 1 sends every request on its own, as before coalescing.
    UPSTREAM_BATCH_VOTES: env.positiveInt(DEFAULT_COALESCER_OPTIONS.maxItems),
  });
  const registry = createRegistry("producer-http-client");
  const upstream = new VoteUpstream(config.UPSTREAM_URL.replace(/\/$/, ""), {
    maxItems: Math.min(config.UPSTREAM_BATCH_VOTES, MAX_BULK_VOTES),
  });
  const app = createClientApp({ upstream, registry }).listen({ hostname: config.HOST, port: config.PORT });
  logger.info({ port: config.PORT, upstream: config.UPSTREAM_URL }, "accepting votes");
  return {
    async stop() {
      await app.stop(false);
    },
  };
});
