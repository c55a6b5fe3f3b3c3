import { Coalescer, DeadlineError, type KafkaPosition, type StoredVote, VOTES_COLLECTION, type Vote, withDeadline } from "@marimba/shared";
import { type Collection, type Db, MongoBulkWriteError } from "mongodb";
import { calling } from "./failures.ts";
import { MongoStore } from "./mongo-store.ts";

export interface PositionedVote {
  vote: Vote;
  position: KafkaPosition;
}

const DUPLICATE_KEY = 11000;

/** What an insert found: votes whose id MongoDB already holds from another Kafka message. */
export interface InsertOutcome {
  duplicates: PositionedVote[];
}

/** Longest a ping or a lookup may take before the attempt is abandoned; a bulk write gets `STORE_MS_PER_VOTE` more per vote. */
export const STORE_DEADLINE_MS = 10_000;

/** FerretDB on a busy 2-core machine: ~0.1 ms per vote inserted quietly, up to ~4 ms measured under contention, more when refused. */
const STORE_MS_PER_VOTE = 10;

/** The client's own reply timeout: a backstop behind every deadline here (3,000 votes get 40 s). */
export const STORE_REPLY_TIMEOUT_MS = 60_000;

/** Refused votes of one partition looked up one by one; more take one query over their offsets. */
const FEW_LOOKUPS = 8;

/** Looking up refused votes reads the log: a full scan on FerretDB, so it gets longer than a write. */
const LOOKUP_DEADLINE_MS = 50_000;

/** Stored positions remembered, so a retried batch rarely needs to read back what it wrote. */
const KNOWN_POSITIONS = 50_000;

const positionKey = ({ topic, partition, offset }: KafkaPosition) => `${topic}/${partition}/${offset}`;

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
  /** Votes of the last bulk writes found stored from another Kafka message. */
  private readonly duplicates = new WeakSet<PositionedVote>();
  private cached: { db: Db; collection: Collection<StoredVote> } | null = null;
  private failuresInARow = 0;
  /** Vote id → Kafka position of votes this process stored (or looked up), newest last. */
  private readonly stored = new Map<string, string>();

  /** A plain `Db` (tests), or a store whose client is replaced when it gets stuck (the service). */
  constructor(
    private readonly source: Db | MongoStore,
    private readonly deadlineMs = STORE_DEADLINE_MS,
    private readonly observer: VoteLogObserver = {},
  ) {
    this.inserts = new Coalescer((votes) => this.insertNow(votes), INSERT_BATCH);
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
      await this.collection.createIndex({ topic: 1, partition: 1, offset: 1 }, { name: "kafka_position" });
    });
  }

  /**
   * Inserts the votes with one unordered bulk write. A vote id MongoDB already holds is refused as
   * a duplicate `_id`; its stored Kafka position tells what it is. The same position: this message,
   * stored by an attempt that died before counting it — counted now (its offset is above the applied
   * one). Another position: a second message carrying an id already stored (a retried or reused id)
   * — returned in `duplicates`, never counted twice.
   * Calls made within a millisecond of each other share one bulk write and its outcome.
   */
  async insert(votes: readonly PositionedVote[]): Promise<InsertOutcome> {
    await this.inserts.forward(votes);
    return { duplicates: votes.filter((vote) => this.duplicates.has(vote)) };
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
      true,
      this.deadlineMs + STORE_MS_PER_VOTE * votes.length,
    );
    const refusedSet = new Set(refused);
    for (const vote of votes) if (!refusedSet.has(vote)) this.remember(vote.vote.id, positionKey(vote.position));
    this.observer.stored?.(votes.map(({ vote }) => (storedAt.getTime() - Date.parse(vote.acceptedAt)) / 1000));
    // Slow lookups still make progress (each answer is remembered): no reason to replace the client.
    if (refused.length > 0) {
      await this.call("looking up the stored copies of duplicate ids", () => this.markDuplicates(refused), false, LOOKUP_DEADLINE_MS);
    }
  }

  /** Records where a vote id is stored, keeping the newest `KNOWN_POSITIONS` ids. */
  private remember(id: string, position: string): void {
    this.stored.set(id, position);
    if (this.stored.size > KNOWN_POSITIONS) this.stored.delete(this.stored.keys().next().value as string);
  }

  /**
   * Of votes refused as duplicate `_id`s, marks those stored from another Kafka message. Where this
   * process stored the id itself (an earlier attempt of the same batch) it knows the position.
   * Otherwise (a batch stored by a consumer that died) a few are looked up by `_id`, and a larger
   * run of one partition with one query over its offsets: FerretDB serves neither from an index
   * on a busy machine, so one query per run beats one per vote.
   */
  private async markDuplicates(refused: readonly PositionedVote[]): Promise<void> {
    const unknown = refused.filter((vote) => !this.stored.has(vote.vote.id));
    const runs = new Map<string, PositionedVote[]>();
    for (const vote of unknown) {
      const key = `${vote.position.topic}/${vote.position.partition}`;
      runs.set(key, [...(runs.get(key) ?? []), vote]);
    }
    for (const run of runs.values()) {
      if (run.length <= FEW_LOOKUPS) await this.lookUpEach(run);
      else await this.lookUpRun(run);
    }
    for (const vote of refused) {
      if (this.duplicates.has(vote)) continue;
      const position = this.stored.get(vote.vote.id);
      if (position === undefined) throw new Error(`vote ${vote.vote.id} was refused as a duplicate but is not stored`);
      if (position !== positionKey(vote.position)) this.duplicates.add(vote);
    }
  }

  private async lookUpEach(votes: readonly PositionedVote[]): Promise<void> {
    await Promise.all(
      votes.map(async ({ vote }) => {
        const found = await this.collection.findOne({ _id: vote.id }, { projection: { topic: 1, partition: 1, offset: 1 } });
        if (found) this.remember(vote.id, positionKey(found));
      }),
    );
  }

  /** One partition's refused votes: which of their positions hold their ids; the others hold them elsewhere. */
  private async lookUpRun(votes: readonly PositionedVote[]): Promise<void> {
    const { topic, partition } = (votes[0] as PositionedVote).position;
    const offsets = votes.map(({ position }) => position.offset);
    const stored = await this.collection
      .find({ topic, partition, offset: { $gte: Math.min(...offsets), $lte: Math.max(...offsets) } }, { projection: { _id: 1, offset: 1 } })
      .toArray();
    const here = new Set(stored.map((doc) => `${doc._id}@${doc.offset}`));
    for (const vote of votes) {
      if (here.has(`${vote.vote.id}@${vote.position.offset}`)) this.remember(vote.vote.id, positionKey(vote.position));
      // Stored at another position, not known which: a duplicate, and nothing remembered about it.
      else this.duplicates.add(vote);
    }
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
  private async call<T>(what: string, work: () => Promise<T>, resetWhenStuck = true, deadlineMs = this.deadlineMs): Promise<T> {
    try {
      const result = await calling("mongo", () => withDeadline(deadlineMs, `MongoDB: ${what}`, work));
      this.failuresInARow = 0;
      return result;
    } catch (error) {
      if (resetWhenStuck) this.failuresInARow++;
      const timedOut = (error as { cause?: unknown }).cause instanceof DeadlineError;
      if (resetWhenStuck && this.source instanceof MongoStore && (timedOut || this.failuresInARow >= FAILURES_BEFORE_RESET)) {
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
