import type { Route } from "@marimba/shared";
import { type Component, dependencies, logFile, ports, runningPid, services, startComponent, stopComponent, urls } from "@marimba/stack";

export { stackEnv } from "@marimba/stack";
export { logFile, ports, runningPid, startComponent, stopComponent, urls };

/** The edge service of each route: the process a vote enters through. */
export const ROUTE_EDGES: Record<Route, string> = { http: "producer-http-client", grpc: "producer-grpc-client" };

export function component(name: string): Component | undefined {
  return services.find((candidate) => candidate.name === name) ?? dependencies.find((candidate) => candidate.name === name);
}

/** The addresses the stack gives its own Kafka, FerretDB and Redis at this port offset. */
const OWN_ADDRESSES = new Set([`127.0.0.1:${ports.kafka}`, `mongodb://127.0.0.1:${ports.mongo}`, `redis://127.0.0.1:${ports.redis}`]);

/**
 * The stack CLI runs `npm run bench` with its own addresses in KAFKA_BROKERS, MONGO_URL and
 * REDIS_URL, which would mark its own dependencies as external (never started); an address
 * that is this stack's own port is not external.
 */
function owned(part: Component): Component {
  return part.external && OWN_ADDRESSES.has(part.external) ? { ...part, external: undefined } : part;
}

/** Starts every component of the local stack that is not running; returns those it started. */
export async function ensureStack(log: (line: string) => void): Promise<Component[]> {
  const started: Component[] = [];
  for (const part of [...dependencies.map(owned), ...services]) {
    try {
      if ((await startComponent(part)) === "started") {
        started.push(part);
        log(`started ${part.name}`);
      }
    } catch (error) {
      await stopComponents(started, log);
      throw error;
    }
  }
  return started;
}

export async function stopComponents(components: readonly Component[], log: (line: string) => void): Promise<void> {
  for (const part of [...components].reverse()) {
    if (await stopComponent(part)) log(`stopped ${part.name}`);
  }
}

/** The same component with extra environment, e.g. the consumer pointed at a bench topic. */
export function withEnv(part: Component, env: Record<string, string>): Component {
  return {
    ...part,
    spec: () => {
      const spec = part.spec();
      return { ...spec, env: { ...spec.env, ...env } };
    },
  };
}

/** Routes whose edge service this stack runs (a route not built yet is simply absent). */
export function runningRoutes(): Route[] {
  return (Object.keys(ROUTE_EDGES) as Route[]).filter((route) => runningPid(ROUTE_EDGES[route]) !== null);
}

/** The marimba services and dependencies with a live process, by name. */
export function runningProcesses(): { name: string; pid: number; service: boolean }[] {
  const found: { name: string; pid: number; service: boolean }[] = [];
  for (const part of [...dependencies, ...services]) {
    // Not `part.external`: the stack CLI hands its own addresses to the bench as KAFKA_BROKERS etc.,
    // which marks its own dependencies external; a pid file says this stack started it.
    const pid = runningPid(part.name);
    if (pid !== null) found.push({ name: part.name, pid, service: services.includes(part) });
  }
  return found;
}
