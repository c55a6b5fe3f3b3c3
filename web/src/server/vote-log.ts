import { NEWEST_VOTES_COLLECTION, NEWEST_VOTES_ID, type NewestVotesDocument } from "@marimba/shared";
import type { Collection, Db } from "mongodb";
import type { VoteRow } from "../contract.ts";

/**
 * Reads the newest votes from `marimba.newest_votes`, the one document the consumer keeps with
 * the newest 100 votes: an `_id` lookup, the same cost at any size of the vote log (a sort of
 * `marimba.votes` reads every document on FerretDB).
 */
export class VoteLogReader {
  private readonly newestVotes: Collection<NewestVotesDocument>;

  constructor(private readonly db: Db) {
    this.newestVotes = db.collection<NewestVotesDocument>(NEWEST_VOTES_COLLECTION);
  }

  /** The newest `limit` votes (at most 100); `limit` is a number checked by the caller, never raw user input. */
  async newest(limit: number): Promise<VoteRow[]> {
    const document = await this.newestVotes.findOne({ _id: NEWEST_VOTES_ID }, { maxTimeMS: 5000 });
    return (document?.votes ?? []).slice(0, limit).map((vote) => ({
      id: vote.id,
      name: vote.name,
      album: vote.album,
      year: vote.year,
      rank: vote.rank,
      route: vote.route,
      acceptedAt: vote.acceptedAt instanceof Date ? vote.acceptedAt.toISOString() : String(vote.acceptedAt),
    }));
  }

  async ping(): Promise<boolean> {
    await this.db.command({ ping: 1 });
    return true;
  }
}
