// Two builds of one route side by side on the running stack's Kafka: each build's pair of services
// on ports of its own, measured in turns (A B, B A, …) so a busy machine weighs on both alike.
// `bun load/src/bench/compare.ts --base <checkout> [--candidate <checkout>] [--route http|grpc] [--rounds 3] [--seconds 10]`
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { type Route, sleep } from "@marimba/shared";
import { ROOT } from "@marimba/stack";
import { ArgumentError, parseFlags, usage } from "../args.ts";
import { fireVotes, voteBodies } from "../fire.ts";
import { ROUTE_PATHS } from "../routes.ts";
import { readVotesFile } from "../votes-file.ts";
import { component, ports, runningPid, stackEnv, startComponent, stopComponent } from "./stack.ts";

const FLAGS = {
  base: { type: "string", help: "the checkout to compare against (dependencies installed)" },
  candidate: { type: "string", help: "the checkout compared with it (default: this one)" },
  route: { type: "string", default: "http", help: "http or grpc" },
  rounds: { type: "integer", min: 1, max: 100, default: 3, help: "turns per build" },
  seconds: { type: "number", min: 1, max: 600, default: 10, help: "seconds per turn" },
  warmup: { type: "number", min: 0, max: 600, default: 5, help: "seconds of unmeasured load per build first" },
  connections: { type: "integer", min: 1, max: 10_000, default: 64, help: "connections" },
} as const;

interface Build {
  label: string;
  root: string;
  edgePort: number;
  pids: { edge: number; server: number };
  children: ChildProcess[];
}

/** utime + stime of a process in clock ticks (1/100 s). */
function ticks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(fields[11]) + Number(fields[12]);
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
async function startBuild(label: string, root: string, route: Route, shift: number): Promise<Build> {
  const [edge, server] =
    route === "http" ? [ports.httpClient + shift, ports.httpServer + shift] : [ports.grpcClient + shift, ports.grpcServer + shift];
  const children =
    route === "http"
      ? [start(root, "producer-http/src/server/index.ts", { PORT: String(server) })]
      : [start(root, "producer-grpc/src/server/index.ts", { PORT: String(server), METRICS_PORT: String(ports.grpcMetrics + shift) })];
  await ready(route === "http" ? server : ports.grpcMetrics + shift);
  children.push(
    route === "http"
      ? start(root, "producer-http/src/client/index.ts", { PORT: String(edge), UPSTREAM_URL: `http://127.0.0.1:${server}` })
      : start(root, "producer-grpc/src/client/index.ts", { PORT: String(edge), UPSTREAM_ADDRESS: `127.0.0.1:${server}` }),
  );
  await ready(edge);
  return { label, root, edgePort: edge, pids: { server: children[0]?.pid as number, edge: children[1]?.pid as number }, children };
}

interface Turn {
  votes: number;
  seconds: number;
  p99: number;
  ticks: Record<"edge" | "server" | "kafka" | "generator", number>;
}

async function main(argv: string[]): Promise<number> {
  const flags = parseFlags(FLAGS, argv);
  if (flags.help) {
    console.log(usage("bun load/src/bench/compare.ts", FLAGS));
    return 0;
  }
  if (!flags.base) throw new ArgumentError("--base: name the checkout to compare against");
  if (flags.route !== "http" && flags.route !== "grpc") throw new ArgumentError("--route: http or grpc");
  const route: Route = flags.route;
  const kafka = runningPid("kafka");
  if (kafka === null) throw new ArgumentError("the local stack's Kafka is not running at this port offset: npm run up");
  const bodies = voteBodies(readVotesFile(join(ROOT, "data", "votes.json")));
  const consumer = component("consumer");
  const consumerWasRunning = consumer !== undefined && runningPid(consumer.name) !== null;
  // The ingest path alone, as the bench's consumer-stopped runs: the votes are stored once it is back.
  if (consumer && consumerWasRunning) await stopComponent(consumer);
  const builds: Build[] = [];
  try {
    builds.push(await startBuild("base", resolve(flags.base), route, 40));
    builds.push(await startBuild("candidate", resolve(flags.candidate ?? ROOT), route, 60));
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
    const turns = new Map<string, Turn[]>(builds.map((build) => [build.label, []]));
    for (let round = 0; round < flags.rounds; round++) {
      for (const build of round % 2 === 0 ? builds : [...builds].reverse()) {
        const before = { edge: ticks(build.pids.edge), server: ticks(build.pids.server), kafka: ticks(kafka) };
        const cpu = process.cpuUsage();
        const [result] = await fire(build, flags.seconds);
        const used = process.cpuUsage(cpu);
        if (!result) continue;
        turns.get(build.label)?.push({
          votes: result.accepted,
          seconds: result.seconds,
          p99: result.latencyMs.p99,
          ticks: {
            edge: ticks(build.pids.edge) - before.edge,
            server: ticks(build.pids.server) - before.server,
            kafka: ticks(kafka) - before.kafka,
            generator: (used.user + used.system) / 10_000,
          },
        });
        console.log(
          `  ${build.label} round ${round + 1}: ${Math.round(result.votesPerSecond)} votes/s, ${result.errors} errors, ${result.rejected} non-2xx`,
        );
      }
    }
    console.log(
      `\n${route} route, ${flags.rounds} turns of ${flags.seconds} s per build, ${flags.connections} connections, consumer stopped\n`,
    );
    console.log(
      "| build | votes/s | p99 ms (worst turn) | edge µs/vote | server µs/vote | kafka µs/vote | generator µs/vote | sum µs/vote |",
    );
    console.log("|---|---|---|---|---|---|---|---|");
    for (const build of builds) {
      const all = turns.get(build.label) ?? [];
      const votes = all.reduce((sum, turn) => sum + turn.votes, 0);
      const seconds = all.reduce((sum, turn) => sum + turn.seconds, 0);
      const per = (key: keyof Turn["ticks"]) => (all.reduce((sum, turn) => sum + turn.ticks[key], 0) * 10_000) / Math.max(1, votes);
      const cells = (["edge", "server", "kafka", "generator"] as const).map((key) => per(key));
      const sum = cells.reduce((a, b) => a + b, 0);
      const p99 = Math.max(...all.map((turn) => turn.p99));
      console.log(
        `| ${build.label} (${build.root}) | ${Math.round(votes / Math.max(1e-9, seconds))} | ${p99} | ${cells.map((value) => value.toFixed(1)).join(" | ")} | ${sum.toFixed(1)} |`,
      );
    }
  } finally {
    for (const build of builds) for (const child of [...build.children].reverse()) child.kill("SIGTERM");
    await sleep(1000);
    if (consumer && consumerWasRunning) await startComponent(consumer);
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof ArgumentError ? error.message : error);
    process.exit(error instanceof ArgumentError ? 2 : 1);
  },
);
