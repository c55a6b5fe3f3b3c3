import { type Logger, withDeadline } from "@marimba/shared";
import type { Db, MongoClient } from "mongodb";

/** Fewest milliseconds between two replacements of the client, so a store that is simply down is not churned. */
const RESET_EVERY_MS = 5000;

/**
 * The consumer's MongoDB client, which can be replaced by a fresh one (new pool, new server monitor)
 * when calls through it get stuck. The old client is closed in the background, within a deadline.
 */
export class MongoStore {
  private client: MongoClient;
  private lastReset = 0;
  resets = 0;

  constructor(
    private readonly connect: () => MongoClient,
    private readonly dbName: string,
    private readonly logger: Logger,
  ) {
    this.client = connect();
  }

  db(): Db {
    return this.client.db(this.dbName);
  }

  /** Replaces the client unless it was replaced less than 5 s ago; true when it was. */
  reset(reason: string): boolean {
    if (performance.now() - this.lastReset < RESET_EVERY_MS) return false;
    this.lastReset = performance.now();
    this.resets++;
    const old = this.client;
    this.client = this.connect();
    this.logger.warn({ reason }, "replacing the MongoDB client with a fresh one");
    withDeadline(5000, "closing the old MongoDB client", () => old.close(true)).catch((error: Error) =>
      this.logger.warn({ err: error }, "the old MongoDB client did not close cleanly"),
    );
    return true;
  }

  async close(): Promise<void> {
    await withDeadline(5000, "closing the MongoDB client", () => this.client.close());
  }
}
