import type { Route } from "@marimba/shared";
import type { CpuUse } from "./cpu.ts";
import type { DrainResult } from "./drain.ts";
import type { EndToEndResult } from "./e2e.ts";
import type { IngestResult } from "./ingest.ts";
import type { Machine } from "./machine.ts";
import type { BenchOptions, Scenario } from "./options.ts";
import type { ScaleResult } from "./scale.ts";

/** Everything one `npm run bench` measured, as written to results.json. */
export interface BenchResults {
  command: string;
  startedAt: string;
  finishedAt: string;
  machine: Machine;
  options: Omit<BenchOptions, "help">;
  /** Routes the stack ran; a route not built yet is not measured. */
  routes: Route[];
  /** How busy the machine was during each scenario: load average and where the CPU went. */
  conditions: Partial<Record<Scenario, { loadAverageBefore: number; loadAverageAfter: number; cpu: CpuUse }>>;
  ingest?: IngestResult;
  drain?: DrainResult;
  e2e?: EndToEndResult;
  scale?: ScaleResult;
  /** Scenarios that could not run or failed, with the reason. */
  failures: { scenario: Scenario; reason: string }[];
  targets: TargetCheck[];
}

export interface TargetCheck {
  scenario: Scenario | "memory";
  what: string;
  target: string;
  measured: string;
  /** null when the scenario did not run. */
  met: boolean | null;
}

/** The issue's targets, checked against what was measured. */
export const TARGETS = {
  /** The ingest path alone (consumer stopped): the route against the bare server of the same run. */
  ingestStopped: { votesPerSecond: 9000, p99Ms: 25, ofBare: 0.6 },
  /** The whole pipeline on the same cores (consumer storing). */
  ingestStoring: { votesPerSecond: 5000, p99Ms: 50 },
  drainVotesPerSecond: 10_000,
  drainOverBaseline: 10,
  e2eP99Ms: 1000,
  serviceRssMb: 150,
  scaleVotesP99Ms: 50,
  scaleTallyP99Ms: 20,
  scaleSseIntervalMs: 1000,
  scaleE2eP99Ms: 1000,
  scaleCpuGrowth: 0.2,
  scaleRecountSeconds: 120,
} as const;

export function checkTargets(results: Pick<BenchResults, "ingest" | "drain" | "e2e" | "scale" | "routes" | "options">): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const ran = (scenario: Scenario) => results.options.scenarios.includes(scenario);
  if (ran("ingest")) {
    // Each run is checked as it ran: with the consumer storing and with it stopped. Without
    // results, each route's targets are listed as not measured.
    const runs = results.ingest?.routes ?? results.routes.map((route) => ({ route, consumer: "stopped" as const }));
    for (const run of runs) {
      const measured = "result" in run ? run : undefined;
      const label = `${run.route} route, consumer ${run.consumer}`;
      const check = (what: string, target: string, value: string | undefined, met: boolean | undefined) =>
        checks.push({ scenario: "ingest", what: `${label}: ${what}`, target, measured: value ?? "not measured", met: met ?? null });
      const target = run.consumer === "stopped" ? TARGETS.ingestStopped : TARGETS.ingestStoring;
      check(
        "votes/s",
        `≥ ${target.votesPerSecond}`,
        measured && String(measured.result.votesPerSecond),
        measured && measured.result.votesPerSecond >= target.votesPerSecond,
      );
      check(
        "p99",
        `≤ ${target.p99Ms} ms`,
        measured && `${measured.result.latencyMs.p99} ms`,
        measured && measured.result.latencyMs.p99 <= target.p99Ms,
      );
      if ("ofBare" in target) {
        check(
          "share of the bare server",
          `≥ ${target.ofBare * 100}%`,
          measured && `${Math.round(measured.ofBare * 100)}%`,
          measured && measured.ofBare >= target.ofBare,
        );
      }
    }
    for (const memory of results.ingest?.memory.filter((entry) => entry.service) ?? []) {
      const peak = Math.max(memory.peakSampledMb, memory.highWaterMb);
      checks.push({
        scenario: "memory",
        what: `${memory.name}: peak RSS`,
        target: `≤ ${TARGETS.serviceRssMb} MB`,
        measured: `${peak} MB`,
        met: peak <= TARGETS.serviceRssMb,
      });
    }
  }
  if (ran("drain")) {
    const drain = results.drain;
    checks.push({
      scenario: "drain",
      what: "consumer votes/s into MongoDB + Redis",
      target: `≥ ${TARGETS.drainVotesPerSecond}`,
      measured: drain ? String(drain.consumer.votesPerSecond) : "not measured",
      met: drain ? drain.consumer.votesPerSecond >= TARGETS.drainVotesPerSecond : null,
    });
    checks.push({
      scenario: "drain",
      what: "consumer ÷ per-message baseline",
      target: `≥ ${TARGETS.drainOverBaseline}×`,
      measured: drain ? `${drain.ratio}×` : "not measured",
      met: drain ? drain.ratio >= TARGETS.drainOverBaseline : null,
    });
  }
  if (ran("e2e")) {
    const e2e = results.e2e;
    // The latency only counts at the rate asked for: a pipeline that could not take the rate is a miss.
    const reached = e2e ? e2e.achievedRate >= 0.95 * e2e.rate : false;
    checks.push({
      scenario: "e2e",
      what: `storedAt − acceptedAt p99 at ${results.options.e2eRate} votes/s`,
      target: `≤ ${TARGETS.e2eP99Ms} ms`,
      measured: e2e
        ? `${e2e.latencyMs.p99} ms${reached ? "" : ` (at ${e2e.achievedRate} votes/s: the rate was not reached)`}`
        : "not measured",
      met: e2e ? reached && e2e.latencyMs.p99 <= TARGETS.e2eP99Ms && e2e.stored === e2e.accepted : null,
    });
  }
  if (ran("scale")) checks.push(...scaleTargets(results.scale));
  return checks;
}

