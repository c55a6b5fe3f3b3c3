import { Elysia } from "elysia";
import type { Registry } from "prom-client";
import { within } from "./clients.ts";
import { ConfigError } from "./config.ts";
import type { Logger } from "./log.ts";

/** A readiness check answers true (ok), false (unreachable) or, when not ready for another reason, that reason. */
export type ReadinessChecks = Record<string, () => Promise<boolean | string> | boolean | string>;

/** `/healthz` (alive), `/readyz` (every dependency reachable) and `/metrics` (Prometheus text). */
export function probes(registry: Registry, checks: ReadinessChecks) {
  return new Elysia({ name: "probes" })
    .get("/healthz", () => ({ status: "ok" }))
    .get("/readyz", async ({ set }) => {
      const names = Object.keys(checks);
      const results = await Promise.all(
        names.map(async (name) => {
          let answer: boolean | string = false;
          const answered = await within(3000, async () => {
            answer = (await checks[name]?.()) ?? false;
          });
          return answered && typeof answer === "string" ? answer : answered && answer ? "ok" : "unreachable";
        }),
      );
      const status = Object.fromEntries(names.map((name, i) => [name, results[i]]));
      const ready = results.every((result) => result === "ok");
      set.status = ready ? 200 : 503;
      return { status: ready ? "ready" : "not ready", checks: status };
    })
    .get("/metrics", async () => new Response(await registry.metrics(), { headers: { "content-type": registry.contentType } }));
}

export interface RunningService {
  /** Stops taking work, finishes what is in flight, and releases connections. */
  stop(): Promise<void>;
}

/**
 * Runs a service's start-up and owns its lifetime: a configuration error ends the process
 * with a message naming the variable; SIGTERM or SIGINT stop it gracefully within `graceMs`.
 */
export async function runService(log: Logger, start: () => Promise<RunningService>, graceMs = 10_000): Promise<void> {
  let service: RunningService;
  try {
    service = await start();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    log.fatal({ err: error }, "start-up failed");
    process.exit(1);
  }
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "stopping");
    const timer = setTimeout(() => {
      log.error("graceful stop took too long; exiting");
      process.exit(1);
    }, graceMs);
    try {
      await service.stop();
      log.info("stopped");
      process.exit(0);
    } catch (error) {
      log.error({ err: error }, "stop failed");
      process.exit(1);
    } finally {
      clearTimeout(timer);
    }
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
}
