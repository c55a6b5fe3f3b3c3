import { join } from "node:path";
import { portOpen, type Route } from "@marimba/shared";
import { ArgumentError, type FlagSpecs, parseFlags } from "./args.ts";
import { fireVotes, type Progress, type RouteResult, voteBodies } from "./fire.ts";
import { planShots, ROUTE_CHOICES, type RouteChoice, type Shot } from "./routes.ts";
import { readVotesFile } from "./votes-file.ts";

export const LOAD_FLAGS = {
  route: { type: "choice", choices: ROUTE_CHOICES, default: "both", help: "which route gets the votes; both = each vote at random" },
  file: { type: "string", default: "data/votes.json", help: "votes to replay: a JSON array of {name, album, year, rank}" },
  connections: { type: "integer", min: 1, max: 10_000, default: 64, help: "open connections, shared by the routes" },
  duration: { type: "number", min: 1, max: 86_400, default: 30, help: "seconds to run" },
  amount: { type: "integer", min: 1, max: 100_000_000, help: "send exactly this many votes instead of running for --duration" },
  rate: { type: "integer", min: 1, max: 1_000_000, help: "votes per second in total (default: as fast as answered)" },
  target: { type: "url", help: "send every route to this host (e.g. an ingress) instead of the local stack" },
  "old-paths": { type: "boolean", help: "use the old clients' paths /rust/send_data and /grpc/insert" },
  timeout: { type: "number", min: 1, max: 600, default: 10, help: "seconds before an unanswered request counts as an error" },
  out: { type: "string", help: "where to write the results as JSON (default .marimba/load/<time>.json)" },
} as const satisfies FlagSpecs;

export interface LoadOptions {
  route: RouteChoice;
  file: string;
  connections: number;
  duration?: number;
  amount?: number;
  rate?: number;
  target?: string;
  oldPaths: boolean;
  timeoutSeconds: number;
  out: string;
}

/** Reads the load command's flags; throws an ArgumentError naming the flag at fault. */
export function parseLoadArgs(argv: readonly string[], now = new Date()): LoadOptions & { help: boolean } {
  const flags = parseFlags(LOAD_FLAGS, argv);
  if (flags.given.has("duration") && flags.given.has("amount")) {
    throw new ArgumentError("--duration and --amount exclude each other: run for a time or send a number of votes, not both");
  }
  if (flags.amount !== undefined && flags.amount < flags.connections && flags.given.has("connections")) {
    throw new ArgumentError(
      `--connections (${flags.connections}) must not exceed --amount (${flags.amount}): each connection sends at least one vote`,
    );
  }
  return {
    help: flags.help,
    route: flags.route,
    file: flags.file,
    connections: flags.connections,
    duration: flags.amount === undefined ? flags.duration : undefined,
    amount: flags.amount,
    rate: flags.rate,
    target: flags.target,
    oldPaths: flags["old-paths"],
    timeoutSeconds: flags.timeout,
    out: flags.out ?? join(".marimba", "load", `${now.toISOString().replace(/[:.]/g, "-")}.json`),
  };
}

export class UnreachableRoute extends Error {}

/** Refuses to start against a route nobody listens on: autocannon would spin on refused connections. */
export async function checkReachable(shots: readonly Shot[]): Promise<void> {
  for (const shot of shots) {
    if (await portOpen(Number(new URL(shot.origin).port || 80), new URL(shot.origin).hostname)) continue;
    const routes = shot.routes.map((target) => target.route).join(" and ");
    throw new UnreachableRoute(
      `nothing answers at ${shot.origin} (${routes} route): start the stack with 'npm run up', pick another --route, or pass --target`,
    );
  }
}

export interface LoadReport {
  command: string;
  startedAt: string;
  finishedAt: string;
  file: string;
  votesInFile: number;
  options: Omit<LoadOptions, "out">;
  routes: RouteResult[];
}

export interface RunHooks {
  stack: Record<Route, string>;
  onProgress?: (progress: Progress) => void;
  signal?: AbortSignal;
  onResponse?: (route: Route, status: number, body: string) => void;
  /** Called once the file is read and every route answers, just before the load starts. */
  onStart?: (votesInFile: number, shots: readonly Shot[]) => void;
}

/** Replays the votes file through the chosen routes and reports each route. */
export async function runLoad(options: LoadOptions, hooks: RunHooks): Promise<LoadReport> {
  const votes = readVotesFile(options.file);
  const shots = planShots(options, hooks.stack);
  await checkReachable(shots);
  hooks.onStart?.(votes.length, shots);
  const startedAt = new Date();
  const routes = await fireVotes({
    shots,
    bodies: voteBodies(votes),
    duration: options.duration,
    timeoutSeconds: options.timeoutSeconds,
    onProgress: hooks.onProgress,
    onResponse: hooks.onResponse,
    signal: hooks.signal,
  });
  const { out: _out, ...shown } = options;
  return {
    command: "npm run load",
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    file: options.file,
    votesInFile: votes.length,
    options: shown,
    routes,
  };
}
