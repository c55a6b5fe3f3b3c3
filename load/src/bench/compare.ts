// Builds or settings of one route side by side on the running stack's Kafka: each one's pair of
// services on ports of its own, measured in turns (A B, B A, …) so a busy machine weighs on all alike.
// `bun load/src/bench/compare.ts --base <checkout> [--candidate <checkout>] [--route http|grpc] [--rounds 3] [--seconds 10]`
// `bun load/src/bench/compare.ts --variants "KAFKA_COMPRESSION=none;KAFKA_COMPRESSION=lz4" [--consumer]`
import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { type Route, sleep, waitUntil } from "@marimba/shared";
import { dataDir, ROOT } from "@marimba/stack";
import { ArgumentError, parseFlags, runTool, usage } from "../args.ts";
import { fireVotes, voteBodies } from "../fire.ts";
import { ROUTE_PATHS } from "../routes.ts";
import { median } from "../stats.ts";
import { readVotesFile } from "../votes-file.ts";
import { cpuTicks as ticks } from "./cpu.ts";
import { benchKafka, consumerLag } from "./kafka.ts";
import { component, ports, runningPid, stackEnv, startComponent, stopComponent } from "./stack.ts";

const FLAGS = {
  base: { type: "string", help: "the checkout to compare against (dependencies installed)" },
  candidate: { type: "string", help: "the checkout compared with it (default: this one)" },
  variants: {
    type: "string",
    help: "instead of --base: settings of the candidate to compare, ';' between settings, ',' between variables (A=1,B=2;A=3)",
  },
  consumer: {
    type: "boolean",
    help: "keep the consumer storing; each turn waits for it to catch up and counts it, FerretDB and Redis",
  },
  route: { type: "string", default: "http", help: "http or grpc" },
  rounds: { type: "integer", min: 1, max: 100, default: 3, help: "turns per build" },
  seconds: { type: "number", min: 1, max: 600, default: 10, help: "seconds per turn" },
  warmup: { type: "number", min: 0, max: 600, default: 5, help: "seconds of unmeasured load per build first" },
  connections: { type: "integer", min: 1, max: 10_000, default: 64, help: "connections" },
} as const;

interface BuildPlan {
  label: string;
  root: string;
  /** Variables the build's server and edge start with, over the stack's. */
  env: Record<string, string>;
}

interface Build extends BuildPlan {
  edgePort: number;
  /** Where the server's Prometheus metrics are: its votes per produce request. */
  metricsUrl: string;
  pids: { edge: number; server: number };
  children: ChildProcess[];
}

/** Port shifts of the builds: below the next stack's offset (100) and clear of this stack's own ports. */
const SHIFTS = [40, 60, 30, 50];

/** `A=1,B=2;A=3` → one plan per setting, each labelled by its variables. */
function parseVariants(text: string, root: string): BuildPlan[] {
  const plans = text
    .split(";")
    .map((setting) => setting.trim())
    .filter((setting) => setting.length > 0)
    .map((setting) => {
      const env: Record<string, string> = {};
      for (const assignment of setting.split(",")) {
        const match = /^\s*([A-Z][A-Z0-9_]*)=(.*)$/.exec(assignment);
        if (!match) throw new ArgumentError(`--variants: '${assignment.trim()}' is not NAME=value`);
        env[match[1] as string] = (match[2] as string).trim();
      }
      return { label: setting, root, env };
    });
  if (plans.length < 2 || plans.length > SHIFTS.length)
    throw new ArgumentError(`--variants: name from 2 to ${SHIFTS.length} settings, ';' between them`);
  return plans;
}

function start(root: string, entry: string, env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, [join(root, entry)], {
    cwd: root,
    env: { ...process.env, ...stackEnv, HOST: "127.0.0.1", LOG_LEVEL: "warn", ...env },
    stdio: ["ignore", "ignore", "inherit"],
  });
  if (!child.pid) throw new Error(`could not start ${entry} in ${root}`);
  return child;
}

async function ready(port: number): Promise<void> {
  for (let i = 0; i < 150; i++) {
    const ok = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(1000) }).then(
      (response) => response.ok,
      () => false,
    );
    if (ok) return;
    await sleep(200);
  }
  throw new Error(`nothing ready on port ${port}`);
}

