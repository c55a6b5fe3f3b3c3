import { afterAll, describe, expect, test } from "bun:test";
import { acceptVote, NEWEST_VOTES_ID } from "@marimba/shared";
import { createMongo } from "@marimba/shared/storage";
import { silentLogger, stackEnv, uniqueVote } from "@marimba/testkit";
import { NewestVotes } from "../../src/newest.ts";

// A database of its own: two writers race here without touching the dashboard's document.
const client = createMongo(stackEnv.MONGO_URL);
const db = client.db("marimba_newest_test");

afterAll(async () => {
  await db.dropDatabase();
  await client.close();
});

const votesAt = (count: number, fromMs: number) =>
  Array.from({ length: count }, (_, i) => acceptVote(uniqueVote(), "grpc", new Date(fromMs + i)));

describe("NewestVotes (real MongoDB-wire store)", () => {
  test("two consumers writing at once lose neither's newest votes, and the collection stays one document", async () => {
    await db.dropDatabase();
    const first = new NewestVotes(db, silentLogger, {}, 10);
    const second = new NewestVotes(db, silentLogger, {}, 10);
    const base = Date.UTC(2026, 11, 1);
    const older = votesAt(6, base);
    const newer = votesAt(6, base + 1000);
    await Promise.all([first.record(older), second.record(newer), first.record(votesAt(3, base - 5000))]);
    const { votes, version } = await first.read();
    expect(votes.map((vote) => vote.id)).toEqual([...newer.reverse(), ...older.reverse()].slice(0, 10).map((vote) => vote.id));
    expect(version).toBeGreaterThanOrEqual(2);
    expect(await first.collection.countDocuments()).toBe(1);
    expect((await first.collection.findOne({ _id: NEWEST_VOTES_ID }))?.votes).toHaveLength(10);
  });

  test("votes older than every kept one are not written at all", async () => {
    const writer = new NewestVotes(db, silentLogger, {}, 10);
    const before = await writer.read();
    await writer.record(votesAt(5, Date.UTC(2020, 0, 1)));
    expect(await writer.read()).toEqual(before);
  });
});
