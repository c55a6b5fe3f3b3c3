import { readFileSync } from "node:fs";

export interface ProcessMemory {
  name: string;
  pid: number;
  /** A marimba service (the 150 MB target applies), or a dependency shown for context. */
  service: boolean;
  /** Highest resident set size sampled while the scenario ran, in MB. */
  peakSampledMb: number;
  /** The kernel's high-water mark (VmHWM) at the end: the peak since the process started, in MB. */
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

/** Samples the RSS of a set of processes every `everyMs` until stopped. */
export class MemorySampler {
  private readonly peaks = new Map<number, number>();
  private readonly timer: ReturnType<typeof setInterval>;

  constructor(
    private readonly processes: readonly { name: string; pid: number; service: boolean }[],
    everyMs = 250,
  ) {
    this.sample();
    this.timer = setInterval(() => this.sample(), everyMs);
    this.timer.unref();
  }

  private sample(): void {
    for (const { pid } of this.processes) {
      const memory = readMemory(pid);
      if (memory) this.peaks.set(pid, Math.max(this.peaks.get(pid) ?? 0, memory.rssKb));
    }
  }

  stop(): ProcessMemory[] {
    clearInterval(this.timer);
    this.sample();
    return this.processes.map(({ name, pid, service }) => ({
      name,
      pid,
      service,
      peakSampledMb: mb(this.peaks.get(pid) ?? Number.NaN),
      highWaterMb: mb(readMemory(pid)?.hwmKb ?? Number.NaN),
    }));
  }
}
