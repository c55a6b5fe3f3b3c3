import { Kafka, type KafkaConfig, logLevel } from "kafkajs";
import { registerCompressionCodecs } from "./compression.ts";
import type { Logger } from "./log.ts";

// Every client can read what any publisher writes, whichever codec it was configured with.
registerCompressionCodecs();

/** How a client reaches its brokers: tests put a network they can cut in between. */
export type KafkaNetwork = Partial<Pick<KafkaConfig, "socketFactory">>;

/** One Kafka client per process; kafkajs logs go through the service's logger. */
export function createKafka(clientId: string, brokers: string[], log: Logger, network: KafkaNetwork = {}): Kafka {
  return new Kafka({
    socketFactory: network.socketFactory,
    clientId,
    brokers,
    // Every call has a deadline: a connection within 1 s, an answer within 5 s (a frozen broker included).
    connectionTimeout: 1000,
    requestTimeout: 5000,
    enforceRequestTimeout: true,
    // Short, bounded retries: a request must be answered 503 promptly while Kafka is down.
    retry: { initialRetryTime: 100, maxRetryTime: 1000, retries: 3 },
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log: entry }) => {
        const { message, ...fields } = entry;
        if (level <= logLevel.ERROR) log.error({ kafka: fields }, message);
        else log.warn({ kafka: fields }, message);
      },
  });
}

/** A step that outlived its deadline; the work itself may still finish later and must be harmless if it does. */
export class DeadlineError extends Error {
  constructor(
    readonly what: string,
    readonly ms: number,
  ) {
    super(`${what} took longer than its ${ms} ms deadline`);
  }
}

/** Rejects with a DeadlineError naming `what` when `work` takes longer than `ms`. */
export async function withDeadline<T>(ms: number, what: string, work: () => Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineError(what, ms)), ms);
  });
  try {
    return await Promise.race([work(), expired]);
  } finally {
    clearTimeout(timer);
  }
}

/** Resolves false instead of hanging when a check takes longer than `ms`. */
export async function within(ms: number, check: () => Promise<unknown>): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([check().then(() => true as const), timeout]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/** Answers "is the Kafka cluster reachable?" for readiness probes, at most once a second. */
export class KafkaProbe {
  private readonly admin;
  private connected = false;
  private last = { at: 0, ok: false };
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(kafka: Kafka) {
    this.admin = kafka.admin({ retry: { retries: 0 } });
  }

  /** Checks every `everyMs` in the background, so `lastKnown` answers at once. */
  watch(everyMs = 1000): this {
    this.timer = setInterval(() => void this.reachable(), everyMs);
    this.timer.unref?.();
    void this.reachable();
    return this;
  }

  /** The last check's answer (true before the first one ends). */
  get lastKnown(): boolean {
    return this.last.at === 0 || this.last.ok;
  }

  async reachable(): Promise<boolean> {
    if (performance.now() - this.last.at < 1000) return this.last.ok;
    const ok = await within(2000, async () => {
      if (!this.connected) {
        await this.admin.connect();
        this.connected = true;
      }
      await this.admin.describeCluster();
    });
    this.last = { at: performance.now(), ok };
    return ok;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.admin.disconnect().catch(() => {});
  }
}
