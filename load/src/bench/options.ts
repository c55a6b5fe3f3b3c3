import { ArgumentError, type FlagSpecs, parseFlags } from "../args.ts";

export const SCENARIOS = ["ingest", "drain", "e2e", "scale"] as const;
export type Scenario = (typeof SCENARIOS)[number];
/** `scale` grows a store to a million votes (many minutes): run it on its own with `--scenarios scale`. */
const DEFAULT_SCENARIOS: readonly Scenario[] = ["ingest", "drain", "e2e"];

const RESULTS_FILE = ".marimba/bench/results.json";
/** A scale-only run writes apart, so it does not replace the results of the other scenarios. */
const SCALE_RESULTS_FILE = ".marimba/bench/scale-results.json";

export const BENCH_FLAGS = {
  quick: { type: "boolean", help: "small sizes for a fast check (writes .marimba/bench/BENCHMARKS.md, not BENCHMARKS.md)" },
  scenarios: {
    type: "string",
    default: DEFAULT_SCENARIOS.join(","),
    help: `which scenarios to run, comma-separated, from ${SCENARIOS.join(", ")}`,
  },
  connections: { type: "integer", min: 1, max: 10_000, default: 64, help: "ingest: connections per route" },
  duration: { type: "number", min: 1, max: 3600, default: 20, help: "ingest: seconds per measured run" },
  warmup: { type: "number", min: 0, max: 600, default: 5, help: "ingest: seconds of unmeasured load before each measured run" },
  "drain-votes": { type: "integer", min: 1, max: 50_000_000, default: 200_000, help: "drain: votes preloaded into Kafka" },
  "baseline-votes": { type: "integer", min: 1, max: 50_000_000, default: 20_000, help: "drain: votes the per-message baseline stores" },
  "consumer-ram-mb": {
    type: "integer",
    min: 16,
    max: 1_048_576,
    help: "drain: the consumer sizes its heap as if the machine had this many MiB (BUN_JSC_forceRAMSize), as Bun does in a container with that memory limit",
  },
  "baseline-seconds": { type: "number", min: 1, max: 3600, default: 60, help: "drain: the baseline stops after this long if still short" },
  "e2e-rate": { type: "integer", min: 1, max: 1_000_000, default: 2000, help: "end-to-end: votes per second in total" },
  "e2e-duration": { type: "number", min: 1, max: 3600, default: 30, help: "end-to-end: seconds" },
  "e2e-connections": { type: "integer", min: 1, max: 10_000, default: 40, help: "end-to-end: connections in total" },
  "scale-levels": { type: "string", default: "0,100000,1000000", help: "scale: stored votes at which to measure, comma-separated" },
  "scale-rate": { type: "integer", min: 1, max: 1_000_000, default: 2000, help: "scale: votes per second during each level's live run" },
  "scale-seconds": { type: "number", min: 1, max: 600, default: 15, help: "scale: seconds of live load per level" },
  "scale-requests": { type: "integer", min: 10, max: 100_000, default: 200, help: "scale: sequential requests per read path and level" },
  "scale-clients": { type: "integer", min: 1, max: 1000, default: 50, help: "scale: concurrent clients per read path" },
  "scale-skip-recount": { type: "boolean", help: "scale: do not recount the store at each level" },
  out: { type: "string", default: RESULTS_FILE, help: `results as JSON (a scale-only run: ${SCALE_RESULTS_FILE})` },
  markdown: { type: "string", default: "BENCHMARKS.md", help: "file whose generated section gets the table" },
  from: { type: "string", help: "run nothing: rewrite the markdown from an earlier results.json (targets rechecked)" },
} as const satisfies FlagSpecs;

export interface BenchOptions {
  quick: boolean;
  scenarios: Scenario[];
  connections: number;
  durationSeconds: number;
  warmupSeconds: number;
  drainVotes: number;
  baselineVotes: number;
  baselineSeconds: number;
  /** The drain consumer's RAM as JavaScriptCore sees it, in MiB; unset, the machine's. */
  consumerRamMb?: number;
  e2eRate: number;
  e2eDurationSeconds: number;
  e2eConnections: number;
  scaleLevels: number[];
  scaleRate: number;
  scaleSeconds: number;
  scaleRequests: number;
  scaleClients: number;
  scaleRecount: boolean;
  out: string;
  markdown: string;
  /** An earlier results.json to render instead of running. */
  from?: string;
}

/** `--quick` sizes; a flag given explicitly still wins. */
const QUICK = {
  duration: 3,
  warmup: 1,
  "drain-votes": 20_000,
  "baseline-votes": 2000,
  "e2e-rate": 500,
  "e2e-duration": 5,
  "scale-levels": "0,20000",
  "scale-seconds": 5,
  "scale-requests": 50,
  markdown: ".marimba/bench/BENCHMARKS.md",
} as const;

/** Reads `npm run bench` flags; throws an ArgumentError naming the flag at fault. */
export function parseBenchArgs(argv: readonly string[]): BenchOptions & { help: boolean } {
  const flags = parseFlags(BENCH_FLAGS, argv);
  const pick = <K extends keyof typeof QUICK>(name: K, value: (typeof flags)[K]) =>
    flags.quick && !flags.given.has(name) ? QUICK[name] : value;
  const scenarios = flags.scenarios.split(",").map((name) => name.trim());
  for (const name of scenarios) {
    if (!(SCENARIOS as readonly string[]).includes(name)) {
      throw new ArgumentError(`--scenarios: unknown scenario '${name}'; choose from ${SCENARIOS.join(", ")}`);
    }
  }
  return {
    help: flags.help,
    quick: flags.quick,
    scenarios: [...new Set(scenarios)] as Scenario[],
    connections: flags.connections,
    durationSeconds: pick("duration", flags.duration),
    warmupSeconds: pick("warmup", flags.warmup),
    drainVotes: pick("drain-votes", flags["drain-votes"]),
    baselineVotes: Math.min(pick("baseline-votes", flags["baseline-votes"]), pick("drain-votes", flags["drain-votes"])),
    baselineSeconds: flags["baseline-seconds"],
    consumerRamMb: flags["consumer-ram-mb"],
    e2eRate: pick("e2e-rate", flags["e2e-rate"]),
    e2eDurationSeconds: pick("e2e-duration", flags["e2e-duration"]),
    e2eConnections: flags["e2e-connections"],
    scaleLevels: parseLevels(pick("scale-levels", flags["scale-levels"])),
    scaleRate: flags["scale-rate"],
    scaleSeconds: pick("scale-seconds", flags["scale-seconds"]),
    scaleRequests: pick("scale-requests", flags["scale-requests"]),
    scaleClients: flags["scale-clients"],
    scaleRecount: !flags["scale-skip-recount"],
    out: !flags.given.has("out") && scenarios.length === 1 && scenarios[0] === "scale" ? SCALE_RESULTS_FILE : flags.out,
    markdown: pick("markdown", flags.markdown),
    from: flags.from,
  };
}

function parseLevels(text: string): number[] {
  const levels = text.split(",").map((part) => Number(part.trim()));
  if (levels.some((level) => !Number.isInteger(level) || level < 0 || level > 50_000_000)) {
    throw new ArgumentError(`--scale-levels: '${text}' is not a list of whole numbers of votes from 0 to 50,000,000`);
  }
  return [...new Set(levels)].sort((a, b) => a - b);
}
