import { describe, expect, test } from "bun:test";
import { Coalescer, SharedRead } from "../src/coalesce.ts";
import { HttpError } from "../src/http.ts";
import { acceptVote, type Vote } from "../src/vote.ts";

const vote = (rank = "1"): Vote => acceptVote({ name: "Alux Nahual", album: "Alux Nahual", year: "1980", rank }, "http", new Date());
const votes = (count: number): Vote[] => Array.from({ length: count }, () => vote());

/** A send function that records every batch and settles each when the test says so. */
function upstream() {
  const batches: { votes: readonly Vote[]; accept: () => void; fail: (error: unknown) => void }[] = [];
  const send = (sent: readonly Vote[]) =>
    new Promise<void>((accept, fail) => {
      batches.push({ votes: sent, accept, fail });
    });
  return { batches, send };
}

const settledState = (promise: Promise<void>) =>
  promise.then(
    () => "accepted",
    (error: unknown) => error,
  );

describe("vote coalescer", () => {
  test("concurrent requests within the linger share one upstream batch and are all accepted with it", async () => {
    const { batches, send } = upstream();
    const coalescer = new Coalescer<Vote>(send, { lingerMs: 5 });
    const first = votes(1);
    const second = votes(3);
    const answers = [coalescer.forward(first), coalescer.forward(second)].map(settledState);
    await Bun.sleep(20);
    expect(batches).toHaveLength(1);
    expect(batches[0]?.votes).toEqual([...first, ...second]);
    batches[0]?.accept();
    expect(await Promise.all(answers)).toEqual(["accepted", "accepted"]);
  });

  test("a failed batch gives every caller in it the same error, and later batches are unaffected", async () => {
    const { batches, send } = upstream();
    const coalescer = new Coalescer<Vote>(send, { lingerMs: 1 });
    const refused = [coalescer.forward(votes(1)), coalescer.forward(votes(2))].map(settledState);
    await Bun.sleep(10);
    const unavailable = new HttpError(503, "the vote service is unreachable; retry shortly");
    batches[0]?.fail(unavailable);
    const answers = await Promise.all(refused);
    expect(answers).toEqual([unavailable, unavailable]);
    expect((answers[0] as HttpError).status).toBe(503);

    const later = settledState(coalescer.forward(votes(1)));
    await Bun.sleep(10);
    expect(batches).toHaveLength(2);
    batches[1]?.accept();
    expect(await later).toBe("accepted");
  });

  test("a batch never holds more than the cap, and a request is never split across batches", async () => {
    const { batches, send } = upstream();
    const coalescer = new Coalescer<Vote>(send, { maxItems: 500, lingerMs: 1000 });
    const answers = [
      coalescer.forward(votes(300)),
      coalescer.forward(votes(300)), // would overflow the first batch: starts the second
      coalescer.forward(votes(200)), // fills the second to exactly 500: sent without lingering
    ].map(settledState);
    expect(batches.map((batch) => batch.votes.length)).toEqual([300, 500]);
    batches[0]?.fail(new HttpError(429, "too many votes are waiting"));
    batches[1]?.accept();
    const [first, second, third] = await Promise.all(answers);
    expect((first as HttpError).status).toBe(429);
    expect([second, third]).toEqual(["accepted", "accepted"]);
  });

  test("500 single votes are sent at once, without waiting for the linger", () => {
    const { batches, send } = upstream();
    const coalescer = new Coalescer<Vote>(send, { maxItems: 500, lingerMs: 60_000 });
    for (let i = 0; i < 501; i += 1) void coalescer.forward([vote(String((i % 5) + 1))]);
    expect(batches.map((batch) => batch.votes.length)).toEqual([500]);
    coalescer.flush();
    expect(batches.map((batch) => batch.votes.length)).toEqual([500, 1]);
  });

  test("a send function that throws instead of rejecting still answers every caller", async () => {
    const coalescer = new Coalescer<Vote>(
      () => {
        throw new HttpError(502, "bug");
      },
      { lingerMs: 1 },
    );
    const answer = await settledState(coalescer.forward(votes(2)));
    expect((answer as HttpError).status).toBe(502);
  });

  test("with a cap of one vote every request goes upstream on its own", () => {
    const { batches, send } = upstream();
    const coalescer = new Coalescer<Vote>(send, { maxItems: 1 });
    void coalescer.forward(votes(1));
    void coalescer.forward(votes(1));
    expect(batches.map((batch) => batch.votes.length)).toEqual([1, 1]);
  });
});

describe("shared read", () => {
  test("callers that ask while a read runs share it; the next caller after it settles starts another", async () => {
    let reads = 0;
    const release: ((value: number) => void)[] = [];
    const shared = new SharedRead(() => {
      reads += 1;
      return new Promise<number>((resolve) => release.push(resolve));
    });
    const together = [shared.get(), shared.get(), shared.get()];
    expect(reads).toBe(1);
    release[0]?.(1);
    expect(await Promise.all(together)).toEqual([1, 1, 1]);
    const later = shared.get();
    expect(reads).toBe(2);
    release[1]?.(2);
    expect(await later).toBe(2);
  });

  test("a failed read fails every caller sharing it and is not kept", async () => {
    let reads = 0;
    const shared = new SharedRead(async () => {
      reads += 1;
      if (reads === 1) throw new Error("gone");
      return reads;
    });
    const failed = await Promise.allSettled([shared.get(), shared.get()]);
    expect(failed.map((outcome) => outcome.status)).toEqual(["rejected", "rejected"]);
    expect(await shared.get()).toBe(2);
  });
});
