import { hostname } from "node:os";
import {
  createKafka,
  createLogger,
  createRegistry,
  env,
  KafkaProbe,
  kafkaEnv,
  LOCAL_DEFAULTS,
  loadConfig,
  runService,
} from "@marimba/shared";
import { createMongo, createRedis } from "@marimba/shared/storage";
import { createProbeApp } from "./app.ts";
import { CONSUMER_GROUP, VoteConsumer } from "./consumer.ts";
import { CounterRepair } from "./counter-repair.ts";
import { RECOUNT_LOCK_KEY, TallyCounters } from "./counters.ts";
import { ConsumerHeartbeat } from "./heartbeat.ts";
import { consumerMetrics, heartbeatMetrics, newestVotesMetrics, voteLogMetrics } from "./metrics.ts";
import { MongoStore } from "./mongo-store.ts";
import { NewestVotes } from "./newest.ts";
import { recount } from "./recount.ts";
import { STORE_REPLY_TIMEOUT_MS, VoteLog } from "./vote-log.ts";

const logger = createLogger("consumer");

/** A recount reads the whole vote log: its MongoDB calls get minutes, not the batches' seconds. */
const RECOUNT_REPLY_TIMEOUT_MS = 30 * 60_000;

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
  const metrics = consumerMetrics(registry);
  const store = new MongoStore(() => createMongo(config.MONGO_URL, { replyTimeoutMS: STORE_REPLY_TIMEOUT_MS }), config.MONGO_DB, logger);
  const recountMongo = createMongo(config.MONGO_URL, { replyTimeoutMS: RECOUNT_REPLY_TIMEOUT_MS });
  const redis = createRedis(config.REDIS_URL, { autoPipelining: true });
  const voteLog = new VoteLog(store, undefined, voteLogMetrics(registry));
  const newest = new NewestVotes(() => store.db(), logger, newestVotesMetrics(registry));
  const counters = new TallyCounters(redis);
  const kafka = createKafka("marimba-consumer", config.KAFKA_BROKERS, logger);
  const kafkaProbe = new KafkaProbe(kafka).watch();
  const repairAdmin = kafka.admin({ retry: { retries: 2 } });
  const repair = new CounterRepair({
    admin: repairAdmin,
    counters,
    topic: config.KAFKA_TOPIC,
    groupId: CONSUMER_GROUP,
    recount: () => recount(recountMongo.db(config.MONGO_DB), redis),
    recountRunning: async () => (await redis.exists(RECOUNT_LOCK_KEY)) === 1,
    logger,
    observer: metrics.repair,
  });
  const consumer = new VoteConsumer(
    kafka,
    { topic: config.KAFKA_TOPIC, concurrency: config.CONSUMER_CONCURRENCY, sliceSize: config.CONSUMER_SLICE },
    { voteLog, counters, newest, logger },
    logger,
    metrics,
    repair,
  );
  // Each check names what batches wait for: the dependency that is failing, or the counters' repair.
  const server = createProbeApp(registry, {
    kafka: () =>
      !kafkaProbe.lastKnown ? "unreachable" : consumer.member ? (consumer.failingOn("kafka") ?? true) : "not in the consumer group yet",
    mongo: async () => consumer.failingOn("mongo") ?? (await voteLog.ping()),
    redis: async () => consumer.failingOn("redis") ?? (await counters.ping()),
    counters: () => repair.reason ?? consumer.failingOn("unknown") ?? true,
  }).listen({ hostname: config.HOST, port: config.PORT });

  // In Kubernetes the host name is the pod's name; locally the pid tells replicas apart.
  const heartbeat = new ConsumerHeartbeat(redis, `${hostname()}-${process.pid}`, logger, heartbeatMetrics(registry)).start();

  await voteLog.ensureIndexes();
  await repairAdmin.connect();
  await repair.check().catch((error: Error) => logger.warn({ err: error }, "could not check the counters against Kafka at start-up"));
  repair.watch();
  await consumer.start();
  logger.info({ port: config.PORT, topic: config.KAFKA_TOPIC }, "consuming votes");
  return {
    async stop() {
      heartbeat.stop();
      await consumer.stop();
      await server.stop();
      await kafkaProbe.close();
      await repairAdmin.disconnect().catch(() => {});
      await store.close().catch(() => {});
      await recountMongo.close().catch(() => {});
      redis.disconnect();
    },
  };
});
