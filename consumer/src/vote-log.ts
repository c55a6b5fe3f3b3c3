import { Coalescer, DeadlineError, type KafkaPosition, type StoredVote, VOTES_COLLECTION, type Vote, withDeadline } from "@marimba/shared";
import { type Collection, type Db, MongoBulkWriteError } from "mongodb";
import { calling } from "./failures.ts";
import { MongoStore } from "./mongo-store.ts";

export interface PositionedVote {
  vote: Vote;
  position: KafkaPosition;
}

const DUPLICATE_KEY = 11000;

/** What an insert found: votes whose id MongoDB already held in a copy from another message. */
export interface InsertOutcome {
  alreadyStored: PositionedVote[];
}

/** Longest a ping or a lookup may take before the attempt is abandoned; a bulk write gets `STORE_MS_PER_VOTE` more per vote. */
export const STORE_DEADLINE_MS = 10_000;

/** FerretDB on a busy 2-core machine: ~0.1 ms per vote inserted quietly, up to ~4 ms measured under contention, more when refused. */
const STORE_MS_PER_VOTE = 10;

/** The client's own reply timeout: a backstop behind every deadline here (3,000 votes get 40 s). */
export const STORE_REPLY_TIMEOUT_MS = 60_000;

/** Failed calls in a row after which the client is replaced: a driver stuck in a bad state is left behind. */
const FAILURES_BEFORE_RESET = 3;

/**
 * Partitions worked on at once insert together: one bulk write of ~3 × 40 votes under live load
 * costs FerretDB ~30% less per vote than three of 40 (measured 155 → 110 µs per document).
 */
const INSERT_BATCH = { maxItems: 5000, lingerMs: 1 };

export interface VoteLogObserver {
  /** Votes written, with each one's `storedAt − acceptedAt` in seconds. */
  stored?(lagSeconds: readonly number[]): void;
}

/** `marimba.votes`: one document per vote, `_id` = vote id, so a vote is stored once however often it is sent. */
export class VoteLog {
  private readonly inserts: Coalescer<PositionedVote>;
  /** Votes of the last bulk writes whose id MongoDB already held. */
  private readonly refused = new WeakSet<PositionedVote>();
  private cached: { db: Db; collection: Collection<StoredVote> } | null = null;
  private failuresInARow = 0;

  /** A plain `Db` (tests), or a store whose client is replaced when it gets stuck (the service). */
  constructor(
    private readonly source: Db | MongoStore,
    private readonly deadlineMs = STORE_DEADLINE_MS,
    private readonly observer: VoteLogObserver = {},
    /** How long an insert waits for others to share its bulk write (tests widen it). */
    lingerMs = INSERT_BATCH.lingerMs,
  ) {
    this.inserts = new Coalescer((votes) => this.insertNow(votes), { ...INSERT_BATCH, lingerMs });
  }

  private get db(): Db {
    return this.source instanceof MongoStore ? this.source.db() : this.source;
  }

  get collection(): Collection<StoredVote> {
    const db = this.db;
    if (this.cached?.db !== db) this.cached = { db, collection: db.collection<StoredVote>(VOTES_COLLECTION) };
    return this.cached.collection;
  }

  async ensureIndexes(): Promise<void> {
    await this.call("creating indexes", async () => {
      await this.collection.createIndex({ acceptedAt: -1 }, { name: "acceptedAt_desc" });
    });
  }

  /**
   * Inserts the votes with one unordered bulk write. A vote id MongoDB already holds is refused as
   * a duplicate `_id`, and its stored copy's Kafka position is read back by `_id`: the same
   * position is this message, stored by an attempt that died before counting it (so it is the
   * stored copy, whose route the counters keep); another position is a second message carrying
   * the id (a keyed retry), returned in `alreadyStored`. The counters' script counts each id once
   * either way (see `TallyCounters.apply`). Refusals happen only after a crash or on a retry.
   * Calls made within a millisecond of each other share one bulk write and its outcome.
   */
  async insert(votes: readonly PositionedVote[]): Promise<InsertOutcome> {
    await this.inserts.forward(votes);
    return { alreadyStored: votes.filter((vote) => this.refused.has(vote)) };
  }

  private async insertNow(votes: readonly PositionedVote[]): Promise<void> {
    const storedAt = new Date();
    const operations = votes.map(({ vote: { id, acceptedAt, ...fields }, position }) => ({
      insertOne: { document: { _id: id, ...fields, ...position, acceptedAt: new Date(acceptedAt), storedAt } },
    }));
    const refused = await this.call(
      "storing votes",
      async () => {
        try {
          await this.collection.bulkWrite(operations, { ordered: false });
          return [];
        } catch (error) {
          const indexes = duplicateIndexes(error);
          if (!indexes) throw error;
          return indexes.map((index) => votes[index] as PositionedVote);
        }
      },
      this.deadlineMs + STORE_MS_PER_VOTE * votes.length,
    );
    const elsewhere = refused.length === 0 ? [] : await this.storedElsewhere(refused);
    for (const vote of elsewhere) this.refused.add(vote);
    this.observer.stored?.(votes.map(({ vote }) => (storedAt.getTime() - Date.parse(vote.acceptedAt)) / 1000));
  }

  /** The refused votes whose stored copy came from another Kafka message, one `_id` lookup each. */
  private async storedElsewhere(refused: readonly PositionedVote[]): Promise<PositionedVote[]> {
    const positions = await this.call(
      "reading the stored copies of refused ids",
      () =>
        Promise.all(
          refused.map(({ vote }) =>
            this.collection.findOne({ _id: vote.id }, { projection: { topic: 1, partition: 1, offset: 1 }, maxTimeMS: this.deadlineMs }),
          ),
        ),
      this.deadlineMs + STORE_MS_PER_VOTE * refused.length,
    );
    return refused.filter(({ position }, i) => {
      const stored = positions[i];
      return !(stored && stored.topic === position.topic && stored.partition === position.partition && stored.offset === position.offset);
    });
  }

  async ping(): Promise<boolean> {
    await this.call("ping", () => this.db.command({ ping: 1 }));
    return true;
  }

  /**
   * Runs one MongoDB call within its deadline. A call that outlives it, or the third failure in a
   * row, replaces the client: the MongoDB driver can be left with a server monitor that never checks
   * again after the server restarts (the consumer then failed server selection forever, while a
   * fresh client connected at once).
   */
  private async call<T>(what: string, work: () => Promise<T>, deadlineMs = this.deadlineMs): Promise<T> {
    try {
      const result = await calling("mongo", () => withDeadline(deadlineMs, `MongoDB: ${what}`, work));
      this.failuresInARow = 0;
      return result;
    } catch (error) {
      this.failuresInARow++;
      const timedOut = (error as { cause?: unknown }).cause instanceof DeadlineError;
      if (this.source instanceof MongoStore && (timedOut || this.failuresInARow >= FAILURES_BEFORE_RESET)) {
        this.source.reset(timedOut ? `${what} outlived its deadline` : `${this.failuresInARow} failed calls in a row`);
      }
      throw error;
    }
  }
}

/** The indexes of the refused writes when every refusal is a duplicate `_id`; null for any other failure. */
function duplicateIndexes(error: unknown): number[] | null {
  if (!(error instanceof MongoBulkWriteError)) return null;
  const errors = Array.isArray(error.writeErrors) ? error.writeErrors : [error.writeErrors];
  if (errors.length === 0 || !errors.every((writeError) => writeError.code === DUPLICATE_KEY)) return null;
  return errors.map((writeError) => writeError.index);
}
