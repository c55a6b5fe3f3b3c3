import { connect } from "node:net";

/** Resolves after `ms` milliseconds. */
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it is true (→ true) or `timeoutMs` passes (→ false); a throwing check counts as not yet. */
export async function waitUntil(check: () => Promise<boolean> | boolean, timeoutMs: number, everyMs = 200): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (
      await Promise.resolve()
        .then(check)
        .catch(() => false)
    )
      return true;
    if (performance.now() > deadline) return false;
    await sleep(everyMs);
  }
}

/** Polls `check` until it is true; throws naming `what` after `timeoutMs`. */
export async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs: number, everyMs = 200): Promise<void> {
  if (!(await waitUntil(check, timeoutMs, everyMs))) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
}

/** True when something accepts TCP connections at host:port within `timeoutMs`. */
export function portOpen(port: number, host = "127.0.0.1", timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: host.replace(/^\[|\]$/g, "") });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
    socket.setTimeout(timeoutMs, () => done(false));
  });
}
