import { Redis } from "ioredis";
import { MongoClient } from "mongodb";

// A separate entry (`@marimba/shared/storage`): the MongoDB driver and ioredis cost ~50 MB of RSS that the producers never need.

/** A pooled MongoDB client; commands fail fast instead of queueing while the server is away. */
export function createMongo(url: string): MongoClient {
  return new MongoClient(url, {
    serverSelectionTimeoutMS: 3000,
    connectTimeoutMS: 2000,
    maxPoolSize: 20,
  });
}

/** An ioredis client that reconnects forever but fails commands quickly while disconnected. */
export function createRedis(url: string, options: { lazyConnect?: boolean; autoPipelining?: boolean } = {}): Redis {
  const redis = new Redis(url, {
    lazyConnect: options.lazyConnect ?? false,
    // Commands issued in the same event-loop turn share one write (the consumer's partitions).
    enableAutoPipelining: options.autoPipelining ?? false,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: true,
    connectTimeout: 2000,
    retryStrategy: (attempt) => Math.min(100 * attempt, 2000),
  });
  // Connection errors surface as failed commands and failed readiness; ioredis reconnects by itself.
  redis.on("error", () => {});
  return redis;
}