/** One build's pair: the server, then the edge that forwards to it, each on this build's ports. */
async function startBuild(plan: BuildPlan, route: Route, shift: number): Promise<Build> {
  const { root, env } = plan;
  const [edge, server] =
    route === "http" ? [ports.httpClient + shift, ports.httpServer + shift] : [ports.grpcClient + shift, ports.grpcServer + shift];
  const metricsPort = route === "http" ? server : ports.grpcMetrics + shift;
  const children =
    route === "http"
      ? [start(root, "producer-http/src/server/index.ts", { ...env, PORT: String(server) })]
      : [start(root, "producer-grpc/src/server/index.ts", { ...env, PORT: String(server), METRICS_PORT: String(metricsPort) })];
  await ready(metricsPort);
  children.push(
    route === "http"
      ? start(root, "producer-http/src/client/index.ts", { ...env, PORT: String(edge), UPSTREAM_URL: `http://127.0.0.1:${server}` })
      : start(root, "producer-grpc/src/client/index.ts", { ...env, PORT: String(edge), UPSTREAM_ADDRESS: `127.0.0.1:${server}` }),
  );
  await ready(edge);
  return {
    ...plan,
    edgePort: edge,
    metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
    pids: { server: children[0]?.pid as number, edge: children[1]?.pid as number },
    children,
  };
}

/** The produce requests a server has sent so far and the votes in them (its `marimba_publish_batch_votes` histogram). */
async function produceRequests(metricsUrl: string): Promise<{ requests: number; votes: number }> {
  const text = await fetch(metricsUrl, { signal: AbortSignal.timeout(5000) }).then((response) => response.text());
  const value = (name: string) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, "m").exec(text)?.[1] ?? Number.NaN);
  return { requests: value("marimba_publish_batch_votes_count"), votes: value("marimba_publish_batch_votes_sum") };
}

/** Bytes of the topic's log segments in the local broker's log dirs: the record batches as Kafka keeps them; null for an outside Kafka. */
function topicLogBytes(topic: string): number | null {
  const logs = join(dataDir("kafka"), "logs");
  let partitions: string[];
  try {
    partitions = readdirSync(logs).filter((name) => name.startsWith(`${topic}-`) && /^\d+$/.test(name.slice(topic.length + 1)));
  } catch {
    return null;
  }
  let bytes = 0;
  for (const partition of partitions)
    for (const file of readdirSync(join(logs, partition))) if (file.endsWith(".log")) bytes += statSync(join(logs, partition, file)).size;
  return bytes;
}

/** The processes whose CPU a turn is charged with, besides the build's own edge and server. */
type Shared = "kafka" | "consumer" | "ferretdb" | "redis";
type Charged = "edge" | "server" | Shared | "generator";

/** A turn's CPU over every process charged, per vote. */
const summed = (turn: Turn) => (Object.values(turn.ticks).reduce((a, b) => a + b, 0) * 10_000) / Math.max(1, turn.votes);

interface Turn {
  votes: number;
  seconds: number;
  p99: number;
  ticks: Partial<Record<Charged, number>>;
  requests: number;
  requestVotes: number;
  logBytes: number | null;
}

