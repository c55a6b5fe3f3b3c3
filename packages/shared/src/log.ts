import pino from "pino";

/** One JSON line per event on stdout; `LOG_LEVEL` picks the threshold. */
export function createLogger(service: string) {
  return pino({ name: service, level: process.env.LOG_LEVEL ?? "info", base: { service } });
}

export type Logger = ReturnType<typeof createLogger>;
