/** The producer-grpc server called directly over gRPC, on the real local stack. */
import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import { status } from "@grpc/grpc-js";
import { acceptVote, maxYear, type Vote } from "@marimba/shared";
import { readTallies, sampleVotes, settle, storedVotes, topicEndOffset, uniqueVote, waitFor } from "@marimba/testkit";
import { toMessage } from "../../src/client/upstream.ts";
import { fromTimestamp, toTimestamp, type VoteMessage } from "../../src/contract.ts";
import { trailerProblems, voteServerClient } from "../grpc-client.ts";

// Counters are compared before and after: votes of earlier tests must be counted first.
beforeEach(() => settle(), 60_000);

const client = voteServerClient();
afterAll(() => client.close());

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function bandCounts(votes: readonly { name: string }[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const vote of votes) counts[vote.name] = (counts[vote.name] ?? 0) + 1;
  return counts;
}

/** Waits until the consumer counted `votes` more votes than `before`, then returns the exact deltas. */
async function countedDeltas(before: Awaited<ReturnType<typeof readTallies>>, votes: number) {
  await waitFor(`${votes} votes to be counted`, async () => (await readTallies()).total >= before.total + votes, 30_000);
  const after = await readTallies();
  const bands = Object.fromEntries(Object.keys(after.band).map((band) => [band, (after.band[band] ?? 0) - (before.band[band] ?? 0)]));
  return {
    total: after.total - before.total,
    grpc: (after.route.grpc ?? 0) - (before.route.grpc ?? 0),
    bands: Object.fromEntries(Object.entries(bands).filter(([, delta]) => delta !== 0)),
  };
}

async function inBatches<T, R>(items: readonly T[], concurrency: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const index = next++;
        results[index] = await work(items[index] as T);
      }
    }),
  );
  return results;
}

