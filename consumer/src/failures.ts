import { DeadlineError } from "@marimba/shared";

/** What a batch can be waiting for. */
export type Dependency = "mongo" | "redis" | "kafka";

/** A step of a batch failed because a dependency did not answer, or answered an error, in time. */
export class DependencyError extends Error {
  constructor(
    readonly dependency: Exclude<Dependency, "kafka">,
    override readonly cause: unknown,
  ) {
    super(`${dependency}: ${(cause as Error)?.message ?? String(cause)}`);
  }

  /** The step outlived its deadline (as opposed to failing at once). */
  get timedOut(): boolean {
    return this.cause instanceof DeadlineError;
  }
}

/** Runs a dependency call, turning any failure into a DependencyError naming the dependency. */
export async function calling<T>(dependency: DependencyError["dependency"], work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw error instanceof DependencyError ? error : new DependencyError(dependency, error);
  }
}

/**
 * The counters hold less than Kafka says was applied: the partition's applied offset is below the
 * message before this batch. Redis lost data (a wipe, or a restart without persistence), or a
 * repair set the offset back: the batch must not be counted on top of it.
 */
export class CountersBehindError extends Error {
  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly appliedOffset: string,
    readonly firstOffset: string,
  ) {
    super(`partition ${partition}: the counters include offsets up to ${appliedOffset}, but this batch starts at ${firstOffset}`);
  }
}
