// `npm run bench`: starts what the local stack is missing, runs the scenarios, writes
// .marimba/bench/results.json and the generated section of BENCHMARKS.md, stops what it started.
import { readFileSync } from "node:fs";
import { ArgumentError, usage } from "./args.ts";
import { renderResults, renderScale, SCALE_BEGIN, SCALE_END, writeResultsSection } from "./bench/markdown.ts";
import { BENCH_FLAGS, parseBenchArgs } from "./bench/options.ts";
import { type BenchResults, checkTargets } from "./bench/results.ts";
import { runBench } from "./bench/run.ts";
import { ensureStack, stopComponents } from "./bench/stack.ts";
import { writeJson } from "./files.ts";

const log = (line: string) => console.log(line);

/** The scale scenario has a section of its own, so running it alone keeps the other tables. */
function writeSections(file: string, results: BenchResults): void {
  const scenarios = results.options.scenarios;
  if (scenarios.some((scenario) => scenario !== "scale")) writeResultsSection(file, renderResults(results));
  if (scenarios.includes("scale")) writeResultsSection(file, renderScale(results), { begin: SCALE_BEGIN, end: SCALE_END });
}

async function main(argv: string[]): Promise<number> {
  const options = parseBenchArgs(argv);
  if (options.help) {
    console.log(usage("npm run bench --", BENCH_FLAGS));
    return 0;
  }
  if (options.from) {
    const earlier = JSON.parse(readFileSync(options.from, "utf8")) as BenchResults;
    earlier.targets = checkTargets(earlier);
    writeSections(options.markdown, earlier);
    log(`${options.markdown} rewritten from ${options.from}`);
    return 0;
  }
  const started = await ensureStack(log);
  try {
    const results = await runBench(options, log);
    writeJson(options.out, results);
    writeSections(options.markdown, results);
    log("\nTargets:");
    for (const check of results.targets) {
      const mark = check.met === null ? "–" : check.met ? "✓" : "✗";
      log(`  ${mark} ${check.scenario.padEnd(7)} ${check.what}: ${check.measured} (target ${check.target})`);
    }
    log(`\nresults: ${options.out}\ntable:   ${options.markdown}`);
    return results.failures.length === 0 ? 0 : 1;
  } finally {
    await stopComponents(started, log);
  }
}

try {
  process.exit(await main(process.argv.slice(2)));
} catch (error) {
  if (!(error instanceof ArgumentError)) throw error;
  console.error(`bench: ${error.message}`);
  process.exit(2);
}