describe("VoteService over gRPC", () => {
  test("Cast answers each of the 1,000 sample votes with a new id; each is stored with route grpc and counted exactly once", async () => {
    const sample = sampleVotes();
    const before = await readTallies();
    const outcomes = await inBatches(sample, 20, (vote) => client.cast(vote));
    const receipts = outcomes.map((outcome) => {
      if (!outcome.ok) throw new Error(`Cast failed: ${outcome.error.message}`);
      return outcome.value;
    });
    const ids = receipts.map((receipt) => String(receipt.id));
    for (const id of ids) expect(id).toMatch(UUID_V7);
    expect(new Set(ids).size).toBe(sample.length);

    expect(await countedDeltas(before, sample.length)).toEqual({ total: sample.length, grpc: sample.length, bands: bandCounts(sample) });
    const documents = await storedVotes(ids);
    expect(documents.size).toBe(sample.length);
    expect([...documents.values()].every((document) => document.route === "grpc")).toBe(true);
    const first = documents.get(ids[0] as string);
    expect(first).toMatchObject({ ...sample[0], route: "grpc" });
    expect((first?.acceptedAt as Date | undefined)?.toISOString()).toBe(fromTimestamp(receipts[0]?.acceptedAt ?? {}) as string);
  }, 90_000);

  for (const method of ["castStream", "castBatch"] as const) {
    test(`${method} carries the 1,000 sample votes in two calls of 500 and answers every edge-given id in order`, async () => {
      const sample = sampleVotes();
      const now = new Date();
      const accepted = sample.map((vote) => acceptVote(vote, "grpc", now));
      const before = await readTallies();
      const halves = [accepted.slice(0, 500), accepted.slice(500)];
      const outcomes = await Promise.all(halves.map((half) => client[method](half.map(toMessage))));
      const receipts = outcomes.flatMap((outcome) => {
        if (!outcome.ok) throw new Error(`${method} failed: ${outcome.error.message}`);
        return outcome.value;
      });
      expect(receipts.map((receipt) => receipt.id)).toEqual(accepted.map((vote) => vote.id));
      expect(receipts.every((receipt) => fromTimestamp(receipt.acceptedAt ?? {}) === now.toISOString())).toBe(true);

      expect(await countedDeltas(before, sample.length)).toEqual({ total: sample.length, grpc: sample.length, bands: bandCounts(sample) });
      const documents = await storedVotes(accepted.map((vote) => vote.id));
      expect(documents.size).toBe(sample.length);
      expect(
        [...documents.values()].every((document) => document.route === "grpc" && (document.acceptedAt as Date).getTime() === now.getTime()),
      ).toBe(true);
    }, 90_000);
  }

  test("a bad vote is refused with INVALID_ARGUMENT naming each field, in the message and in the trailer, and never reaches Kafka", async () => {
    const offset = await topicEndOffset();
    const outcome = await client.cast({ name: "Alux Nahual", album: "a".repeat(121), year: "80", rank: "1", id: "not-a-uuid" });
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.error.code).toBe(status.INVALID_ARGUMENT);
    expect(outcome.error.details).toBe(
      `the vote does not match the schema: album must be at most 120 characters; year must be a year from 1900 to ${maxYear()}, e.g. "1980"; id must be a UUID v7 (or v5 for a vote sent with an Idempotency-Key), or empty for the server to assign one`,
    );
    expect(trailerProblems(outcome.error.metadata)).toEqual([
      { field: "album", message: "must be at most 120 characters" },
      { field: "year", message: `must be a year from 1900 to ${maxYear()}, e.g. "1980"` },
      { field: "id", message: "must be a UUID v7 (or v5 for a vote sent with an Idempotency-Key), or empty for the server to assign one" },
    ]);
    expect(await topicEndOffset()).toBe(offset);
  });

  test("a stream with one bad vote names its index and publishes none of the good ones", async () => {
    const offset = await topicEndOffset();
    const votes: VoteMessage[] = [uniqueVote(), uniqueVote(), { ...uniqueVote(), rank: "" }, uniqueVote()];
    const outcome = await client.castStream(votes);
    expect(!outcome.ok && outcome.error.code).toBe(status.INVALID_ARGUMENT);
    expect(!outcome.ok && trailerProblems(outcome.error.metadata)).toEqual([
      { field: "[2].rank", message: 'must be a whole number from 1 to 999, e.g. "1"' },
    ]);
    expect(await topicEndOffset()).toBe(offset);
  });

  test("a stream of 501 votes is refused with INVALID_ARGUMENT and nothing reaches Kafka", async () => {
    const offset = await topicEndOffset();
    const outcome = await client.castStream(Array.from({ length: 501 }, () => uniqueVote()));
    expect(!outcome.ok && outcome.error.code).toBe(status.INVALID_ARGUMENT);
    expect(!outcome.ok && trailerProblems(outcome.error.metadata)).toEqual([
      { field: "(body)", message: "holds more than 500 votes; at most 500 are accepted at once" },
    ]);
    expect(await topicEndOffset()).toBe(offset);
  });

  test("CastBatch stamps votes sent without id or acceptance time, as Cast does", async () => {
    const outcome = await client.castBatch([uniqueVote(), uniqueVote()]);
    expect(outcome.ok).toBe(true);
    if (!outcome.ok) return;
    expect(outcome.value).toHaveLength(2);
    for (const receipt of outcome.value) expect(receipt.id).toMatch(UUID_V7);
  });

  test("a batch with one bad vote names its index as a stream does and publishes none of the good ones", async () => {
    const offset = await topicEndOffset();
    const votes: VoteMessage[] = [uniqueVote(), uniqueVote(), { ...uniqueVote(), rank: "" }, uniqueVote()];
    const outcome = await client.castBatch(votes);
    expect(!outcome.ok && outcome.error.code).toBe(status.INVALID_ARGUMENT);
    expect(!outcome.ok && outcome.error.details).toBe(
      'the vote does not match the schema: [2].rank must be a whole number from 1 to 999, e.g. "1"',
    );
    expect(!outcome.ok && trailerProblems(outcome.error.metadata)).toEqual([
      { field: "[2].rank", message: 'must be a whole number from 1 to 999, e.g. "1"' },
    ]);
    expect(await topicEndOffset()).toBe(offset);
  });

  test("an empty batch is refused with INVALID_ARGUMENT saying it holds no vote", async () => {
    const outcome = await client.castBatch([]);
    expect(!outcome.ok && outcome.error.code).toBe(status.INVALID_ARGUMENT);
    expect(!outcome.ok && trailerProblems(outcome.error.metadata)).toEqual([{ field: "(body)", message: "must hold at least one vote" }]);
  });

  test("a batch of 501 votes is refused with INVALID_ARGUMENT naming the count and nothing reaches Kafka", async () => {
    const offset = await topicEndOffset();
    const outcome = await client.castBatch(Array.from({ length: 501 }, () => uniqueVote()));
    expect(!outcome.ok && outcome.error.code).toBe(status.INVALID_ARGUMENT);
    expect(!outcome.ok && trailerProblems(outcome.error.metadata)).toEqual([
      { field: "(body)", message: "holds 501 votes; at most 500 are accepted at once" },
    ]);
    expect(await topicEndOffset()).toBe(offset);
  });

  test("a stream message larger than any vote is refused with INVALID_ARGUMENT naming its index", async () => {
    const offset = await topicEndOffset();
    const outcome = await client.castStream([uniqueVote(), { ...uniqueVote(), album: "a".repeat(20_000) }]);
    expect(!outcome.ok && outcome.error.code).toBe(status.INVALID_ARGUMENT);
    expect(!outcome.ok && trailerProblems(outcome.error.metadata)).toEqual([
      { field: "[1]", message: "holds more than 16384 characters; no vote is that large" },
    ]);
    expect(await topicEndOffset()).toBe(offset);
  });

  test("an edge-given acceptance time is kept through Kafka into MongoDB", async () => {
    const vote: Vote = acceptVote(uniqueVote(), "grpc", new Date("2026-01-02T03:04:05.678Z"));
    const outcome = await client.cast({ ...toMessage(vote), acceptedAt: toTimestamp(vote.acceptedAt) });
    expect(outcome.ok && outcome.value.id).toBe(vote.id);
    await waitFor("the vote to be stored", async () => (await storedVotes([vote.id])).has(vote.id), 15_000);
    const document = (await storedVotes([vote.id])).get(vote.id);
    expect((document?.acceptedAt as Date | undefined)?.toISOString()).toBe("2026-01-02T03:04:05.678Z");
  });

  test("the health service answers SERVING for the server and for VoteService while Kafka is up", async () => {
    expect(await client.healthStatus("")).toBe("SERVING");
    expect(await client.healthStatus("marimba.v1.VoteService")).toBe("SERVING");
  });
});
