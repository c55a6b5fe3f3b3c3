import { readFileSync } from "node:fs";

export interface ProcessMemory {
  name: string;
  pid: number;
  /** A marimba service (the 150 MB target applies), or a dependency shown for context. */
  service: boolean;
  /** Highest resident set size sampled while the scenario ran, in MB. */
  peakSampledMb: number;
  /** The kernel's high-water mark (VmHWM), highest seen: the peak since the process started, in MB. */
  highWaterMb: number;
}

/** Reads `VmRSS` and `VmHWM` (kB) from /proc/<pid>/status; null once the process is gone. */
export function readMemory(pid: number): { rssKb: number; hwmKb: number } | null {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, "utf8");
  } catch {
    return null;
  }
  const field = (name: string) => Number(status.match(new RegExp(`^${name}:\\s+(\\d+) kB`, "m"))?.[1] ?? Number.NaN);
  return { rssKb: field("VmRSS"), hwmKb: field("VmHWM") };
}

const mb = (kb: number) => Math.round((kb / 1024) * 10) / 10;

/**
 * Samples the RSS of the stack's processes every `everyMs` until stopped, by name: a service
 * restarted meanwhile (the consumer, stopped and started by the ingest scenario) keeps its row,
 * with the peak of every process that ran under that name.
 */
export class MemorySampler {
  private readonly seen = new Map<string, { pid: number; service: boolean; rssKb: number; hwmKb: number }>();
  private readonly timer: ReturnType<typeof setInterval>;

  constructor(
    private readonly processes: () => readonly { name: string; pid: number; service: boolean }[],
    everyMs = 250,
  ) {
    this.sample();
    this.timer = setInterval(() => this.sample(), everyMs);
    this.timer.unref();
  }

  private sample(): void {
    for (const { name, pid, service } of this.processes()) {
      const memory = readMemory(pid);
      if (!memory) continue;
      const before = this.seen.get(name);
      this.seen.set(name, {
        pid,
        service,
        rssKb: Math.max(before?.rssKb ?? 0, memory.rssKb),
        hwmKb: Math.max(before?.hwmKb ?? 0, memory.hwmKb),
      });
    }
  }

  stop(): ProcessMemory[] {
    clearInterval(this.timer);
    this.sample();
    return [...this.seen].map(([name, { pid, service, rssKb, hwmKb }]) => ({
      name,
      pid,
      service,
      peakSampledMb: mb(rssKb),
      highWaterMb: mb(hwmKb),
    }));
  }
}
