import { join } from "node:path";
import { ROOT } from "@marimba/stack";
import { voteBodies } from "../fire.ts";
import { readVotesFile } from "../votes-file.ts";
import { CpuMeter } from "./cpu.ts";
import { runDrain } from "./drain.ts";
import { runEndToEnd } from "./e2e.ts";
import { runIngest } from "./ingest.ts";
import { describeMachine, loadAverage } from "./machine.ts";
import type { BenchOptions, Scenario } from "./options.ts";
import { type BenchResults, checkTargets } from "./results.ts";
import { runScale } from "./scale.ts";
import { runningProcesses, runningRoutes } from "./stack.ts";

/** Runs the chosen scenarios on a running stack; a failing scenario is recorded and the next one runs. */
export async function runBench(
  { help: _help, ...options }: BenchOptions & { help?: boolean },
  log: (line: string) => void,
): Promise<BenchResults> {
  const startedAt = new Date().toISOString();
  const routes = runningRoutes();
  const bodies = voteBodies(readVotesFile(join(ROOT, "data", "votes.json")));
  const results: BenchResults = {
    command: benchCommand(options),
    startedAt,
    finishedAt: startedAt,
    machine: describeMachine(),
    options,
    routes,
    conditions: {},
    failures: [],
    targets: [],
  };
  if (routes.length === 0) log("no route is running: ingest and end-to-end have nothing to measure");

  const scenario = async (name: Scenario, run: () => Promise<void>) => {
    if (!options.scenarios.includes(name)) return;
    log(`\n▶ ${name}`);
    const before = loadAverage();
    const meter = new CpuMeter(runningProcesses);
    try {
      await run();
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      results.failures.push({ scenario: name, reason });
      log(`  ✗ ${name} failed: ${reason}`);
    }
    results.conditions[name] = { loadAverageBefore: before, loadAverageAfter: loadAverage(), cpu: meter.stop() };
  };

  await scenario("ingest", async () => {
    results.ingest = await runIngest({
      connections: options.connections,
      durationSeconds: options.durationSeconds,
      warmupSeconds: options.warmupSeconds,
      routes,
      bodies,
      log,
    });
  });
  await scenario("drain", async () => {
    results.drain = await runDrain({
      votes: options.drainVotes,
      baselineVotes: options.baselineVotes,
      baselineSeconds: options.baselineSeconds,
      consumerRamMb: options.consumerRamMb,
      log,
    });
  });
  await scenario("e2e", async () => {
    if (routes.length === 0) throw new Error("no route is running");
    results.e2e = await runEndToEnd({
      rate: options.e2eRate,
      durationSeconds: options.e2eDurationSeconds,
      connections: options.e2eConnections,
      routes,
      bodies,
      log,
    });
  });

  await scenario("scale", async () => {
    results.scale = await runScale({
      levels: options.scaleLevels,
      rate: options.scaleRate,
      seconds: options.scaleSeconds,
      requests: options.scaleRequests,
      concurrency: options.scaleClients,
      recount: options.scaleRecount,
      log,
    });
  });

  results.finishedAt = new Date().toISOString();
  results.targets = checkTargets(results);
  return results;
}

/** The command that reproduces a run: the flags that change what is measured. */
export function benchCommand(options: Pick<BenchOptions, "quick" | "scenarios">): string {
  const flags = [
    options.quick ? "--quick" : "",
    options.scenarios.join(",") === "ingest,drain,e2e" ? "" : `--scenarios ${options.scenarios.join(",")}`,
  ];
  const given = flags.filter(Boolean).join(" ");
  return `npm run bench${given ? ` -- ${given}` : ""}`;
}
