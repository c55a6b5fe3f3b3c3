import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CpuUse } from "../src/bench/cpu.ts";
import { BEGIN, END, renderResults, writeResultsSection } from "../src/bench/markdown.ts";
import { parseBenchArgs } from "../src/bench/options.ts";
import { type BenchResults, checkTargets } from "../src/bench/results.ts";
import type { RouteResult } from "../src/fire.ts";

const dir = mkdtempSync(join(tmpdir(), "marimba-bench-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cpu: CpuUse = {
  seconds: 20,
  byProcess: [{ name: "producer-http-server", percentOfCore: 85 }],
  oursPercent: 80,
  othersPercent: 15,
  stealPercent: 1,
  idlePercent: 4,
};
const route = (votesPerSecond: number, p99: number): RouteResult => ({
  route: "http",
  url: "u",
  connections: 64,
  sent: 1,
  accepted: 1,
  rejected: 0,
  errors: 0,
  timeouts: 0,
  statusCodes: {},
  seconds: 20,
  votesPerSecond,
  latencyMs: { p50: 1, p90: 2, p99, max: p99, mean: 1 },
});
const { help: _help, ...options } = parseBenchArgs([]);

function results(): BenchResults {
  const base = {
    command: "npm run bench",
    startedAt: "2026-11-28T08:00:00.000Z",
    finishedAt: "2026-11-28T08:05:00.000Z",
    machine: { cpu: "AMD EPYC", cores: 2, memoryGb: 24, kernel: "6.1", bun: "1.4.5" },
    options,
    routes: ["http", "grpc"] as BenchResults["routes"],
    conditions: { ingest: { loadAverageBefore: 1, loadAverageAfter: 2, cpu } },
    ingest: {
      connections: 64,
      durationSeconds: 20,
      bare: route(20_000, 9),
      bareCpu: cpu,
      routes: [
        { route: "http" as const, consumer: "stopped" as const, result: route(12_000, 20), ofBare: 0.6, cpu },
        { route: "http" as const, consumer: "storing" as const, result: route(3000, 70), ofBare: 0.15, cpu },
      ],
      memory: [
        { name: "producer-http-server", pid: 1, service: true, peakSampledMb: 120, highWaterMb: 151 },
        { name: "kafka", pid: 2, service: false, peakSampledMb: 400, highWaterMb: 420 },
      ],
    },
    drain: {
      topic: "t",
      partitions: 6,
      preload: { votes: 200_000, seconds: 4, votesPerSecond: 50_000 },
      consumer: { votes: 200_000, wallSeconds: 12, drainSeconds: 10, votesPerSecond: 20_000, stored: 200_000, cpu, peakRssMb: 180 },
      baseline: { votes: 20_000, wallSeconds: 20, drainSeconds: 19, votesPerSecond: 1000, stored: 20_000, cpu },
      ratio: 20,
    },
    failures: [{ scenario: "e2e" as const, reason: "no route is running" }],
    targets: [],
  };
  return { ...base, targets: checkTargets(base) };
}

describe("benchmark targets", () => {
  test("each target is met, missed, or not measured when its scenario produced nothing", () => {
    const checks = checkTargets(results());
    const verdict = (what: string) => checks.find((check) => check.what === what)?.met;
    expect(verdict("http route, consumer stopped: votes/s")).toBe(true);
    expect(verdict("http route, consumer stopped: p99")).toBe(true);
    expect(verdict("http route, consumer stopped: share of the bare server")).toBe(true);
    expect(verdict("http route, consumer storing: votes/s")).toBe(false);
    expect(verdict("http route, consumer storing: p99")).toBe(false);
    expect(verdict("http route, consumer storing: share of the bare server")).toBeUndefined();
    expect(verdict("grpc route, consumer stopped: votes/s")).toBeUndefined();
    expect(verdict("producer-http-server: peak RSS")).toBe(false);
    expect(checks.some((check) => check.what.startsWith("kafka"))).toBe(false);
    expect(verdict("consumer ÷ per-message baseline")).toBe(true);
    expect(verdict("storedAt − acceptedAt p99 at 2000 votes/s")).toBeNull();
  });

  test("a slow route misses the rate and latency targets", () => {
    const slow = results();
    slow.ingest?.routes.splice(0, 1, { route: "http", consumer: "stopped", result: route(4000, 80), ofBare: 0.2, cpu });
    const checks = checkTargets(slow).filter((check) => check.what.startsWith("http route, consumer stopped"));
    expect(checks.map((check) => check.met)).toEqual([false, false, false]);
  });

  test("without ingest results every route's targets are listed as not measured", () => {
    const { ingest: _ingest, ...none } = results();
    const checks = checkTargets(none).filter((check) => check.scenario === "ingest");
    expect(checks.map((check) => check.what)).toContain("grpc route, consumer stopped: votes/s");
    expect(checks.every((check) => check.met === null)).toBe(true);
  });
});

test("end-to-end latency counts only at the rate asked for", () => {
  const e2e = (achievedRate: number, p99: number) => ({
    rate: 2000,
    durationSeconds: 30,
    routes: [],
    accepted: 10,
    stored: 10,
    achievedRate,
    latencyMs: { p50: 1, p90: 1, p99, max: p99, mean: 1 },
  });
  const check = (achievedRate: number, p99: number) =>
    checkTargets({ ...results(), e2e: e2e(achievedRate, p99) }).find((c) => c.scenario === "e2e");
  expect(check(1990, 400)?.met).toBe(true);
  expect(check(1990, 1200)?.met).toBe(false);
  expect(check(846, 400)).toMatchObject({ met: false, measured: "400 ms (at 846 votes/s: the rate was not reached)" });
});

describe("BENCHMARKS.md", () => {
  test("the generated section shows the machine, conditions, targets and every scenario's figures", () => {
    const text = renderResults(results());
    expect(text.startsWith(BEGIN) && text.endsWith(END)).toBe(true);
    expect(text).toContain("AMD EPYC, 2 cores (nproc)");
    expect(text).toContain("`npm run bench`");
    expect(text).toContain("| ingest | 1 → 2 | 80% | 15% | 1% | 4% | 20 |");
    expect(text).toContain("| ingest | http route, consumer stopped: votes/s | ≥ 9000 | 12000 | ✅ met |");
    expect(text).toContain("| ingest | http route, consumer storing: votes/s | ≥ 5000 | 3000 | ❌ missed |");
    expect(text).toContain("| memory | producer-http-server: peak RSS | ≤ 150 MB | 151 MB | ❌ missed |");
    expect(text).toContain("after 5 s of warm-up");
    expect(text).toContain("| http route, consumer stopped | 12,000 | 1 | 20 |");
    expect(text).toContain("| http route, consumer storing | 3,000 | 1 | 70 |");
    expect(text).toContain("| producer-http-server | 85% · 17000000 µs/vote | 85% · 17000000 µs/vote | 85% · 17000000 µs/vote |");
    expect(text).toContain("| producer-http-server | 85% · 85 µs/vote | 85% · 850 µs/vote |");
    expect(text).toContain("Ratio: **20×**");
    expect(text).toContain("| marimba consumer (batched, exactly-once) | 200,000 | 20,000 | 10 | 12 | 200,000 | 180 |");
    expect(text).toContain("| per-message baseline (old system's way) | 20,000 | 1,000 | 19 | 20 | 20,000 | — |");
    expect(text).toContain("- **e2e:** no route is running");
    expect(text).not.toContain("BUN_JSC_forceRAMSize");
  });

  test("a drain whose consumer was given a container's RAM says so, in the command too", () => {
    const base = results();
    const text = renderResults({ ...base, options: { ...base.options, consumerRamMb: 512 } });
    expect(text).toContain("`npm run bench -- --consumer-ram-mb 512`");
    expect(text).toContain("sized its heap for 512 MiB of RAM (`BUN_JSC_forceRAMSize`)");
  });

  test("rewriting keeps everything outside the markers", () => {
    const file = join(dir, "BENCHMARKS.md");
    writeFileSync(file, `# Benchmarks\n\nintro\n\n${BEGIN}\nold figures\n${END}\n\n## Analysis\n\nhand-written findings\n`);
    writeResultsSection(file, `${BEGIN}\nnew figures\n${END}`);
    expect(readFileSync(file, "utf8")).toBe(
      `# Benchmarks\n\nintro\n\n${BEGIN}\nnew figures\n${END}\n\n## Analysis\n\nhand-written findings\n`,
    );
  });

  test("a file without markers gets the section appended, and a missing file is created", () => {
    const existing = join(dir, "notes.md");
    writeFileSync(existing, "# Notes");
    writeResultsSection(existing, `${BEGIN}\nfigures\n${END}`);
    expect(readFileSync(existing, "utf8")).toBe(`# Notes\n${BEGIN}\nfigures\n${END}\n`);
    const created = join(dir, "sub", "new.md");
    writeResultsSection(created, `${BEGIN}\nfigures\n${END}`);
    expect(readFileSync(created, "utf8")).toStartWith("# Benchmarks");
  });
});
