import { join } from "node:path";
import { createLogger, createRegistry, env, LOCAL_DEFAULTS, loadConfig, runService } from "@marimba/shared";
import { createMongo, createRedis } from "@marimba/shared/storage";
import { createDashboardApp } from "./app.ts";
import { LiveFeed } from "./live.ts";
import { liveMetrics } from "./metrics.ts";
import { TallyReader } from "./tally.ts";
import { VoteLogReader } from "./vote-log.ts";

const logger = createLogger("web");

await runService(logger, async () => {
  const config = loadConfig({
    PORT: env.port(8088),
    // Cloud Run (it sets K_SERVICE) routes to the container's external interface, never to loopback.
    HOST: env.text(process.env.K_SERVICE ? "0.0.0.0" : "127.0.0.1"),
    MONGO_URL: env.url(LOCAL_DEFAULTS.MONGO_URL),
    MONGO_DB: env.text(LOCAL_DEFAULTS.MONGO_DB),
    REDIS_URL: env.url(LOCAL_DEFAULTS.REDIS_URL),
    DIST_DIR: env.text(join(import.meta.dir, "..", "..", "dist")),
  });
  const registry = createRegistry("web");
  const mongo = createMongo(config.MONGO_URL);
  const redis = createRedis(config.REDIS_URL);
  const votes = new VoteLogReader(mongo.db(config.MONGO_DB));
  const tally = new TallyReader(redis);
  const feed = new LiveFeed({ tally, votes }, logger, {}, liveMetrics(registry));
  const app = createDashboardApp({
    votes,
    tally,
    feed,
    registry,
    checks: { mongo: () => votes.ping(), redis: () => tally.ping() },
    distDir: config.DIST_DIR,
  }).listen({ hostname: config.HOST, port: config.PORT });
  logger.info({ url: `http://${config.HOST}:${config.PORT}/`, dist: config.DIST_DIR }, "serving the dashboard");
  return {
    async stop() {
      feed.close(); // open streams would otherwise hold the graceful stop open
      await app.stop(false);
      await mongo.close();
      redis.disconnect();
    },
  };
});
