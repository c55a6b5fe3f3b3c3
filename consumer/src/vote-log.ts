import { VOTES_COLLECTION, type Vote } from "@marimba/shared";
import { type Collection, type Db, MongoBulkWriteError } from "mongodb";

/** A vote as stored in MongoDB: the log every counter can be rebuilt from. */
export interface VoteDocument {
  _id: string;
  name: string;
  album: string;
  year: string;
  rank: string;
  route: Vote["route"];
  acceptedAt: Date;
  storedAt: Date;
}

const DUPLICATE_KEY = 11000;

/** `marimba.votes`: one document per vote, `_id` = vote id, so a redelivered vote is stored once. */
export class VoteLog {
  readonly collection: Collection<VoteDocument>;

  constructor(private readonly db: Db) {
    this.collection = db.collection<VoteDocument>(VOTES_COLLECTION);
  }

  async ensureIndexes(): Promise<void> {
    await this.collection.createIndex({ acceptedAt: -1 }, { name: "acceptedAt_desc" });
  }

  /** Inserts every vote with one unordered bulk write; votes already stored are skipped. */
  async insert(votes: readonly Vote[]): Promise<void> {
    if (votes.length === 0) return;
    const storedAt = new Date();
    const documents = votes.map(({ id, acceptedAt, ...fields }) => ({
      insertOne: { document: { _id: id, ...fields, acceptedAt: new Date(acceptedAt), storedAt } },
    }));
    try {
      await this.collection.bulkWrite(documents, { ordered: false });
    } catch (error) {
      // Redelivery after a crash re-inserts votes already stored: expected, and harmless.
      if (error instanceof MongoBulkWriteError && error.writeErrors && onlyDuplicates(error)) return;
      throw error;
    }
  }

  async ping(): Promise<boolean> {
    await this.db.command({ ping: 1 });
    return true;
  }
}

function onlyDuplicates(error: MongoBulkWriteError): boolean {
  const errors = Array.isArray(error.writeErrors) ? error.writeErrors : [error.writeErrors];
  return errors.length > 0 && errors.every((writeError) => writeError.code === DUPLICATE_KEY);
}
