import { appliedOffsetsKey, type Route, sleep, tallyKeys, VOTES_COLLECTION, type Vote } from "@marimba/shared";
import { createMongo, createRedis } from "@marimba/shared/storage";
import type { Redis } from "ioredis";
import { generateVotes } from "../generate.ts";
import { round } from "../stats.ts";
import { PerMessageConsumer } from "./baseline-consumer.ts";
import { CpuMeter, type CpuUse } from "./cpu.ts";
import { benchKafka, createTopic, deleteGroup, deleteTopic, produceVotes } from "./kafka.ts";
import { MemorySampler } from "./memory.ts";
import { component, logFile, runningPid, runningProcesses, stackEnv, startComponent, stopComponent, withEnv } from "./stack.ts";

export interface DrainOptions {
  votes: number;
  baselineVotes: number;
  /** The baseline stops after this long even short of `baselineVotes`: its rate is known by then. */
  baselineSeconds?: number;
  partitions?: number;
  /** Partitions each consumer works on at once (the real consumer's CONSUMER_CONCURRENCY). */
  concurrency?: number;
  /** The RAM JavaScriptCore sizes the consumer's heap for, in MiB, as in a container; unset, the machine's. */
  consumerRamMb?: number;
  timeoutMs?: number;
  log: (line: string) => void;
}

/** How fast one consumer turned a backlog into stored votes and counters. */
export interface DrainRun {
  votes: number;
  /** From launching the consumer until every vote was counted, start-up and group join included. */
  wallSeconds: number;
  /** From the first counted votes until the last: the steady drain. */
  drainSeconds: number;
  votesPerSecond: number;
  /** Votes found in MongoDB afterwards (must equal `votes`). */
  stored: number;
  /** Where the CPU went while this consumer drained. */
  cpu: CpuUse;
  /** The consumer process's peak RSS while it started and drained, in MB (the baseline runs inside the bench). */
  peakRssMb?: number;
}

export interface DrainResult {
  topic: string;
  partitions: number;
  preload: { votes: number; seconds: number; votesPerSecond: number };
  consumer: DrainRun;
  baseline: DrainRun;
  /** consumer ÷ baseline votes per second. */
  ratio: number;
}

/** A Redis database of its own, so the bench never touches the stack's real counters. */
export function benchRedisUrl(redisUrl = stackEnv.REDIS_URL): string {
  const url = new URL(redisUrl);
  url.pathname = "/1";
  return url.toString();
}

export const BASELINE_KEYS = { total: "bench:baseline:votes:total", band: "bench:baseline:votes:band" } as const;

/** Votes in the wire format of docs/ARCHITECTURE.md, as an edge would have accepted them. */
export function wireVotes(count: number, seed = 2026): Vote[] {
  const routes: Route[] = ["http", "grpc"];
  return generateVotes({ count, skew: 0.6, seed }).map((input, index) => {
    const now = new Date();
    return { id: Bun.randomUUIDv7("hex", now), ...input, route: routes[index % 2] as Route, acceptedAt: now.toISOString() };
  });
}

interface Counting {
  launchedAt: number;
  firstAt: number;
  countedAtFirst: number;
  doneAt: number;
  counted: number;
}

/**
 * Polls a Redis counter until it reaches `target`, noting when counting began and ended.
 * After `enoughMs` of counting it settles for what it has (a rate needs no full run); after
 * `timeoutMs` without reaching the target it fails.
 */
async function watchCounter(
  redis: Redis,
  key: string,
  target: number,
  limits: { timeoutMs: number; enoughMs?: number },
  failed: () => Error | null = () => null,
): Promise<Counting> {
  const launchedAt = performance.now();
  let firstAt = Number.NaN;
  let countedAtFirst = 0;
  for (;;) {
    const problem = failed();
    if (problem) throw problem;
    const counted = Number((await redis.get(key)) ?? 0);
    const now = performance.now();
    if (counted > 0 && Number.isNaN(firstAt)) {
      firstAt = now;
      countedAtFirst = counted;
    }
    const enough = limits.enoughMs !== undefined && counted > countedAtFirst && now - firstAt >= limits.enoughMs;
    if (counted >= target || enough) return { launchedAt, firstAt, countedAtFirst, doneAt: now, counted: Math.min(counted, target) };
    if (now - launchedAt > limits.timeoutMs)
      throw new Error(`only ${counted} of ${target} votes were counted within ${limits.timeoutMs / 1000} s`);
    await sleep(50);
  }
}

function drainRun(counting: Counting, stored: number, cpu: CpuUse, peakRssMb?: number): DrainRun {
  const drainSeconds = (counting.doneAt - counting.firstAt) / 1000;
  const measured = counting.counted - counting.countedAtFirst;
  return {
    votes: counting.counted,
    wallSeconds: round((counting.doneAt - counting.launchedAt) / 1000),
    drainSeconds: round(drainSeconds),
    // Everything landed in one poll: the drain was faster than the poll interval can tell.
    votesPerSecond: measured > 0 && drainSeconds > 0 ? round(measured / drainSeconds) : Number.NaN,
    stored,
    cpu,
    ...(peakRssMb === undefined ? {} : { peakRssMb }),
  };
}

/**
 * Drain: a backlog preloaded into a fresh topic, drained by the real consumer (with its own
 * Redis database and MongoDB database, so the stack's tallies stay clean), then by the
 * per-message baseline. The stack's consumer is stopped meanwhile and restarted afterwards.
 */
