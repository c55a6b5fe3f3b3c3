import { Redis } from "ioredis";
import { MongoClient } from "mongodb";

// A separate entry (`@marimba/shared/storage`): the MongoDB driver and ioredis cost ~50 MB of RSS that the producers never need.

export interface MongoOptions {
  /**
   * Longest wait for a server's reply, and for a pooled connection. Generous by default: a full scan
   * of a large vote log on FerretDB takes minutes on a busy machine; callers with a tighter
   * job pass less. (The driver's `timeoutMS` is a no-op since mongodb 7: these are the deadlines it has.)
   */
  replyTimeoutMS?: number;
}

/** A pooled MongoDB client whose every wait has a deadline; commands fail fast while the server is away. */
export function createMongo(url: string, options: MongoOptions = {}): MongoClient {
  const replyTimeoutMS = options.replyTimeoutMS ?? 300_000;
  return new MongoClient(url, {
    serverSelectionTimeoutMS: 3000,
    connectTimeoutMS: 2000,
    // Without these the driver waits forever for a reply and for a free connection.
    socketTimeoutMS: replyTimeoutMS,
    waitQueueTimeoutMS: replyTimeoutMS,
    maxPoolSize: 20,
  });
}

export interface RedisOptions {
  lazyConnect?: boolean;
  autoPipelining?: boolean;
  /** Deadline of each command, counted from when it is issued (queued while reconnecting included). */
  commandTimeout?: number;
}

/** Longest wait between two reconnection attempts. */
const REDIS_RECONNECT_MAX_MS = 2000;

/**
 * An ioredis client that reconnects forever (every 100 ms, backing off to 2 s) but fails each
 * command within its deadline: commands issued while disconnected wait in the offline queue for
 * at most one reconnection attempt and `commandTimeout`, never longer.
 */
export function createRedis(url: string, options: RedisOptions = {}): Redis {
  const redis = new Redis(url, {
    lazyConnect: options.lazyConnect ?? false,
    // Commands issued in the same event-loop turn share one write (the consumer's partitions).
    enableAutoPipelining: options.autoPipelining ?? false,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: true,
    commandTimeout: options.commandTimeout ?? 5000,
    // A server that stops answering (frozen, or a dead peer with no FIN) has its connection replaced.
    socketTimeout: Math.max(options.commandTimeout ?? 5000, 5000) * 2,
    connectTimeout: 2000,
    retryStrategy: (attempt) => Math.min(100 * attempt, REDIS_RECONNECT_MAX_MS),
  });
  // Connection errors surface as failed commands and failed readiness; ioredis reconnects by itself.
  redis.on("error", () => {});
  return redis;
}
