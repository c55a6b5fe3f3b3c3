import { readdirSync, readFileSync } from "node:fs";

/** Where the machine's CPU went while a scenario ran, in percent of all cores together. */
export interface CpuUse {
  seconds: number;
  /** Every process of the stack, the load generator and its helpers, in percent of ONE core. */
  byProcess: { name: string; percentOfCore: number }[];
  /** The stack and the bench together, in percent of the machine. */
  oursPercent: number;
  /** Everything else on the machine (other people's builds and tests), in percent of the machine. */
  othersPercent: number;
  /** Time the hypervisor gave to other virtual machines. */
  stealPercent: number;
  idlePercent: number;
}

interface MachineTicks {
  total: number;
  idle: number;
  steal: number;
}

function machineTicks(): MachineTicks {
  const line = readFileSync("/proc/stat", "utf8").split("\n", 1)[0] ?? "";
  // cpu user nice system idle iowait irq softirq steal (guest time is already inside user)
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = line
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  return { total: user + nice + system + idle + iowait + irq + softirq + steal, idle: idle + iowait, steal };
}

/** utime + stime of a process (all its threads), in clock ticks; null once it is gone. */
function processTicks(pid: number): { ticks: number; ppid: number; command: string } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const close = stat.lastIndexOf(")");
    const command = stat.slice(stat.indexOf("(") + 1, close);
    const fields = stat.slice(close + 2).split(" ");
    // fields[0] is the state (field 3 of proc(5)); utime and stime are fields 14 and 15.
    return { ticks: Number(fields[11]) + Number(fields[12]), ppid: Number(fields[1]), command };
  } catch {
    return null;
  }
}

/** utime + stime of a live process, in clock ticks (1/100 s). */
export function cpuTicks(pid: number): number {
  const info = processTicks(pid);
  if (!info) throw new Error(`process ${pid} is gone`);
  return info.ticks;
}

/** Pids of every process below `root`, found by walking /proc's parent links. */
function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const info = processTicks(Number(entry));
    if (info) children.set(info.ppid, [...(children.get(info.ppid) ?? []), Number(entry)]);
  }
  const found: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    for (const child of children.get(queue.pop() as number) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

/**
 * Measures CPU by process while a scenario runs: the stack's processes (by name), the bench
 * process with its children, and, by difference with /proc/stat, everyone else.
 */
export class CpuMeter {
  private readonly start = machineTicks();
  private readonly startedAt = performance.now();
  private readonly first = new Map<number, number>();
  private readonly last = new Map<number, number>();
  private readonly names = new Map<number, string>();
  private readonly timer: ReturnType<typeof setInterval>;

  constructor(private readonly stack: () => { name: string; pid: number }[]) {
    this.sample();
    this.timer = setInterval(() => this.sample(), 500);
    this.timer.unref();
  }

  private sample(): void {
    const named = new Map<number, string>(this.stack().map(({ pid, name }) => [pid, name]));
    named.set(process.pid, "load generator (bench process)");
    for (const pid of descendants(process.pid)) if (!named.has(pid)) named.set(pid, "");
    for (const [pid, name] of named) {
      const info = processTicks(pid);
      if (!info) continue;
      if (!this.first.has(pid)) this.first.set(pid, info.ticks);
      this.last.set(pid, info.ticks);
      if (!this.names.has(pid)) this.names.set(pid, name || `${info.command} (bench child)`);
    }
  }

  stop(): CpuUse {
    clearInterval(this.timer);
    this.sample();
    const end = machineTicks();
    const total = Math.max(1, end.total - this.start.total);
    const busy = total - (end.idle - this.start.idle) - (end.steal - this.start.steal);
    const cores = total / Math.max(1e-9, ((performance.now() - this.startedAt) / 1000) * 100);
    const perName = new Map<string, number>();
    let ours = 0;
    for (const [pid, first] of this.first) {
      const used = (this.last.get(pid) ?? first) - first;
      ours += used;
      const name = this.names.get(pid) ?? String(pid);
      perName.set(name, (perName.get(name) ?? 0) + used);
    }
    const percent = (ticks: number) => Math.round((ticks / total) * 1000) / 10;
    return {
      seconds: Math.round((performance.now() - this.startedAt) / 100) / 10,
      // A share of the machine times the cores is a share of one core.
      byProcess: [...perName]
        .map(([name, ticks]) => ({ name, percentOfCore: Math.round((ticks / total) * cores * 1000) / 10 }))
        .sort((a, b) => b.percentOfCore - a.percentOfCore),
      oursPercent: percent(ours),
      othersPercent: percent(Math.max(0, busy - ours)),
      stealPercent: percent(end.steal - this.start.steal),
      idlePercent: percent(end.idle - this.start.idle),
    };
  }
}
