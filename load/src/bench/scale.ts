import { applyBatch, type PartitionBatch } from "@marimba/consumer/apply";
import { TallyCounters } from "@marimba/consumer/counters";
import { NewestVotes } from "@marimba/consumer/newest";
import { recount } from "@marimba/consumer/recount";
import { VoteLog } from "@marimba/consumer/vote-log";
import { createLogger, sleep, tallyKeys, waitUntil } from "@marimba/shared";
import { createMongo, createRedis } from "@marimba/shared/storage";
import type { Redis } from "ioredis";
import type { Kafka } from "kafkajs";
import { round, Samples, summarize } from "../stats.ts";
import { CpuMeter } from "./cpu.ts";
import { wireVotes } from "./drain.ts";
import { benchKafka, createTopic, deleteTopic } from "./kafka.ts";
import { component, ports, runningProcesses, stackEnv, startComponent, stopComponent, urls, withEnv } from "./stack.ts";

export interface ScaleOptions {
  /** Stored votes at which everything is measured, ascending (e.g. 0, 100k, 1M). */
  levels: readonly number[];
  /** Votes per second produced during each level's live measurement. */
  rate: number;
  /** Seconds of live load per level (end-to-end latency, SSE interval, consumer CPU). */
  seconds: number;
  /** Requests per read path and level, sequential; the concurrent run sends the same number per client. */
  requests: number;
  concurrency: number;
  /** Recount at each level (the longest step at a million). */
  recount: boolean;
  log: (line: string) => void;
}

/** Latency of one read path in ms, one client at a time and with many at once. */
export interface ReadLatency {
  sequential: { p50: number; p99: number };
  concurrent: { p50: number; p99: number; clients: number };
  /** Answers that were not 200. */
  failures: number;
}

export interface ScaleLevel {
  /** Votes in the log when this level was measured. */
  stored: number;
  votes: ReadLatency;
  tally: ReadLatency;
  /** Time between two SSE tally updates while votes flowed, in ms. */
  sseIntervalMs: { p50: number; max: number; snapshots: number };
  /** `storedAt − acceptedAt` at `rate` votes/s, from the consumer's histogram (interpolated within its buckets). */
  e2e: { votes: number; achievedRate: number; p50Ms: number; p99Ms: number };
  /** Consumer CPU time per vote stored while the load ran, in µs. */
  consumerCpuUsPerVote: number;
  /** FerretDB's (the store's) CPU time per vote stored meanwhile, in µs; 0 for an external store. */
  storeCpuUsPerVote: number;
  /** Share of the machine's CPU that went to processes outside the stack and bench meanwhile. */
  othersPercent: number;
  recount?: { seconds: number; read: number; votesPerSecond: number; exact: boolean };
}

export interface ScaleResult {
  topic: string;
  database: string;
  preload: { votes: number; seconds: number; votesPerSecond: number };
  levels: ScaleLevel[];
}

const PARTITIONS = 6;
const PRELOAD_SLICE = 2000;
const quiet = createLogger("bench-scale");
quiet.level = "silent";

/** Reads a Prometheus histogram's cumulative buckets from /metrics text. */
export function histogramBuckets(text: string, name: string): { le: number; count: number }[] {
  const buckets: { le: number; count: number }[] = [];
  const pattern = new RegExp(`^${name}_bucket\\{[^}]*le="([^"]+)"[^}]*\\} (\\d+(?:\\.\\d+)?)`, "gm");
  for (const match of text.matchAll(pattern)) {
    buckets.push({ le: match[1] === "+Inf" ? Number.POSITIVE_INFINITY : Number(match[1]), count: Number(match[2]) });
  }
  return buckets.sort((a, b) => a.le - b.le);
}

/** The q-quantile of the observations between two scrapes, interpolated linearly within a bucket (as histogram_quantile does). */
export function quantileBetween(before: { le: number; count: number }[], after: { le: number; count: number }[], q: number): number {
  const counts = after.map((bucket, i) => ({ le: bucket.le, count: bucket.count - (before[i]?.count ?? 0) }));
  const total = counts.at(-1)?.count ?? 0;
  if (total === 0) return Number.NaN;
  const rank = q * total;
  let lower = 0;
  let below = 0;
  for (const { le, count } of counts) {
    if (count >= rank) {
      if (!Number.isFinite(le)) return lower;
      return lower + ((le - lower) * (rank - below)) / Math.max(1, count - below);
    }
    lower = le;
    below = count;
  }
  return lower;
}

