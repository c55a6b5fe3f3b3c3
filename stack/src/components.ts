import { portOpen, waitFor } from "@marimba/shared";
import { launch, logTail, type ProcessSpec, runningPid, terminate } from "./processes.ts";

/** Something the local stack runs: a dependency (Kafka, FerretDB, Redis) or a marimba service. */
export interface Component {
  name: string;
  /** The port it listens on, checked for collisions before it starts. */
  port: number;
  /** Set when the user points at their own instance (e.g. `KAFKA_BROKERS`): nothing is started. */
  external?: string;
  /** Installs or builds what it needs; must be idempotent and fast when already done. */
  prepare?(): Promise<void>;
  spec(): ProcessSpec;
  /** A real readiness check: an admin call, a ping, a `/readyz`. */
  ready(): Promise<boolean>;
  /** Runs once it is ready, e.g. creating the topic. */
  afterReady?(): Promise<void>;
  readyTimeoutMs?: number;
  /** How long SIGTERM may take before SIGKILL. */
  graceMs?: number;
}

export type StartOutcome = "started" | "already running" | "external";

export async function startComponent(component: Component): Promise<StartOutcome> {
  let outcome: StartOutcome;
  if (component.external) {
    outcome = "external";
  } else if (runningPid(component.name) !== null) {
    outcome = "already running";
  } else {
    if (await portOpen(component.port)) {
      throw new Error(
        `${component.name}: port ${component.port} is already in use by a process this stack did not start; stop it or free the port`,
      );
    }
    await component.prepare?.();
    launch(component.spec());
    outcome = "started";
  }
  try {
    await waitFor(
      `${component.name} to be ready`,
      async () => {
        if (outcome === "started" && runningPid(component.name) === null) {
          throw new Error(`${component.name} exited during start-up`);
        }
        return component.ready();
      },
      component.readyTimeoutMs ?? 60_000,
      250,
    );
  } catch (error) {
    const where = component.external ? `at ${component.external}` : `log:\n${logTail(component.name)}`;
    throw new Error(`${component.name} did not become ready (${(error as Error).message}); ${where}`);
  }
  await component.afterReady?.();
  return outcome;
}

export async function stopComponent(component: Component): Promise<boolean> {
  return terminate(component.name, component.graceMs ?? 15_000);
}
