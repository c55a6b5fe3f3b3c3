import { env, LOCAL_DEFAULTS, loadConfig } from "@marimba/shared";
import { createMongo, createRedis } from "@marimba/shared/storage";
import { recount } from "./recount.ts";

// `npm run recount`: rebuilds the Redis counters from the MongoDB vote log.
const config = loadConfig({
  MONGO_URL: env.url(LOCAL_DEFAULTS.MONGO_URL),
  MONGO_DB: env.text(LOCAL_DEFAULTS.MONGO_DB),
  REDIS_URL: env.url(LOCAL_DEFAULTS.REDIS_URL),
});
// The recount reads the whole vote log: minutes on a large one, still not forever.
const mongo = createMongo(config.MONGO_URL, { replyTimeoutMS: 30 * 60_000 });
const redis = createRedis(config.REDIS_URL);
try {
  const result = await recount(mongo.db(config.MONGO_DB), redis);
  console.log(`recounted ${result.total} votes from MongoDB in ${result.seconds.toFixed(2)} s`);
} catch (error) {
  console.error(`recount failed: ${(error as Error).message}`);
  process.exitCode = 1;
} finally {
  await mongo.close();
  redis.disconnect();
}
