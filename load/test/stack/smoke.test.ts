/**
 * Short runs of the load generator and of every bench scenario against the real local stack,
 * with tiny sizes: they check that each scenario measures what it claims and cleans up after
 * itself. No timing is asserted.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createKafka, createLogger, tallyKeys } from "@marimba/shared";
import { createMongo, createRedis } from "@marimba/shared/storage";
import { ports, readTallies, stackEnv, urls } from "@marimba/testkit";
import { runDrain } from "../../src/bench/drain.ts";
import { runEndToEnd } from "../../src/bench/e2e.ts";
import { runIngest, waitForConsumer } from "../../src/bench/ingest.ts";
import { benchKafka, consumerLag } from "../../src/bench/kafka.ts";
import { runScale } from "../../src/bench/scale.ts";
import { runningPid, runningRoutes } from "../../src/bench/stack.ts";
import { voteBodies } from "../../src/fire.ts";
import { runLoad } from "../../src/load.ts";
import { readVotesFile } from "../../src/votes-file.ts";

const ROOT = join(import.meta.dir, "..", "..", "..");
const dir = mkdtempSync(join(tmpdir(), "marimba-load-smoke-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const bodies = voteBodies(readVotesFile(join(ROOT, "data", "votes.json")));
const quiet = () => {};
const routes = runningRoutes();

async function topics(): Promise<string[]> {
  const silent = createLogger("smoke");
  silent.level = "silent";
  const admin = createKafka("marimba-smoke", stackEnv.KAFKA_BROKERS.split(","), silent).admin();
  await admin.connect();
  try {
    return await admin.listTopics();
  } finally {
    await admin.disconnect();
  }
}

describe("against the local stack", () => {
  test("the stack runs the HTTP route at least", () => {
    expect(routes).toContain("http");
  });

  test("a replay of a votes file through every running route is accepted and counted per route", async () => {
    const before = await readTallies();
    const report = await runLoad(
      {
        route: routes.length === 2 ? "both" : "http",
        file: join(ROOT, "data", "votes.json"),
        connections: 4,
        amount: 200,
        oldPaths: true,
        timeoutSeconds: 10,
        out: "",
      },
      { stack: { http: urls.http, grpc: urls.grpc } },
    );
    const accepted = report.routes.reduce((sum, route) => sum + route.accepted, 0);
    expect(accepted).toBe(200);
    expect(report.routes.every((route) => route.errors === 0 && route.rejected === 0)).toBe(true);
    expect(report.routes.map((route) => new URL(route.url).pathname).sort()).toEqual(
      routes.length === 2 ? ["/grpc/insert", "/rust/send_data"] : ["/rust/send_data"],
    );
    const redis = createRedis(stackEnv.REDIS_URL);
    try {
      const counted = async () => Number((await redis.get(tallyKeys.total)) ?? 0) - before.total;
      for (let i = 0; i < 100 && (await counted()) < 200; i++) await Bun.sleep(100);
      expect(await counted()).toBe(200);
    } finally {
      redis.disconnect();
    }
  }, 30_000);

  test("npm run load writes its table and JSON, and a bad flag is named with exit code 2", () => {
    const out = join(dir, "load.json");
    const run = spawnSync(process.execPath, ["load/src/cli.ts", "--route", "http", "--amount", "20", "--connections", "2", "--out", out], {
      cwd: ROOT,
      encoding: "utf8",
    });
    expect(run.stdout).toMatch(/route\s+sent\s+2xx\s+non-2xx\s+errors\s+votes\/s\s+p50 ms\s+p99 ms/);
    expect(run.status).toBe(0);
    const report = JSON.parse(readFileSync(out, "utf8"));
    expect(report.routes[0]).toMatchObject({ route: "http", sent: 20, accepted: 20 });

    const bad = spawnSync(process.execPath, ["load/src/cli.ts", "--connections", "many"], { cwd: ROOT, encoding: "utf8" });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("--connections must be an integer, got 'many'");
  }, 30_000);

  test("ingest measures the bare server and each route with the consumer storing and stopped, with the RSS of every service", async () => {
    const result = await runIngest({ connections: 4, durationSeconds: 1, warmupSeconds: 0.5, routes, bodies, log: quiet });
    expect(result.bare.accepted).toBeGreaterThan(0);
    expect(result.routes.map((entry) => `${entry.route} ${entry.consumer}`)).toEqual(
      routes.flatMap((route) => [`${route} storing`, `${route} stopped`]),
    );
    // The consumer is running again and has stored every vote the runs sent.
    expect(runningPid("consumer")).not.toBeNull();
    expect(await consumerLag(benchKafka(), stackEnv.KAFKA_TOPIC)).toBe(0);
    for (const entry of result.routes) {
      expect(entry.result.accepted).toBeGreaterThan(0);
      expect(entry.result.rejected + entry.result.errors).toBe(0);
      expect(entry.ofBare).toBeGreaterThan(0);
      expect(entry.cpu.byProcess.some((p) => p.name === "producer-http-server" || p.name === "producer-grpc-server")).toBe(true);
    }
    const services = result.memory.filter((entry) => entry.service).map((entry) => entry.name);
    expect(services).toEqual(expect.arrayContaining(["producer-http-client", "producer-http-server", "consumer"]));
    expect(services.filter((name) => name === "consumer")).toHaveLength(1);
    for (const entry of result.memory) expect(entry.peakSampledMb).toBeGreaterThan(1);
  }, 60_000);

  test("drain stores a preloaded backlog with the real consumer and with the baseline, leaving the stack's counters and topics as they were", async () => {
    // Votes of the earlier tests still on their way would move the counters during the drain.
    await waitForConsumer(30_000, quiet);
    const before = await readTallies();
    const topicsBefore = await topics();
    const result = await runDrain({ votes: 300, baselineVotes: 100, log: quiet });
    expect(result.consumer).toMatchObject({ votes: 300, stored: 300 });
    expect(result.baseline).toMatchObject({ votes: 100, stored: 100 });
    expect(result.consumer.wallSeconds).toBeGreaterThan(0);
    expect((await readTallies()).total).toBe(before.total);
    expect((await topics()).sort()).toEqual(topicsBefore.sort());
    const ready = await fetch(`http://127.0.0.1:${ports.consumer}/readyz`);
    expect(ready.status).toBe(200);
  }, 60_000);

  test("end-to-end reads storedAt − acceptedAt of exactly the votes the run had accepted", async () => {
    const result = await runEndToEnd({ rate: 50, durationSeconds: 2, connections: 2, routes, bodies, log: quiet });
    expect(result.accepted).toBeGreaterThan(0);
    expect(result.stored).toBe(result.accepted);
    expect(result.latencyMs.p50).toBeGreaterThanOrEqual(0);
    expect(result.latencyMs.max).toBeGreaterThanOrEqual(result.latencyMs.p99);
  }, 60_000);

  test("npm run bench runs a scenario end to end and writes results.json and the markdown table", () => {
    const out = join(dir, "results.json");
    const markdown = join(dir, "BENCHMARKS.md");
    // The drain scenario: it works in its own topic and databases, so it is quick on any stack.
    const run = spawnSync(
      process.execPath,
      ["load/src/bench.ts", "--scenarios", "drain", "--drain-votes", "200", "--baseline-votes", "50", "--out", out, "--markdown", markdown],
      { cwd: ROOT, encoding: "utf8" },
    );
    expect(run.status).toBe(0);
    const results = JSON.parse(readFileSync(out, "utf8"));
    expect(results.drain.consumer).toMatchObject({ votes: 200, stored: 200 });
    expect(results.drain.consumer.peakRssMb).toBeGreaterThan(0);
    expect(results.targets.map((check: { what: string }) => check.what)).toContain("consumer ÷ per-message baseline");
    const table = existsSync(markdown) ? readFileSync(markdown, "utf8") : "";
    expect(table).toContain("### Drain (200 votes preloaded into 6 partitions)");
    expect(table).toContain("| drain | consumer votes/s into MongoDB + Redis | ≥ 10000 |");
  }, 60_000);

  test("scale grows a store of its own to each level with the consumer's write path, measures it, recounts it exactly and removes it", async () => {
    const before = await readTallies();
    const topicsBefore = await topics();
    const result = await runScale({ levels: [0, 1500], rate: 200, seconds: 2, requests: 20, concurrency: 5, recount: true, log: quiet });
    expect(result.levels.map((level) => level.stored)).toEqual([0, 1500]);
    for (const level of result.levels) {
      expect(level.votes.failures + level.tally.failures).toBe(0);
      expect(level.e2e.votes).toBe(400);
      expect(level.e2e.p99Ms).toBeGreaterThanOrEqual(level.e2e.p50Ms);
      expect(level.sseIntervalMs.snapshots).toBeGreaterThan(0);
      expect(level.recount?.exact).toBe(true);
    }
    // The live votes of the first level are in the second's store, the preload tops it up to the level.
    expect(result.preload.votes).toBe(1100);
    expect(result.levels[1]?.recount?.read).toBe(1900);
    // The stack is as it was: its counters untouched, its consumer and dashboard back, the scale topic and database gone.
    expect(await readTallies()).toEqual(before);
    expect(runningPid("consumer")).not.toBeNull();
    expect(runningPid("web")).not.toBeNull();
    expect(await topics()).toEqual(topicsBefore);
    const mongo = createMongo(stackEnv.MONGO_URL);
    try {
      const databases = (await mongo.db("admin").admin().listDatabases()).databases.map((db) => db.name);
      expect(databases).not.toContain(result.database);
    } finally {
      await mongo.close();
    }
  }, 180_000);
});