async function timed(url: string): Promise<{ ms: number; ok: boolean }> {
  const started = performance.now();
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    await response.arrayBuffer();
    return { ms: performance.now() - started, ok: response.status === 200 };
  } catch {
    return { ms: performance.now() - started, ok: false };
  }
}

/** p50/p99 of a read path, one request at a time, then with `clients` at once. */
async function measureRead(url: string, requests: number, clients: number): Promise<ReadLatency> {
  let failures = 0;
  const sequential = new Samples();
  for (let i = 0; i < requests; i++) {
    const { ms, ok } = await timed(url);
    sequential.push(ms);
    if (!ok) failures++;
  }
  const concurrent = new Samples();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      for (let i = 0; i < Math.max(1, Math.round(requests / 10)); i++) {
        const { ms, ok } = await timed(url);
        concurrent.push(ms);
        if (!ok) failures++;
      }
    }),
  );
  const s = summarize(sequential.values());
  const c = summarize(concurrent.values());
  return {
    sequential: { p50: round(s.p50), p99: round(s.p99) },
    concurrent: { p50: round(c.p50), p99: round(c.p99), clients },
    failures,
  };
}

/** Times of the stream's tally updates (the first snapshot, then each `tally` event) until `signal` aborts. */
async function watchSnapshots(signal: AbortSignal): Promise<number[]> {
  const times: number[] = [];
  try {
    const response = await fetch(`${urls.dashboard}/api/stream`, { signal });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
      let end = text.indexOf("\n\n");
      while (end !== -1) {
        if (/^event: (snapshot|tally)$/m.test(text.slice(0, end))) times.push(performance.now());
        text = text.slice(end + 2);
        end = text.indexOf("\n\n");
      }
    }
  } catch {
    // aborted: the measurement window is over
  }
  return times;
}

/** Produces `rate` votes a second for `seconds` in ten sends a second, each vote accepted as it is sent. */
async function produceAtRate(kafka: Kafka, topic: string, rate: number, seconds: number): Promise<number> {
  const producer = kafka.producer({ allowAutoTopicCreation: false, idempotent: true });
  await producer.connect();
  let sent = 0;
  try {
    const started = performance.now();
    const ticks = Math.round(seconds * 10);
    const sends: Promise<unknown>[] = [];
    for (let tick = 0; tick < ticks; tick++) {
      const wait = started + tick * 100 - performance.now();
      if (wait > 0) await sleep(wait);
      const votes = wireVotes(Math.round(rate / 10), tick + 1);
      sent += votes.length;
      sends.push(producer.send({ topic, acks: -1, messages: votes.map((vote) => ({ key: vote.id, value: JSON.stringify(vote) })) }));
    }
    await Promise.all(sends);
  } finally {
    await producer.disconnect();
  }
  return sent;
}

/**
 * Writes votes into the store exactly as the consumer does — its own applyBatch, VoteLog,
 * NewestVotes and counters — for a topic that exists only in the log: documents, counters,
 * applied offsets and the newest votes all agree, and a recount finds the same tallies.
 */
async function preload(
  deps: Parameters<typeof applyBatch>[0],
  topic: string,
  from: number,
  count: number,
  log: (line: string) => void,
): Promise<void> {
  const counters = deps.counters;
  const started = performance.now();
  let lastReport = started;
  for (let done = 0; done < count; ) {
    const size = Math.min(PRELOAD_SLICE * 3, count - done);
    const votes = wireVotes(size, from + done + 1);
    const batches: PartitionBatch[] = [];
    for (let partition = 0; partition < 3; partition++) {
      const slice = votes.filter((_, i) => i % 3 === partition);
      if (slice.length === 0) continue;
      // Offsets continue per partition from the applied one: each preloaded vote has its own position.
      const first = Number(await counters.appliedOffset(topic, partition)) + 1;
      batches.push({
        topic,
        partition,
        messages: slice.map((vote, i) => ({ offset: String(first + i), value: Buffer.from(JSON.stringify(vote)) })),
      });
    }
    await Promise.all(batches.map((batch) => applyBatch(deps, batch)));
    done += size;
    if (performance.now() - lastReport > 10_000 || done === count) {
      lastReport = performance.now();
      const seconds = (lastReport - started) / 1000;
      log(`    preloaded ${(from + done).toLocaleString("en-US")} votes (${Math.round(done / seconds).toLocaleString("en-US")}/s)`);
    }
  }
}

