/** The bad-input corpus through both routes and both path spellings: clear 4xx, nothing reaches Kafka. */
import { beforeAll, describe, expect, test } from "bun:test";
import { MAX_HOP_BODY_BYTES } from "@marimba/shared";
import { asHopBody, BAD_INPUTS, type BadInput, ports, sendBadInput, topicEndOffset, urls } from "@marimba/testkit";

const paths = [`${urls.http}/http/votes`, `${urls.http}/rust/send_data`, `${urls.grpc}/grpc/votes`, `${urls.grpc}/grpc/insert`];

describe("bad input is refused with the status of the wire contract and a JSON error naming the problem", () => {
  let offsetBefore = 0;
  beforeAll(async () => {
    offsetBefore = await topicEndOffset();
  });

  test("the corpus holds at least 50 cases", () => {
    expect(BAD_INPUTS.length).toBeGreaterThanOrEqual(50);
  });

  for (const input of BAD_INPUTS) {
    test(`${input.case} → ${input.status}, the same on every route and path`, async () => {
      const answers = await Promise.all(paths.map((url) => sendBadInput(url, input)));
      for (const [i, answer] of answers.entries()) {
        const where = paths[i];
        expect({ where, status: answer.status }).toEqual({ where, status: input.status });
        expect(answer.headers.get("content-type")).toBe("application/json");
        const body = answer.body as { error: string; details: unknown };
        if (input.error instanceof RegExp) expect(body.error).toMatch(input.error);
        else expect(body.error).toBe(input.error);
        expect(body.details).toEqual(input.details);
        expect(JSON.stringify(body)).not.toMatch(/\bat \S+\.(ts|js):\d+|node_modules/); // no stack trace
      }
    });
  }

  // Declared last, so it runs after every case.
  test("afterwards not one refused vote is in Kafka, and both edges are still ready", async () => {
    expect(await topicEndOffset()).toBe(offsetBefore);
    for (const base of [urls.http, urls.grpc]) expect((await fetch(`${base}/readyz`)).status).toBe(200);
  });
});

describe("the corpus sent straight to the HTTP route's internal hop is refused the same way: the hop trusts no caller", () => {
  const hop = `http://127.0.0.1:${ports.httpServer}/data`;
  let offsetBefore = 0;
  beforeAll(async () => {
    offsetBefore = await topicEndOffset();
  });

  for (const input of BAD_INPUTS) {
    test(`${input.case} → ${input.status} at POST /data`, async () => {
      const answer = await sendBadInput(hop, { ...input, body: asHopBody(input) });
      // A malformed Idempotency-Key means nothing to the hop: the edge alone reads it; the vote itself is valid.
      if (input.headers?.["idempotency-key"] !== undefined) {
        expect(answer.status).toBe(422); // a wire vote is not an accepted vote (no id, route, acceptedAt)
        return;
      }
      // The hop reads up to 4 MiB (the edge joins requests into batches): a smaller oversize vote is refused by the schema.
      const tooLarge = input.status === 413 && Buffer.byteLength(input.body) <= MAX_HOP_BODY_BYTES;
      expect(answer.status).toBe(tooLarge ? 422 : input.status);
      expect(answer.headers.get("content-type")).toBe("application/json");
      const body = answer.body as { error: string; details: { field: string; message: string }[] };
      if (input.status === 422 && input.details.length > 0 && asHopBody(input) !== input.body) {
        const messages = (details: readonly { message: string }[]) => [...new Set(details.map((problem) => problem.message))].sort();
        // The hop names fields by their index in its list ([0].name); the messages are the edge's.
        expect(messages(body.details)).toEqual(messages(input.details));
      }
    });
  }

  const good = () => ({
    id: Bun.randomUUIDv7(),
    name: "Hop Band",
    album: "A",
    year: "1980",
    rank: "1",
    route: "http",
    acceptedAt: new Date().toISOString(),
  });
  const postBatch = (votes: unknown[]) =>
    sendBadInput(hop, { ...(BAD_INPUTS[0] as BadInput), body: JSON.stringify(votes), contentType: "application/json" });

  test("a batch with one bad vote among good ones is refused whole, before any of it is published", async () => {
    const answer = await postBatch([good(), { ...good(), name: "\u202eEvil\u0000band" }, good()]);
    expect(answer.status).toBe(422);
    expect((answer.body as { details: unknown }).details).toEqual([
      { field: "[1].name", message: "must not contain control characters or broken Unicode" },
    ]);
  });

  test("a vote that claims another route, or an id no edge gives, is refused at the hop", async () => {
    const answer = await postBatch([good(), { ...good(), route: "grpc" }]);
    expect((answer.body as { details: unknown }).details).toEqual([{ field: "[1].route", message: 'must be "http" on this route\'s hop' }]);
    const random = await postBatch([{ ...good(), id: crypto.randomUUID() }]);
    expect((random.body as { details: unknown }).details).toEqual([
      { field: "[0].id", message: "must be a UUID v7 (or v5 for a vote sent with an Idempotency-Key)" },
    ]);
  });

  test("afterwards not one refused vote is in Kafka", async () => {
    expect(await topicEndOffset()).toBe(offsetBefore);
  });
});
