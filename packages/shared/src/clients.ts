import { Redis } from "ioredis";
import { Kafka, logLevel } from "kafkajs";
import { MongoClient } from "mongodb";
import type { Logger } from "./log.ts";

/** One Kafka client per process; kafkajs logs go through the service's logger. */
export function createKafka(clientId: string, brokers: string[], log: Logger): Kafka {
  return new Kafka({
    clientId,
    brokers,
    connectionTimeout: 1000,
    requestTimeout: 5000,
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

/** A pooled MongoDB client; commands fail fast instead of queueing while the server is away. */
export function createMongo(url: string): MongoClient {
  return new MongoClient(url, {
    serverSelectionTimeoutMS: 3000,
    connectTimeoutMS: 2000,
    maxPoolSize: 20,
  });
}

/** An ioredis client that reconnects forever but fails commands quickly while disconnected. */
export function createRedis(url: string, options: { lazyConnect?: boolean } = {}): Redis {
  const redis = new Redis(url, {
    lazyConnect: options.lazyConnect ?? false,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: true,
    connectTimeout: 2000,
    retryStrategy: (attempt) => Math.min(100 * attempt, 2000),
  });
  // Connection errors surface as failed commands and failed readiness; ioredis reconnects by itself.
  redis.on("error", () => {});
  return redis;
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

  constructor(kafka: Kafka) {
    this.admin = kafka.admin({ retry: { retries: 0 } });
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
    await this.admin.disconnect().catch(() => {});
  }
}