async function consumerMetricsText(): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${ports.consumer}/metrics`, { signal: AbortSignal.timeout(5000) });
  return response.text();
}

/** One level's live measurement: votes flowing at `rate`, the stream watched, the consumer's CPU metered. */
async function measureLive(
  options: ScaleOptions,
  kafka: Kafka,
  topic: string,
  redis: Redis,
): Promise<Pick<ScaleLevel, "sseIntervalMs" | "e2e" | "consumerCpuUsPerVote" | "storeCpuUsPerVote" | "othersPercent">> {
  const lag = "marimba_vote_store_lag_seconds";
  const before = histogramBuckets(await consumerMetricsText(), lag);
  const countedBefore = Number((await redis.get(tallyKeys.total)) ?? 0);
  const stream = new AbortController();
  const snapshots = watchSnapshots(stream.signal);
  const meter = new CpuMeter(runningProcesses);
  const started = performance.now();
  const sent = await produceAtRate(kafka, topic, options.rate, options.seconds);
  const produceSeconds = (performance.now() - started) / 1000;
  const counted = await waitUntil(async () => Number((await redis.get(tallyKeys.total)) ?? 0) >= countedBefore + sent, 120_000, 100);
  const cpu = meter.stop();
  stream.abort();
  const times = await snapshots;
  if (!counted) options.log("    not every vote was counted within 120 s of the load");
  const after = histogramBuckets(await consumerMetricsText(), lag);
  const intervals = times.slice(1).map((time, i) => time - (times[i] as number));
  const perVote = (name: string) =>
    round((((cpu.byProcess.find((process) => process.name === name)?.percentOfCore ?? 0) / 100) * cpu.seconds * 1e6) / Math.max(1, sent));
  const interval = summarize(intervals);
  return {
    sseIntervalMs: { p50: round(interval.p50), max: round(interval.max), snapshots: times.length },
    e2e: {
      votes: sent,
      achievedRate: round(sent / produceSeconds),
      p50Ms: round(quantileBetween(before, after, 0.5) * 1000),
      p99Ms: round(quantileBetween(before, after, 0.99) * 1000),
    },
    consumerCpuUsPerVote: perVote("consumer"),
    storeCpuUsPerVote: perVote("ferretdb"),
    othersPercent: cpu.othersPercent,
  };
}

/**
 * Scale: the store grown to each level (0, 100k, 1M stored votes) with the consumer's own
 * write path, then at each level the dashboard's reads, its stream, the consumer under a
 * steady rate and a full recount. Runs on a topic, a MongoDB database and a Redis database of
 * its own, with the stack's consumer and dashboard pointed at them meanwhile, and removes them
 * afterwards: the stack's own log stays as small as it was.
 */
export async function runScale(options: ScaleOptions): Promise<ScaleResult> {
  const consumerComponent = component("consumer");
  const webComponent = component("web");
  if (!consumerComponent || !webComponent) throw new Error("the stack runs no consumer or no dashboard");
  const runId = Date.now().toString(36);
  const topic = `bench-scale-${runId}`;
  const preloadTopic = `${topic}-preload`;
  const database = `${stackEnv.MONGO_DB}_scale`;
  const redisUrl = (() => {
    const url = new URL(stackEnv.REDIS_URL);
    url.pathname = "/2";
    return url.toString();
  })();
  const kafka = benchKafka("marimba-bench-scale");
  const redis = createRedis(redisUrl);
  const mongo = createMongo(stackEnv.MONGO_URL);
  const db = mongo.db(database);
  const env = { KAFKA_TOPIC: topic, MONGO_DB: database, REDIS_URL: redisUrl };
  const benchConsumer = withEnv(consumerComponent, env);
  const benchWeb = withEnv(webComponent, env);
  const votesLog = new VoteLog(db);
  const deps = { voteLog: votesLog, counters: new TallyCounters(redis), newest: new NewestVotes(db, quiet), logger: quiet };
  const levels: ScaleLevel[] = [];
  let preloaded = 0;
  let preloadSeconds = 0;
  let swapped = false;
  try {
    await redis.flushdb();
    await db.dropDatabase();
    await votesLog.ensureIndexes();
    await createTopic(kafka, topic, PARTITIONS);
    options.log(`  the stack's consumer and dashboard now serve ${database} (topic ${topic}, Redis ${redisUrl})`);
    swapped = true;
    await stopComponent(consumerComponent);
    await stopComponent(webComponent);
    await startComponent(benchConsumer);
    await startComponent(benchWeb);

    for (const level of options.levels) {
      const stored = Number((await redis.get(tallyKeys.total)) ?? 0);
      if (level > stored) {
        options.log(`  growing the store from ${stored.toLocaleString("en-US")} to ${level.toLocaleString("en-US")} votes`);
        const started = performance.now();
        await preload(deps, preloadTopic, preloaded, level - stored, options.log);
        preloadSeconds += (performance.now() - started) / 1000;
        preloaded += level - stored;
      }
      const atLevel = Number((await redis.get(tallyKeys.total)) ?? 0);
      options.log(`  at ${atLevel.toLocaleString("en-US")} stored votes:`);
      const live = await measureLive(options, kafka, topic, redis);
      options.log(
        `    ${options.rate} votes/s: e2e p99 ${live.e2e.p99Ms} ms, SSE every ${live.sseIntervalMs.p50} ms (max ${live.sseIntervalMs.max}), consumer ${live.consumerCpuUsPerVote} µs CPU/vote`,
      );
      const votes = await measureRead(`${urls.dashboard}/api/votes?limit=20`, options.requests, options.concurrency);
      const tally = await measureRead(`${urls.dashboard}/api/tally`, options.requests, options.concurrency);
      options.log(
        `    /api/votes p99 ${votes.sequential.p99} ms (${options.concurrency} clients: ${votes.concurrent.p99} ms), /api/tally p99 ${tally.sequential.p99} ms (${tally.concurrent.p99} ms)`,
      );
      const entry: ScaleLevel = { stored: atLevel, votes, tally, ...live };
      if (options.recount) {
        const before = await redis.mget(tallyKeys.total);
        const snapshot = await Promise.all(
          [tallyKeys.band, tallyKeys.album, tallyKeys.rank, tallyKeys.route].map((key) => redis.hgetall(key)),
        );
        let lastLine = 0;
        const result = await recount(db, redis, {
          onProgress: ({ read, perSecond }) => {
            if (performance.now() - lastLine < 10_000) return;
            lastLine = performance.now();
            options.log(`    recount: ${read.toLocaleString("en-US")} read (${Math.round(perSecond).toLocaleString("en-US")}/s)`);
          },
        });
        const after = await Promise.all(
          [tallyKeys.band, tallyKeys.album, tallyKeys.rank, tallyKeys.route].map((key) => redis.hgetall(key)),
        );
        // Field order is not part of a tally: partitions counted in another order than they were stored list them apart.
        const sorted = (hashes: Record<string, string>[]) => JSON.stringify(hashes.map((hash) => Object.entries(hash).sort()));
        const exact = String(result.total) === before[0] && sorted(after) === sorted(snapshot);
        entry.recount = { seconds: round(result.seconds), read: result.read, votesPerSecond: round(result.read / result.seconds), exact };
        options.log(
          `    recount of ${result.total.toLocaleString("en-US")} votes: ${round(result.seconds)} s, ${exact ? "exact" : "NOT EXACT"}`,
        );
      }
      levels.push(entry);
    }
    return {
      topic,
      database,
      preload: { votes: preloaded, seconds: round(preloadSeconds), votesPerSecond: round(preloaded / Math.max(1e-9, preloadSeconds)) },
      levels,
    };
  } finally {
    if (swapped) {
      await stopComponent(benchWeb).catch(() => false);
      await stopComponent(benchConsumer).catch(() => false);
      await startComponent(consumerComponent);
      await startComponent(webComponent);
    }
    await deleteTopic(kafka, topic).catch(() => {});
    await db.dropDatabase().catch(() => false);
    await redis.flushdb().catch(() => "");
    redis.disconnect();
    await mongo.close();
  }
}