/** The contest-scale targets, checked at the largest level measured (the CPU one against the smallest). */
function scaleTargets(scale: ScaleResult | undefined): TargetCheck[] {
  const largest = scale?.levels.at(-1);
  const smallest = scale?.levels[0];
  const at = largest ? ` at ${largest.stored.toLocaleString("en-US")} stored` : "";
  const check = (what: string, target: string, measured: string | undefined, met: boolean | undefined): TargetCheck => ({
    scenario: "scale",
    what: `${what}${at}`,
    target,
    measured: measured ?? "not measured",
    met: met ?? null,
  });
  const checks = [
    check(
      "/api/votes?limit=20 p99 (sequential, concurrent)",
      `≤ ${TARGETS.scaleVotesP99Ms} ms`,
      largest && `${largest.votes.sequential.p99} ms, ${largest.votes.concurrent.p99} ms`,
      largest && Math.max(largest.votes.sequential.p99, largest.votes.concurrent.p99) <= TARGETS.scaleVotesP99Ms,
    ),
    check(
      "/api/tally p99 (sequential, concurrent)",
      `≤ ${TARGETS.scaleTallyP99Ms} ms`,
      largest && `${largest.tally.sequential.p99} ms, ${largest.tally.concurrent.p99} ms`,
      largest && Math.max(largest.tally.sequential.p99, largest.tally.concurrent.p99) <= TARGETS.scaleTallyP99Ms,
    ),
    check(
      "SSE snapshot interval, longest",
      `≤ ${TARGETS.scaleSseIntervalMs} ms`,
      largest && `${largest.sseIntervalMs.max} ms`,
      largest && largest.sseIntervalMs.snapshots > 1 && largest.sseIntervalMs.max <= TARGETS.scaleSseIntervalMs,
    ),
    check(
      "storedAt − acceptedAt p99",
      `≤ ${TARGETS.scaleE2eP99Ms} ms`,
      largest && `${largest.e2e.p99Ms} ms at ${largest.e2e.achievedRate} votes/s`,
      largest && largest.e2e.p99Ms <= TARGETS.scaleE2eP99Ms,
    ),
    check(
      "consumer CPU per stored vote, against the emptiest level",
      `≤ +${TARGETS.scaleCpuGrowth * 100}%`,
      largest && smallest && `${largest.consumerCpuUsPerVote} µs vs ${smallest.consumerCpuUsPerVote} µs`,
      largest && smallest && largest.consumerCpuUsPerVote <= smallest.consumerCpuUsPerVote * (1 + TARGETS.scaleCpuGrowth),
    ),
  ];
  if (largest?.recount || !scale) {
    checks.push(
      check(
        "recount, exact",
        `≤ ${TARGETS.scaleRecountSeconds} s`,
        largest?.recount &&
          `${largest.recount.seconds} s (${largest.recount.votesPerSecond} votes/s)${largest.recount.exact ? "" : ", NOT exact"}`,
        largest?.recount?.exact && largest.recount.seconds <= TARGETS.scaleRecountSeconds,
      ),
    );
  }
  return checks;
}
