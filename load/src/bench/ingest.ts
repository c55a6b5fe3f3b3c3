import { type Route, waitUntil } from "@marimba/shared";
import { fireVotes, type RouteResult } from "../fire.ts";
import { ROUTE_PATHS } from "../routes.ts";
import { round } from "../stats.ts";
import { startBareServer } from "./bare.ts";
import { CpuMeter, type CpuUse } from "./cpu.ts";
import { benchKafka, consumerLag } from "./kafka.ts";
import { MemorySampler, type ProcessMemory } from "./memory.ts";
import { component, runningPid, runningProcesses, stackEnv, startComponent, stopComponent, urls } from "./stack.ts";

export interface IngestOptions {
  connections: number;
  durationSeconds: number;
  /** Unmeasured load before each measured target: the JITs of Bun and of Kafka's JVM warm up. */
  warmupSeconds: number;
  routes: readonly Route[];
  bodies: readonly Buffer[];
  /** How long to wait for the consumer to work off the previous run's votes before the next run. */
  catchUpTimeoutMs?: number;
  log: (line: string) => void;
}

export interface IngestResult {
  connections: number;
  durationSeconds: number;
  /** The bare Bun server: the most this machine answers with the same load generator. */
  bare: RouteResult;
  bareCpu: CpuUse;
  /**
   * Each route twice: with the consumer storing the votes meanwhile (the whole pipeline on the
   * same cores) and with the consumer stopped (the ingest path alone, as in a cluster where the
   * consumers have nodes of their own; the votes are stored once it is started again). Each
   * with its share of the bare server's rate and where the CPU went.
   */
  routes: { route: Route; consumer: ConsumerDuringRun; result: RouteResult; ofBare: number; cpu: CpuUse }[];
  /** Peak RSS of every process of the stack while the scenario ran. */
  memory: ProcessMemory[];
}

/** What the stack's consumer did while a route was measured. */
export type ConsumerDuringRun = "storing" | "stopped";

/** Lets the consumer finish the votes of the previous run, so every run starts on a quiet pipeline. */
export async function waitForConsumer(timeoutMs: number, log: (line: string) => void): Promise<void> {
  const kafka = benchKafka();
  const caughtUp = await waitUntil(async () => (await consumerLag(kafka, stackEnv.KAFKA_TOPIC)) === 0, timeoutMs, 500);
  if (!caughtUp) log(`  the consumer still has ${await consumerLag(kafka, stackEnv.KAFKA_TOPIC)} votes to store; going on`);
}

/**
 * Ingest: the bare server, then each route with the consumer storing and with it stopped, at
 * the same connections for the same time, each after a warm-up, while the RSS of every stack
 * process is sampled.
 */
export async function runIngest(options: IngestOptions): Promise<IngestResult> {
  const sampler = new MemorySampler(runningProcesses);
  const fire = (origin: string, route: Route, path: string, duration: number) =>
    fireVotes({
      shots: [{ origin, routes: [{ route, origin, path }], connections: options.connections }],
      bodies: options.bodies,
      duration,
    });
  const run = async (origin: string, route: Route, path: string, extra: { name: string; pid: number }[] = []) => {
    if (options.warmupSeconds > 0) await fire(origin, route, path, options.warmupSeconds);
    const meter = new CpuMeter(() => [...runningProcesses(), ...extra]);
    const [result] = await fire(origin, route, path, options.durationSeconds);
    return { result: result as RouteResult, cpu: meter.stop() };
  };
  const consumer = component("consumer");
  const catchUp = () => waitForConsumer(options.catchUpTimeoutMs ?? 120_000, options.log);
  try {
    const bare = await startBareServer();
    let measuredBare: Awaited<ReturnType<typeof run>>;
    try {
      options.log(`  bare Bun server: ${options.connections} connections for ${options.durationSeconds} s`);
      measuredBare = await run(bare.url, "http", "/votes", [{ name: "bare Bun server", pid: bare.pid }]);
    } finally {
      await bare.stop();
    }
    const bareResult = { ...measuredBare.result, url: "bare Bun server" };
    options.log(`    ${bareResult.votesPerSecond} votes/s, p99 ${bareResult.latencyMs.p99} ms`);
    const routes: IngestResult["routes"] = [];
    const measure = async (route: Route, during: ConsumerDuringRun) => {
      options.log(`  ${route} route, consumer ${during}: ${options.connections} connections for ${options.durationSeconds} s`);
      const { result, cpu } = await run(urls[route], route, ROUTE_PATHS[route].canonical);
      const ofBare = bareResult.votesPerSecond > 0 ? round(result.votesPerSecond / bareResult.votesPerSecond) : 0;
      options.log(`    ${result.votesPerSecond} votes/s, p99 ${result.latencyMs.p99} ms, ${Math.round(ofBare * 100)}% of bare`);
      routes.push({ route, consumer: during, result, ofBare, cpu });
    };
    for (const route of options.routes) {
      await catchUp();
      await measure(route, "storing");
      if (!consumer || runningPid(consumer.name) === null) continue;
      await catchUp();
      await stopComponent(consumer);
      try {
        await measure(route, "stopped");
      } finally {
        await startComponent(consumer);
      }
    }
    // The votes taken while the consumer was stopped are stored before the next scenario starts.
    await catchUp();
    return {
      connections: options.connections,
      durationSeconds: options.durationSeconds,
      bare: bareResult,
      bareCpu: measuredBare.cpu,
      routes,
      memory: sampler.stop(),
    };
  } finally {
    sampler.stop();
  }
}