export async function runDrain(options: DrainOptions): Promise<DrainResult> {
  const consumerComponent = component("consumer");
  if (!consumerComponent) throw new Error("the stack runs no consumer (consumer/src/index.ts is missing)");
  const partitions = options.partitions ?? 6;
  const concurrency = options.concurrency ?? 3;
  const timeoutMs = options.timeoutMs ?? 15 * 60_000;
  const runId = Date.now().toString(36);
  const topic = `bench-drain-${runId}`;
  const baselineGroup = `marimba-bench-baseline-${runId}`;
  const benchDb = `${stackEnv.MONGO_DB}_bench`;
  const redisUrl = benchRedisUrl();
  const kafka = benchKafka();
  const redis = createRedis(redisUrl);
  const mongo = createMongo(stackEnv.MONGO_URL);
  const db = mongo.db(benchDb);
  const benchKeys = [...Object.values(tallyKeys), ...Object.values(BASELINE_KEYS), appliedOffsetsKey(topic)];
  const drainConsumer = withEnv(consumerComponent, {
    KAFKA_TOPIC: topic,
    MONGO_DB: benchDb,
    REDIS_URL: redisUrl,
    CONSUMER_CONCURRENCY: String(concurrency),
    ...(options.consumerRamMb ? { BUN_JSC_forceRAMSize: String(options.consumerRamMb * 1024 * 1024) } : {}),
  });
  let stackConsumerStopped = false;
  try {
    await redis.del(...benchKeys);
    await db.dropDatabase();
    await createTopic(kafka, topic, partitions);

    options.log(`  preloading ${options.votes} votes into ${topic} (${partitions} partitions)`);
    const votes = wireVotes(options.votes);
    const preloadStarted = performance.now();
    await produceVotes(kafka, topic, votes);
    const preloadSeconds = (performance.now() - preloadStarted) / 1000;

    options.log("  stopping the stack's consumer; starting it on the bench topic");
    stackConsumerStopped = true;
    await stopComponent(consumerComponent);
    let startFailure: Error | null = null;
    let running = false;
    const consumerMeter = new CpuMeter(runningProcesses);
    const consumerMemory = new MemorySampler(() => runningProcesses().filter((process) => process.name === drainConsumer.name), 100);
    const starting = startComponent(drainConsumer).then(
      () => {
        running = true;
      },
      (error: Error) => {
        startFailure = error;
      },
    );
    const consumerFailure = () =>
      startFailure ??
      (running && runningPid(drainConsumer.name) === null
        ? new Error(`the consumer exited while draining; see ${logFile(drainConsumer.name)}`)
        : null);
    const counted = await watchCounter(redis, tallyKeys.total, options.votes, { timeoutMs }, consumerFailure);
    const consumerCpu = consumerMeter.stop();
    const [memory] = consumerMemory.stop();
    await starting;
    const stored = await db.collection(VOTES_COLLECTION).countDocuments();
    await stopComponent(drainConsumer);
    const consumer = drainRun(counted, stored, consumerCpu, memory?.highWaterMb);
    options.log(
      `    ${consumer.votesPerSecond} votes/s (${consumer.drainSeconds} s draining, ${consumer.wallSeconds} s with start-up), peak RSS ${consumer.peakRssMb ?? "?"} MB`,
    );

    options.log(`  per-message baseline: ${options.baselineVotes} votes from the same topic (at most ${options.baselineSeconds ?? 60} s)`);
    const baselineVotes = db.collection<{ _id: string } & Record<string, unknown>>("baseline_votes");
    const baseline = new PerMessageConsumer(
      kafka,
      { topic, groupId: baselineGroup, concurrency },
      { votes: baselineVotes, redis, totalKey: BASELINE_KEYS.total, bandKey: BASELINE_KEYS.band },
    );
    let baselineCounted: Counting;
    const baselineMeter = new CpuMeter(runningProcesses);
    try {
      let startFailure: Error | null = null;
      const baselineStart = baseline.start().catch((error: Error) => {
        startFailure = error;
      });
      baselineCounted = await watchCounter(
        redis,
        BASELINE_KEYS.total,
        options.baselineVotes,
        { timeoutMs, enoughMs: (options.baselineSeconds ?? 60) * 1000 },
        () => startFailure ?? baseline.failure,
      );
      await baselineStart;
    } finally {
      await baseline.stop();
    }
    const baselineCpu = baselineMeter.stop();
    // The baseline may store a few votes past the count it was stopped at; those are not timed.
    const baselineStored = Math.min(await baselineVotes.countDocuments(), baselineCounted.counted);
    const baselineRun = drainRun(baselineCounted, baselineStored, baselineCpu);
    options.log(`    ${baselineRun.votesPerSecond} votes/s`);

    return {
      topic,
      partitions,
      preload: { votes: options.votes, seconds: round(preloadSeconds), votesPerSecond: round(options.votes / preloadSeconds) },
      consumer,
      baseline: baselineRun,
      ratio: round(consumer.votesPerSecond / baselineRun.votesPerSecond),
    };
  } finally {
    if (stackConsumerStopped) {
      // Same pid file as the stack's consumer: stop the bench one (if still up) before restarting the real one.
      await stopComponent(drainConsumer).catch(() => false);
      await startComponent(consumerComponent);
    }
    await deleteTopic(kafka, topic).catch(() => {});
    await deleteGroup(kafka, baselineGroup);
    await redis.del(...benchKeys).catch(() => 0);
    await db.dropDatabase().catch(() => false);
    redis.disconnect();
    await mongo.close();
  }
}
