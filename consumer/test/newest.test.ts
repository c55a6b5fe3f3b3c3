import { describe, expect, test } from "bun:test";
import { createLogger, type NewestVote, type Vote } from "@marimba/shared";
import { type Db, MongoServerError } from "mongodb";
import { DependencyError } from "../src/failures.ts";
import { mergeNewest, NewestVotes } from "../src/newest.ts";

const at = (second: number, id = `v${second}`): NewestVote => ({
  id,
  name: "Alux Nahual",
  album: "Alux Nahual",
  year: "1980",
  rank: "1",
  route: "http",
  acceptedAt: new Date(Date.UTC(2026, 11, 1, 10, 0, second)),
});

describe("mergeNewest", () => {
  test("keeps the newest votes of both lists, newest first, at most `kept`", () => {
    const merged = mergeNewest([at(5), at(3), at(1)], [at(4), at(2), at(6)], 4);
    expect(merged.map((vote) => vote.id)).toEqual(["v6", "v5", "v4", "v3"]);
  });

  test("a vote delivered again is kept once", () => {
    expect(mergeNewest([at(2), at(1)], [at(2), at(2)], 10).map((vote) => vote.id)).toEqual(["v2", "v1"]);
  });

  test("votes accepted in the same millisecond keep one order whatever order they arrive in", () => {
    const a = at(1, "a");
    const b = at(1, "b");
    expect(mergeNewest([a], [b], 10)).toEqual(mergeNewest([b], [a], 10));
  });

  test("votes older than every kept one change nothing", () => {
    const kept = [at(9), at(8)];
    expect(mergeNewest(kept, [at(1)], 2)).toEqual(kept);
  });
});

/** The vote as the consumer decodes it from Kafka. */
const wire = (vote: NewestVote): Vote => ({ ...vote, acceptedAt: vote.acceptedAt.toISOString() });

describe("NewestVotes", () => {
  test("a MongoDB call that never returns fails the record within its deadline, naming MongoDB", async () => {
    const stuck = { findOne: () => new Promise(() => {}), updateOne: () => new Promise(() => {}) };
    const db = { collection: () => stuck } as unknown as Db;
    const newest = new NewestVotes(db, createLogger("test"), {}, 20, 50);
    const started = performance.now();
    const error = await newest.record([wire(at(1))]).then(
      () => null,
      (failure: unknown) => failure,
    );
    expect(error).toBeInstanceOf(DependencyError);
    expect((error as DependencyError).dependency).toBe("mongo");
    expect((error as DependencyError).timedOut).toBe(true);
    expect(performance.now() - started).toBeLessThan(5000);
  });

  test("a write that loses the race to another consumer reads again and merges", async () => {
    let stored = { _id: "newest", version: 3, votes: [at(9)] };
    let writes = 0;
    const collection = {
      findOne: async () => stored,
      updateOne: async (filter: { version: number }, update: { $set: { version: number; votes: NewestVote[] } }) => {
        writes++;
        if (writes === 1 || filter.version !== stored.version) {
          const duplicate = Object.assign(new MongoServerError({ message: "E11000 duplicate key" }), { code: 11000 });
          throw duplicate;
        }
        stored = { _id: "newest", ...update.$set };
        return { matchedCount: 1, upsertedCount: 0 };
      },
    };
    const newest = new NewestVotes({ collection: () => collection } as unknown as Db, createLogger("test"), {}, 20, 50);
    await newest.record([wire(at(5))]);
    expect(stored.votes.map((vote) => vote.id)).toEqual(["v9", "v5"]);
    expect(stored.version).toBe(4);
  });
});
