import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { portOpen, sleep, waitFor } from "@marimba/shared";
import { type Component, type StartOutcome, startComponent, stopComponent } from "./components.ts";
import { demoLoad, demoRoutes, sampleVotes } from "./demo.ts";
import { dependencies, ensureChromium, MissingPrerequisite, stackEnv } from "./dependencies.ts";
import { ROOT } from "./paths.ts";
import { ports } from "./ports.ts";
import { runningPid } from "./processes.ts";
import { services, urls } from "./services.ts";
import { summarize } from "./summary.ts";
import { formatTallies, readTallies } from "./tallies.ts";

const everything: Component[] = [...dependencies, ...services];

/** Starts every component in order; returns those this call started, to stop them later. */
async function up(components = everything): Promise<Component[]> {
  const started: Component[] = [];
  for (const component of components) {
    const begun = performance.now();
    let outcome: StartOutcome;
    try {
      outcome = await startComponent(component);
    } catch (error) {
      console.error(`✗ ${component.name}: ${(error as Error).message}`);
      await down(started);
      throw error;
    }
    if (outcome === "started") started.push(component);
    const where = component.external ? ` (${component.external})` : ` (port ${component.port})`;
    console.log(`✓ ${component.name.padEnd(22)} ${outcome}${where} in ${((performance.now() - begun) / 1000).toFixed(1)} s`);
  }
  return started;
}

async function down(components = everything): Promise<void> {
  for (const component of [...components].reverse()) {
    if (await stopComponent(component)) console.log(`■ ${component.name} stopped`);
  }
}

async function status(): Promise<boolean> {
  let allReady = true;
  for (const component of everything) {
    const pid = component.external ? null : runningPid(component.name);
    const ready = await component.ready().catch(() => false);
    allReady &&= ready;
    const state = component.external ? `external ${component.external}` : pid ? `pid ${pid}, port ${component.port}` : "not running";
    console.log(`${ready ? "✓" : "✗"} ${component.name.padEnd(22)} ${ready ? "ready    " : "not ready"}  ${state}`);
  }
  return allReady;
}

function printUrls(): void {
  console.log("\nmarimba is running:");
  for (const [name, url] of Object.entries(urls)) console.log(`  ${name.padEnd(10)} ${url}`);
  console.log(`  kafka      ${stackEnv.KAFKA_BROKERS} (topic ${stackEnv.KAFKA_TOPIC})`);
  console.log(`  mongodb    ${stackEnv.MONGO_URL}/${stackEnv.MONGO_DB}`);
  console.log(`  redis      ${stackEnv.REDIS_URL}`);
  console.log(
    `\nSend a vote:\n  curl -s -XPOST ${urls.http}/rust/send_data -H 'content-type: application/json' \\\n    -d '{"name":"Alux Nahual","album":"Alux Nahual","year":"1980","rank":"1"}'`,
  );
}

async function demo(): Promise<void> {
  const before = (await readTallies()).total;
  const votes = sampleVotes();
  const routes = demoRoutes();
  console.log(`\nDemo load: ${votes.length} sample votes at random through ${routes.map((r) => r.url).join(" and ")}`);
  const outcome = await demoLoad(routes, votes);
  const accepted = Object.values(outcome).reduce((sum, o) => sum + o.accepted, 0);
  for (const [route, o] of Object.entries(outcome)) console.log(`  ${route}: ${o.accepted} accepted, ${o.refused} refused`);
  await waitFor("the demo votes to be counted", async () => (await readTallies()).total >= before + accepted, 30_000).catch(
    (error: Error) => console.error(`  ${error.message}`),
  );
  console.log("\nTallies (Redis):");
  console.log(formatTallies(await readTallies()));
}

/** Runs a Bun command, echoing its output; resolves with exit code and output. */
function runBun(args: string[], env: Record<string, string | undefined> = process.env): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, {
      cwd: ROOT,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk;
      process.stdout.write(chunk);
    });
    child.stderr.on("data", (chunk: Buffer) => {
      output += chunk;
      process.stderr.write(chunk);
    });
    child.on("exit", (code) => resolve({ code: code ?? 1, output }));
  });
}

/**
 * Two tiers. In-process tests live in each package's `test/` and start nothing; stack tests live
 * in `test/stack/` and run against the real Kafka, FerretDB and Redis this command starts.
 */
