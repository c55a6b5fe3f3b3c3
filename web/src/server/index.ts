import { join } from "node:path";
import {
  createKafka,
  createLogger,
  createRegistry,
  env,
  kafkaEnv,
  LOCAL_DEFAULTS,
  loadConfig,
  runService,
  serveHttp,
} from "@marimba/shared";
import { createMongo, createRedis } from "@marimba/shared/storage";
import { createDashboardApp } from "./app.ts";
import { KafkaEndOffsets } from "./kafka-offsets.ts";
import { DEFAULT_LIVE_OPTIONS, LiveFeed } from "./live.ts";
import { liveMetrics, pipelineMetrics } from "./metrics.ts";
import { PipelineWatch } from "./pipeline.ts";
import { Deadlined, storeAddress } from "./reads.ts";
import { SeriesReader } from "./series.ts";
import { TallyReader } from "./tally.ts";
import { VoteLogReader } from "./vote-log.ts";

const logger = createLogger("web");

await runService(logger, async () => {
  const config = loadConfig({
    PORT: env.port(8088),
    // Cloud Run (it sets K_SERVICE) routes to the container's external interface, never to loopback.
    HOST: env.text(process.env.K_SERVICE ? "0.0.0.0" : "127.0.0.1"),
    ...kafkaEnv,
    MONGO_URL: env.url(LOCAL_DEFAULTS.MONGO_URL),
    MONGO_DB: env.text(LOCAL_DEFAULTS.MONGO_DB),
    REDIS_URL: env.url(LOCAL_DEFAULTS.REDIS_URL),
    DIST_DIR: env.text(join(import.meta.dir, "..", "..", "dist")),
    MAX_STREAMS: env.positiveInt(DEFAULT_LIVE_OPTIONS.maxClients),
  });
  const registry = createRegistry("web");
  const mongo = createMongo(config.MONGO_URL);
  const redis = createRedis(config.REDIS_URL);
  const kafka = createKafka("marimba-web", config.KAFKA_BROKERS, logger);
  const addresses = { redis: storeAddress(config.REDIS_URL, 6379), mongo: storeAddress(config.MONGO_URL, 27017) };
  const { redisDeadlineMs, mongoDeadlineMs } = DEFAULT_LIVE_OPTIONS;
  const votes = new VoteLogReader(mongo.db(config.MONGO_DB));
  const tally = new TallyReader(redis, config.KAFKA_TOPIC);
  const endOffsets = new KafkaEndOffsets(kafka, config.KAFKA_TOPIC);
  const pipeline = new PipelineWatch(
    { kafka: endOffsets, redis: tally, mongo: votes },
    {
      kafka: new Deadlined("Kafka", 2000),
      redis: new Deadlined("Redis", redisDeadlineMs, addresses.redis),
      mongo: new Deadlined("MongoDB", mongoDeadlineMs, addresses.mongo),
    },
  );
  pipelineMetrics(registry, () => pipeline.read());
  const feed = new LiveFeed({ tally, votes, pipeline }, logger, { maxClients: config.MAX_STREAMS }, liveMetrics(registry), addresses);
  const app = createDashboardApp({
    votes,
    tally,
    series: new SeriesReader(redis),
    pipeline,
    feed,
    registry,
    checks: { mongo: () => votes.ping(), redis: () => tally.ping() },
    distDir: config.DIST_DIR,
    deadlines: { redisMs: redisDeadlineMs, mongoMs: mongoDeadlineMs },
    addresses,
  });
  const server = await serveHttp((request) => app.handle(request), { hostname: config.HOST, port: config.PORT });
  logger.info({ url: `http://${config.HOST}:${config.PORT}/`, dist: config.DIST_DIR }, "serving the dashboard");
  return {
    async stop() {
      feed.close(); // open streams would otherwise hold the graceful stop open
      await server.stop();
      await endOffsets.close();
      await mongo.close();
      redis.disconnect();
    },
  };
});
