import { readFileSync } from "node:fs";
import { availableParallelism, loadavg, totalmem } from "node:os";

export interface Machine {
  cpu: string;
  cores: number;
  memoryGb: number;
  kernel: string;
  bun: string;
}

/** What the figures were measured on: `nproc`, the CPU model from /proc/cpuinfo, memory, Bun. */
export function describeMachine(): Machine {
  let cpu = "unknown CPU";
  try {
    cpu =
      readFileSync("/proc/cpuinfo", "utf8")
        .match(/^model name\s*:\s*(.+)$/m)?.[1]
        ?.trim() ?? cpu;
  } catch {
    // not Linux: keep "unknown CPU"
  }
  let kernel: string = process.platform;
  try {
    kernel = readFileSync("/proc/sys/kernel/osrelease", "utf8").trim();
  } catch {
    // not Linux
  }
  return {
    cpu,
    cores: availableParallelism(),
    memoryGb: Math.round(totalmem() / 1024 ** 3),
    kernel,
    bun: Bun.version,
  };
}

/** The 1-minute load average: how busy the machine was with other work. */
export function loadAverage(): number {
  return Math.round((loadavg()[0] ?? 0) * 100) / 100;
}