const STACK_TESTS = "**/test/stack/**";
/** Fault tests stop and start parts of the stack, so they run on their own, after the rest. */
const FAULT_TESTS = "stack/test/stack/faults.test.ts";
/** The dashboard's stack tests run first, while the vote log is smallest. */
const DASHBOARD_TESTS = "web/test/stack/";

const bunTest = (timeoutMs: number, args: string[]) => runBun(["test", "--timeout", String(timeoutMs), ...args]);

/** The in-process tier: every package's `test/` outside `test/stack/`; starts no service. */
const unitTier = () => bunTest(60_000, [`--path-ignore-patterns=${STACK_TESTS}`, `--path-ignore-patterns=**/node_modules/**`]);

function report(runs: { code: number; output: string }[]): number {
  const counts = runs.map((run) => summarize(run.output));
  const passed = counts.reduce((sum, c) => sum + c.passed, 0);
  const failed = counts.reduce((sum, c) => sum + c.failed, 0);
  console.log(`${passed} passed, ${failed} failed`);
  return runs.some((run) => run.code !== 0) || failed > 0 || passed === 0 ? 1 : 0;
}

/** The stack's ports that accept connections right now. */
async function listeningPorts(): Promise<number[]> {
  const all = Object.values(ports);
  const open = await Promise.all(all.map((port) => portOpen(port, "127.0.0.1", 500)));
  return all.filter((_, i) => open[i]);
}

/** The in-process tier alone; fails if it left any port of the stack listening. */
async function testUnit(): Promise<number> {
  const before = new Set(await listeningPorts());
  const code = report([await unitTier()]);
  const opened = (await listeningPorts()).filter((port) => !before.has(port));
  if (opened.length === 0) return code;
  console.error(`the in-process tier left stack ports listening: ${opened.join(", ")}`);
  return 1;
}

async function test(args: string[]): Promise<number> {
  const runs: { code: number; output: string }[] = [];
  // Arguments pick test files, which may need the stack: bring it up for them as for the whole suite.
  if (args.length === 0) {
    runs.push(await unitTier());
    ensureChromium();
  }
  const started = await up();
  try {
    // Tests derive the stack's addresses themselves (honouring MARIMBA_PORT_OFFSET), so they can
    // tell the stack's own Kafka from a user's and stop and start it in fault tests.
    if (args.length > 0) {
      runs.push(await bunTest(60_000, args));
    } else {
      runs.push(await bunTest(60_000, [DASHBOARD_TESTS]));
      runs.push(
        await bunTest(60_000, [
          "test/stack/",
          `--path-ignore-patterns=${FAULT_TESTS}`,
          `--path-ignore-patterns=${DASHBOARD_TESTS}**`,
          `--path-ignore-patterns=**/node_modules/**`,
        ]),
      );
      runs.push(await bunTest(300_000, [FAULT_TESTS]));
    }
  } finally {
    await down(started);
  }
  return report(runs);
}

async function start(): Promise<void> {
  const started = await up();
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log("\nstopping what this command started…");
    await down(started);
    process.exit(0);
  };
  process.on("SIGINT", () => void stop());
  process.on("SIGTERM", () => void stop());
  await demo();
  printUrls();
  console.log("\nPress Ctrl-C to stop.");
  for (;;) await sleep(60_000);
}

/** Commands that belong to a part of the pipeline run that part's own script. */
const delegated: Record<string, string> = {
  recount: "consumer/src/recount-cli.ts",
  load: "load/src/cli.ts",
  votes: "load/src/votes-cli.ts",
  bench: "load/src/bench.ts",
};

async function main(): Promise<number> {
  const [command = "help", ...args] = process.argv.slice(2);
  switch (command) {
    case "start":
      await start();
      return 0;
    case "up":
      await up();
      printUrls();
      return 0;
    case "down":
      await down();
      return 0;
    case "status":
      return (await status()) ? 0 : 1;
    case "test":
      return test(args);
    case "test:unit":
      return testUnit();
    default: {
      const script = delegated[command];
      if (script && existsSync(join(ROOT, script))) return (await runBun([script, ...args], { ...process.env, ...stackEnv })).code;
      console.log(
        "usage: npm start | npm run up | npm run down | npm run status | npm test | npm run test:unit | npm run recount | npm run load | npm run bench",
      );
      return command === "help" ? 0 : 1;
    }
  }
}

try {
  process.exit(await main());
} catch (error) {
  if (!(error instanceof MissingPrerequisite)) console.error(error);
  else console.error(`marimba: ${error.message}`);
  process.exit(1);
}
