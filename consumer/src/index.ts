import { createKafka, createLogger, createRegistry, env, kafkaEnv, LOCAL_DEFAULTS, loadConfig, runService } from "@marimba/shared";
import { createMongo, createRedis } from "@marimba/shared/storage";
import { createProbeApp } from "./app.ts";
import { VoteConsumer } from "./consumer.ts";
import { TallyCounters } from "./counters.ts";
import { consumerMetrics, newestVotesMetrics, voteLogMetrics } from "./metrics.ts";
import { NewestVotes } from "./newest.ts";
import { VoteLog } from "./vote-log.ts";

const logger = createLogger("consumer");

await runService(logger, async () => {
  const config = loadConfig({
    PORT: env.port(9101),
    ...kafkaEnv,
    MONGO_URL: env.url(LOCAL_DEFAULTS.MONGO_URL),
    MONGO_DB: env.text(LOCAL_DEFAULTS.MONGO_DB),
    REDIS_URL: env.url(LOCAL_DEFAULTS.REDIS_URL),
    CONSUMER_CONCURRENCY: env.positiveInt(3),
    CONSUMER_SLICE: env.positiveInt(1000),
    HOST: env.text("127.0.0.1"),
  });
  const registry = createRegistry("consumer");
  const mongo = createMongo(config.MONGO_URL);
  const redis = createRedis(config.REDIS_URL, { autoPipelining: true });
  const voteLog = new VoteLog(mongo.db(config.MONGO_DB), voteLogMetrics(registry));
  const counters = new TallyCounters(redis);
  const newest = new NewestVotes(mongo.db(config.MONGO_DB), logger, newestVotesMetrics(registry));
  const consumer = new VoteConsumer(
    createKafka("marimba-consumer", config.KAFKA_BROKERS, logger),
    { topic: config.KAFKA_TOPIC, concurrency: config.CONSUMER_CONCURRENCY, sliceSize: config.CONSUMER_SLICE },
    { voteLog, counters, newest, logger },
    logger,
    consumerMetrics(registry),
  );
  const server = createProbeApp(registry, {
    kafka: () => consumer.ready,
    mongo: () => voteLog.ping(),
    redis: () => counters.ping(),
  }).listen({ hostname: config.HOST, port: config.PORT });

  await voteLog.ensureIndexes();
  await consumer.start();
  logger.info({ port: config.PORT, topic: config.KAFKA_TOPIC }, "consuming votes");
  return {
    async stop() {
      await consumer.stop();
      await server.stop();
      await mongo.close();
      redis.disconnect();
    },
  };
});
