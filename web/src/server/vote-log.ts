import { type StoredVote, VOTES_COLLECTION } from "@marimba/shared";
import type { Collection, Db } from "mongodb";
import type { VoteRow } from "../contract.ts";

const PROJECTION = { _id: 1, name: 1, album: 1, year: 1, rank: 1, route: 1, acceptedAt: 1 } as const;

/** Reads the vote log in MongoDB: newest first, through the `acceptedAt` descending index. */
export class VoteLogReader {
  private readonly votes: Collection<StoredVote>;

  constructor(private readonly db: Db) {
    this.votes = db.collection<StoredVote>(VOTES_COLLECTION);
  }

  /** The newest `limit` votes; `limit` is a number checked by the caller, never raw user input. */
  async newest(limit: number): Promise<VoteRow[]> {
    const documents = await this.votes.find({}, { projection: PROJECTION, sort: { acceptedAt: -1 }, limit, maxTimeMS: 5000 }).toArray();
    return documents.map((document) => ({
      id: document._id,
      name: document.name,
      album: document.album,
      year: document.year,
      rank: document.rank,
      route: document.route,
      acceptedAt: document.acceptedAt instanceof Date ? document.acceptedAt.toISOString() : String(document.acceptedAt),
    }));
  }

  async ping(): Promise<boolean> {
    await this.db.command({ ping: 1 });
    return true;
  }
}
