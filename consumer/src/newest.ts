import {
  backoffMs,
  Coalescer,
  type Logger,
  NEWEST_VOTES_COLLECTION,
  NEWEST_VOTES_ID,
  NEWEST_VOTES_KEPT,
  type NewestVote,
  type NewestVotesDocument,
  type Vote,
  withDeadline,
} from "@marimba/shared";
import { type Collection, type Db, MongoServerError } from "mongodb";
import { calling } from "./failures.ts";

const DUPLICATE_KEY = 11000;
/** Writers that keep losing the race give up after this many tries: the next batch writes again. */
const MAX_ATTEMPTS = 8;
/**
 * Each read or write of the document, client side: `maxTimeMS` bounds only the server's work, and
 * a call the driver never sends (a pool left waiting after FerretDB restarted) would otherwise hold
 * every partition's batch, with nothing logged.
 */
export const NEWEST_DEADLINE_MS = 5000;
/** Batches of the partitions worked on at once share one write of the document. */
const RECORD_BATCH = { maxItems: 10_000, lingerMs: 2 };

export interface NewestVotesObserver {
  /** A write lost the race with another consumer this many times in a row and was dropped. */
  gaveUp?(attempts: number): void;
}

/** The newest `kept` of `current` and `incoming` together, newest first, each id once. */
export function mergeNewest(current: readonly NewestVote[], incoming: readonly NewestVote[], kept = NEWEST_VOTES_KEPT): NewestVote[] {
  const byId = new Map<string, NewestVote>();
  for (const vote of [...current, ...incoming]) if (!byId.has(vote.id)) byId.set(vote.id, vote);
  return [...byId.values()]
    .sort((a, b) => b.acceptedAt.getTime() - a.acceptedAt.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))
    .slice(0, kept);
}

function sameIds(a: readonly NewestVote[], b: readonly NewestVote[]): boolean {
  return a.length === b.length && a.every((vote, i) => vote.id === b[i]?.id);
}

/**
 * `marimba.newest_votes`: one small document with the newest votes, so the dashboard's
 * newest-votes read is one `_id` lookup whatever the size of the log (FerretDB cannot serve a
 * sort or a range without reading every document; MongoDB would, but one document is cheaper
 * still). The log stays the record: this is a view, rebuilt by every batch. Consumers write it
 * with optimistic concurrency on `version`, so a replica never overwrites another's newer votes.
 */
export class NewestVotes {
  private readonly db: () => Db;
  private readonly records: Coalescer<NewestVote>;
  /** The document as this process last wrote or read it: usually still current, saving a read. */
  private known: { version: number; votes: NewestVote[] } | null = null;

  constructor(
    /** The database, asked for on each use: the service replaces its MongoDB client when it gets stuck. */
    db: Db | (() => Db),
    private readonly logger: Logger,
    private readonly observer: NewestVotesObserver = {},
    private readonly kept = NEWEST_VOTES_KEPT,
    private readonly deadlineMs = NEWEST_DEADLINE_MS,
  ) {
    this.db = typeof db === "function" ? db : () => db;
    this.records = new Coalescer((votes) => this.recordNow(votes), RECORD_BATCH);
  }

  /** The `newest_votes` collection of the database in use now. */
  get collection(): Collection<NewestVotesDocument> {
    return this.db().collection<NewestVotesDocument>(NEWEST_VOTES_COLLECTION);
  }

  /** Adds stored votes to the newest votes; concurrent calls share one write. */
  record(votes: readonly Vote[]): Promise<void> {
    return this.records.forward(
      votes.map(({ id, name, album, year, rank, route, acceptedAt }) => ({
        id,
        name,
        album,
        year,
        rank,
        route,
        acceptedAt: new Date(acceptedAt),
      })),
    );
  }

  /** The document as stored, or an empty one at version 0. */
  async read(): Promise<{ version: number; votes: NewestVote[] }> {
    const document = await this.mongo("reading the newest votes", () =>
      this.collection.findOne({ _id: NEWEST_VOTES_ID }, { maxTimeMS: this.deadlineMs }),
    );
    return document ? { version: document.version, votes: document.votes } : { version: 0, votes: [] };
  }

  private async recordNow(incoming: readonly NewestVote[]): Promise<void> {
    const fresh = mergeNewest([], incoming, this.kept);
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const current = this.known ?? (await this.read());
      const votes = mergeNewest(current.votes, fresh, this.kept);
      if (sameIds(votes, current.votes)) return; // every incoming vote is older than the newest kept
      if (await this.write(current.version, votes)) {
        this.known = { version: current.version + 1, votes };
        return;
      }
      this.known = null; // another consumer wrote meanwhile: read its votes and merge again
      await Bun.sleep(backoffMs(attempt, 2, 50));
    }
    this.observer.gaveUp?.(MAX_ATTEMPTS);
    this.logger.warn({ attempts: MAX_ATTEMPTS }, "the newest votes kept changing under this consumer; left to the next batch");
  }

  /** Replaces the document if it is still at `version`; false when another writer got there first. */
  private async write(version: number, votes: NewestVote[]): Promise<boolean> {
    try {
      // Upsert: the first write creates the document; a write at a stale version matches nothing
      // and its insert collides with the existing `_id`.
      const result = await this.mongo("writing the newest votes", () =>
        this.collection.updateOne(
          { _id: NEWEST_VOTES_ID, version },
          { $set: { version: version + 1, votes } },
          { upsert: true, maxTimeMS: this.deadlineMs },
        ),
      );
      return result.matchedCount + result.upsertedCount === 1;
    } catch (error) {
      const cause = (error as { cause?: unknown }).cause;
      if (cause instanceof MongoServerError && cause.code === DUPLICATE_KEY) return false;
      throw error;
    }
  }

  /** One MongoDB call within the deadline; its failure names MongoDB, so the batch is retried and logged. */
  private mongo<T>(what: string, work: () => Promise<T>): Promise<T> {
    return calling("mongo", () => withDeadline(this.deadlineMs, `MongoDB: ${what}`, work));
  }
}