async function main(argv: string[]): Promise<number> {
  const flags = parseFlags(FLAGS, argv);
  if (flags.help) {
    console.log(usage("bun load/src/bench/compare.ts", FLAGS));
    return 0;
  }
  if (!flags.base === !flags.variants)
    throw new ArgumentError("name the checkout to compare against (--base) or the settings (--variants)");
  if (flags.route !== "http" && flags.route !== "grpc") throw new ArgumentError("--route: http or grpc");
  const route: Route = flags.route;
  const candidate = resolve(flags.candidate ?? ROOT);
  const plans: BuildPlan[] = flags.variants
    ? parseVariants(flags.variants, candidate)
    : [
        { label: "base", root: resolve(flags.base as string), env: {} },
        { label: "candidate", root: candidate, env: {} },
      ];
  const kafka = runningPid("kafka");
  if (kafka === null) throw new ArgumentError("the local stack's Kafka is not running at this port offset: npm run up");
  const shared: Partial<Record<Shared, number>> = { kafka };
  const bodies = voteBodies(readVotesFile(join(ROOT, "data", "votes.json")));
  const consumer = component("consumer");
  const consumerWasRunning = consumer !== undefined && runningPid(consumer.name) !== null;
  if (flags.consumer) {
    if (!consumer || !consumerWasRunning) throw new ArgumentError("--consumer: the stack's consumer is not running: npm run up");
    for (const name of ["consumer", "ferretdb", "redis"] as const) {
      const pid = runningPid(name);
      if (pid !== null) shared[name] = pid;
    }
  } else if (consumer && consumerWasRunning) {
    // The ingest path alone, as the bench's consumer-stopped runs: the votes are stored once it is back.
    await stopComponent(consumer);
  }
  const charged: Charged[] = ["edge", "server", ...(Object.keys(shared) as Shared[]), "generator"];
  const lagKafka = benchKafka("marimba-bench-compare");
  const caughtUp = async () => {
    if (!(await waitUntil(async () => (await consumerLag(lagKafka, stackEnv.KAFKA_TOPIC)) === 0, 300_000, 250)))
      throw new Error("the consumer did not catch up within 5 minutes");
  };
  const builds: Build[] = [];
  try {
    for (const [index, plan] of plans.entries()) builds.push(await startBuild(plan, route, SHIFTS[index] as number));
    const fire = (build: Build, seconds: number) =>
      fireVotes({
        shots: [
          {
            origin: `http://127.0.0.1:${build.edgePort}`,
            routes: [{ route, origin: `http://127.0.0.1:${build.edgePort}`, path: ROUTE_PATHS[route].canonical }],
            connections: flags.connections,
          },
        ],
        bodies,
        duration: seconds,
      });
    for (const build of builds) if (flags.warmup > 0) await fire(build, flags.warmup);
    if (flags.consumer) await caughtUp();
    const turns = new Map<string, Turn[]>(builds.map((build) => [build.label, []]));
    for (let round = 0; round < flags.rounds; round++) {
      for (const build of round % 2 === 0 ? builds : [...builds].reverse()) {
        const pids: Partial<Record<Charged, number>> = { ...shared, edge: build.pids.edge, server: build.pids.server };
        const before = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, ticks(pid)]));
        const sent = await produceRequests(build.metricsUrl);
        const logBefore = topicLogBytes(stackEnv.KAFKA_TOPIC);
        const cpu = process.cpuUsage();
        const [result] = await fire(build, flags.seconds);
        const used = process.cpuUsage(cpu);
        // With the consumer storing, a turn is charged until the consumer has stored what it sent.
        if (flags.consumer) await caughtUp();
        if (!result) continue;
        const after = await produceRequests(build.metricsUrl);
        const logAfter = topicLogBytes(stackEnv.KAFKA_TOPIC);
        const turn: Turn = {
          votes: result.accepted,
          seconds: result.seconds,
          p99: result.latencyMs.p99,
          ticks: {
            ...Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, ticks(pid) - (before[name] as number)])),
            generator: (used.user + used.system) / 10_000,
          },
          requests: after.requests - sent.requests,
          requestVotes: after.votes - sent.votes,
          logBytes: logBefore === null || logAfter === null ? null : logAfter - logBefore,
        };
        turns.get(build.label)?.push(turn);
        // Each turn's own sum shows how far turns of one build spread on a busy machine.
        console.log(
          `  ${build.label} round ${round + 1}: ${Math.round(result.votesPerSecond)} votes/s, ${summed(turn).toFixed(1)} µs/vote summed, ${result.errors} errors, ${result.rejected} non-2xx`,
        );
      }
    }
    console.log(
      `\n${route} route, ${flags.rounds} turns of ${flags.seconds} s per build, ${flags.connections} connections, ${
        flags.consumer ? "consumer storing (each turn until it caught up)" : "consumer stopped"
      }\n`,
    );
    const columns = charged.map((name) => `${name} µs/vote`);
    console.log(
      `| build | votes/s | p99 ms (worst turn) | ${columns.join(" | ")} | sum µs/vote | median turn's sum | votes/request | bytes/request | bytes/vote |`,
    );
    console.log(`|---|---|---|${columns.map(() => "---|").join("")}---|---|---|---|---|`);
    for (const build of builds) {
      const all = turns.get(build.label) ?? [];
      const total = (pick: (turn: Turn) => number) => all.reduce((sum, turn) => sum + pick(turn), 0);
      const votes = total((turn) => turn.votes);
      const seconds = total((turn) => turn.seconds);
      const cells = charged.map((key) => (total((turn) => turn.ticks[key] ?? 0) * 10_000) / Math.max(1, votes));
      const sum = cells.reduce((a, b) => a + b, 0);
      const p99 = Math.max(...all.map((turn) => turn.p99));
      const requests = total((turn) => turn.requests);
      const logBytes = all.some((turn) => turn.logBytes === null) ? Number.NaN : total((turn) => turn.logBytes ?? 0);
      const name = flags.variants ? build.label : `${build.label} (${build.root})`;
      console.log(
        `| ${name} | ${Math.round(votes / Math.max(1e-9, seconds))} | ${p99} | ${cells.map((value) => value.toFixed(1)).join(" | ")} | ${sum.toFixed(1)} | ${median(all.map(summed)).toFixed(1)} | ${(
          total((turn) => turn.requestVotes) / Math.max(1, requests)
        ).toFixed(0)} | ${(logBytes / Math.max(1, requests)).toFixed(0)} | ${(logBytes / Math.max(1, votes)).toFixed(1)} |`,
      );
    }
    console.log(
      "\nbytes: the record batches as the broker's log holds them (its log dirs grew by that much), the bulk of each produce request",
    );
  } finally {
    for (const build of builds) for (const child of [...build.children].reverse()) child.kill("SIGTERM");
    await sleep(1000);
    if (consumer && consumerWasRunning && !flags.consumer) await startComponent(consumer);
  }
  return 0;
}

runTool(main);
