import { spawn } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { sleep } from "@marimba/shared";
import { logDir, ROOT, runDir } from "./paths.ts";

/** A process the stack supervises: its pid lives in `.marimba/run/<name>.pid`, its output in `.marimba/logs/<name>.log`. */
export interface ProcessSpec {
  name: string;
  command: string[];
  env?: Record<string, string>;
  cwd?: string;
}

export const pidFile = (name: string) => join(runDir, `${name}.pid`);
export const logFile = (name: string) => join(logDir, `${name}.log`);

/** True while the process runs; a zombie (exited, not yet reaped) counts as gone. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return true; // no /proc (not Linux): the signal check is all there is
  }
}

/** The pid of a supervised process that is still running, or null. */
export function runningPid(name: string): number | null {
  const file = pidFile(name);
  if (!existsSync(file)) return null;
  const pid = Number(readFileSync(file, "utf8").trim());
  if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) return pid;
  rmSync(file, { force: true });
  return null;
}

/** Starts a process in its own session, detached from the terminal, so it outlives `npm run up`. */
export function launch(spec: ProcessSpec): number {
  mkdirSync(runDir, { recursive: true });
  mkdirSync(logDir, { recursive: true });
  const out = openSync(logFile(spec.name), "a");
  const [command, ...args] = spec.command;
  if (!command) throw new Error(`${spec.name}: empty command`);
  const child = spawn(command, args, {
    cwd: spec.cwd ?? ROOT,
    env: { ...process.env, ...spec.env },
    stdio: ["ignore", out, out],
    detached: true,
  });
  closeSync(out);
  if (!child.pid) throw new Error(`${spec.name}: could not start ${command}`);
  child.unref();
  writeFileSync(pidFile(spec.name), String(child.pid));
  return child.pid;
}

/** Sends SIGTERM, waits up to `graceMs`, then SIGKILL. Only ever signals a pid this stack recorded. */
export async function terminate(name: string, graceMs = 15_000): Promise<boolean> {
  const pid = runningPid(name);
  if (pid === null) return false;
  process.kill(pid, "SIGTERM");
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(100);
  if (isAlive(pid)) {
    process.kill(pid, "SIGKILL");
    while (isAlive(pid)) await sleep(50);
  }
  rmSync(pidFile(name), { force: true });
  return true;
}

/** Kills at once, as a crash would: used by fault tests. */
export async function kill(name: string): Promise<void> {
  const pid = runningPid(name);
  if (pid === null) return;
  process.kill(pid, "SIGKILL");
  while (isAlive(pid)) await sleep(20);
  rmSync(pidFile(name), { force: true });
}

/** The last lines of a process's log, to explain why it did not become ready. */
export function logTail(name: string, lines = 20): string {
  const file = logFile(name);
  if (!existsSync(file)) return "(no log)";
  return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
}
