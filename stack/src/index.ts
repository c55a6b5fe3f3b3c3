/**
 * The local stack's front door: where each part of the pipeline runs on this machine, and how
 * to start, stop and find it. The CLI (`src/cli.ts`) and the test kit are built on this.
 */
export { type Component, type StartOutcome, startComponent, stopComponent } from "./components.ts";
export { type DemoRoute, demoLoad, demoRoutes, sampleVotes } from "./demo.ts";
export {
  CHROMIUM_ARGS,
  CHROMIUM_PATH,
  dependencies,
  ensureChromium,
  ensureDebianPackage,
  kafka as kafkaComponent,
  MissingPrerequisite,
  mongo as mongoComponent,
  redis as redisComponent,
  redisAnswers,
  stackEnv,
  TOPIC_PARTITIONS,
} from "./dependencies.ts";
export { CACHE_DIR, dataDir, logDir, ROOT, runDir, STATE_DIR } from "./paths.ts";
export { PORT_OFFSET, ports } from "./ports.ts";
export { isAlive, kill, logFile, logTail, runningPid, terminate } from "./processes.ts";
export { service, services, urls } from "./services.ts";
export { formatTallies, readTallies, type Tallies } from "./tallies.ts";
