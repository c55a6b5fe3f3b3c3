import { env, LOCAL_DEFAULTS, loadConfig } from "@marimba/shared";
import { createMongo, createRedis } from "@marimba/shared/storage";
import { type RecountProgress, recount } from "./recount.ts";

// `npm run recount`: rebuilds the Redis counters from the MongoDB vote log, showing its progress.
const config = loadConfig({
  MONGO_URL: env.url(LOCAL_DEFAULTS.MONGO_URL),
  MONGO_DB: env.text(LOCAL_DEFAULTS.MONGO_DB),
  REDIS_URL: env.url(LOCAL_DEFAULTS.REDIS_URL),
  RECOUNT_LOCK_TTL_MS: env.positiveInt(30_000),
});
// The recount reads the whole vote log: minutes on a large one, still not forever.
const mongo = createMongo(config.MONGO_URL, { replyTimeoutMS: 30 * 60_000 });
const redis = createRedis(config.REDIS_URL);
const interactive = process.stderr.isTTY;
const show = ({ read, counted, perSecond, seconds, attempt }: RecountProgress) => {
  const line = `recount${attempt > 1 ? ` (attempt ${attempt})` : ""}: ${read.toLocaleString("en-US")} votes read, ${counted.toLocaleString("en-US")} counted, ${Math.round(perSecond).toLocaleString("en-US")}/s, ${seconds.toFixed(0)} s`;
  process.stderr.write(interactive ? `\r${line}\u001b[K` : `${line}\n`);
};
try {
  const result = await recount(mongo.db(config.MONGO_DB), redis, { lockTtlMs: config.RECOUNT_LOCK_TTL_MS, onProgress: show });
  if (interactive) process.stderr.write("\n");
  console.log(
    `recounted ${result.total} votes from MongoDB (${result.read} read) in ${result.seconds.toFixed(2)} s${result.attempts > 1 ? ` after ${result.attempts} attempts` : ""}`,
  );
} catch (error) {
  if (interactive) process.stderr.write("\n");
  console.error(`recount failed: ${(error as Error).message}`);
  process.exitCode = 1;
} finally {
  await mongo.close();
  redis.disconnect();
}
