import { portOpen } from "@marimba/shared";
import type { DependencyStatus, ReadState } from "../contract.ts";

/** A read that did not answer: before its deadline ("timeout") or because the store could not be reached. */
export class ReadError extends Error {
  constructor(
    readonly store: string,
    readonly state: Exclude<ReadState, "ok">,
    message: string,
  ) {
    super(message);
  }
}

/** Where a store listens, so a read that timed out can be told apart from a store that is gone. */
export interface StoreAddress {
  host: string;
  port: number;
}

/** The host and port of a `mongodb://` or `redis://` URL (the first host of a list). */
export function storeAddress(url: string, defaultPort: number): StoreAddress | undefined {
  const match = /^[a-z+]+:\/\/(?:[^@/]*@)?(\[[^\]]+\]|[^:/,?]+)(?::(\d+))?/i.exec(url);
  if (!match?.[1]) return undefined;
  return { host: match[1].replace(/^\[|\]$/g, ""), port: match[2] ? Number(match[2]) : defaultPort };
}

/** MongoDB's answer to a read that ran past its `maxTimeMS` (code 50, MaxTimeMSExpired): slow, not gone. */
function isServerTimeLimit(error: unknown): boolean {
  const { code, codeName } = (error ?? {}) as { code?: unknown; codeName?: unknown };
  return code === 50 || codeName === "MaxTimeMSExpired";
}

function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}

/**
 * Runs `read` with a deadline. A read that fails is "unreachable"; one that has not answered by
 * `deadlineMs` is "timeout" if the store still accepts connections (frozen or slow) and
 * "unreachable" if it does not (stopped). The read itself is not cancelled: callers must not
 * start another one while it runs (see `Deadlined`).
 */
export async function withDeadline<T>(store: string, deadlineMs: number, read: () => Promise<T>, address?: StoreAddress): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<"late">((resolve) => {
    timer = setTimeout(() => resolve("late"), deadlineMs);
  });
  const running = read();
  try {
    const outcome = await Promise.race([running.then((value) => ({ value })), late]);
    if (outcome !== "late") return outcome.value;
  } catch (error) {
    if (error instanceof ReadError) throw error;
    if (isServerTimeLimit(error)) throw new ReadError(store, "timeout", `${store} did not finish the read within its own time limit`);
    throw new ReadError(store, "unreachable", `${store} cannot be reached (${error instanceof Error ? error.message : String(error)})`);
  } finally {
    clearTimeout(timer);
  }
  running.catch(() => {}); // answered after the deadline: nobody waits for it any more
  if (address && !(await portOpen(address.port, address.host, 300))) {
    throw new ReadError(store, "unreachable", `${store} cannot be reached at ${address.host}:${address.port}`);
  }
  throw new ReadError(store, "timeout", `${store} did not answer within ${seconds(deadlineMs)}`);
}

/**
 * Reads of one store, each with a deadline. While a read that missed its deadline is still
 * running, a new one fails at once as "timeout" instead of piling more work on a slow store.
 */
export class Deadlined {
  private overdue: Promise<unknown> | null = null;

  constructor(
    readonly store: string,
    private readonly deadlineMs: number,
    private readonly address?: StoreAddress,
  ) {}

  async read<T>(read: () => Promise<T>): Promise<T> {
    if (this.overdue) throw new ReadError(this.store, "timeout", `${this.store} has not answered an earlier read yet`);
    const started = read();
    try {
      return await withDeadline(this.store, this.deadlineMs, () => started, this.address);
    } catch (error) {
      if (error instanceof ReadError && error.state === "timeout") {
        const settled = started.then(
          () => {},
          () => {},
        );
        this.overdue = settled;
        void settled.then(() => {
          if (this.overdue === settled) this.overdue = null;
        });
      }
      throw error;
    }
  }
}

/** Remembers each dependency's state and since when it has been in it. */
export class DependencyTracker {
  private status: DependencyStatus;

  constructor(now = Date.now()) {
    this.status = { state: "unknown", since: new Date(now).toISOString() };
  }

  get current(): DependencyStatus {
    return this.status;
  }

  ok(now = Date.now()): DependencyStatus {
    return this.set({ state: "ok" }, now);
  }

  failed(error: unknown, now = Date.now()): DependencyStatus {
    if (error instanceof ReadError) return this.set({ state: error.state, error: error.message }, now);
    return this.set({ state: "unreachable", error: error instanceof Error ? error.message : String(error) }, now);
  }

  private set(next: Omit<DependencyStatus, "since">, now: number): DependencyStatus {
    if (next.state !== this.status.state) this.status = { ...next, since: new Date(now).toISOString() };
    else if (next.error !== this.status.error) this.status = { ...this.status, error: next.error };
    return this.status;
  }
}
