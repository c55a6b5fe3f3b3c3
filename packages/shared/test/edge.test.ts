/** The edge app in process: `app.handle(new Request(...))` with a recording forwarder in place of the server. */
import { describe, expect, test } from "bun:test";
import { RecordingForwarder } from "@marimba/testkit";
import { createEdgeApp } from "../src/edge.ts";
import { HttpError } from "../src/http.ts";
import { keyedVoteId, RecentKeys } from "../src/idempotency.ts";
import { createRegistry } from "../src/metrics.ts";
import type { Route, Vote } from "../src/vote.ts";

const vote = { name: "Alux Nahual", album: "Alux Nahual", year: "1980", rank: "1" };

/** The kit's recording forwarder that can also keep forwards waiting (`hold`) or fail them with an HttpError. */
class HoldingForwarder extends RecordingForwarder {
  hold: Promise<void> | null = null;
  fail: HttpError | null = null;
  override async forward(votes: readonly Vote[]): Promise<void> {
    if (this.hold) await this.hold;
    if (this.fail) throw this.fail;
    await super.forward(votes);
  }
}

function edge(route: Route = "http", options: { maxInFlightVotes?: number; recentKeys?: RecentKeys } = {}) {
  const upstream = new HoldingForwarder();
  const app = createEdgeApp({ route, paths: [`/${route}/votes`, `/${route}/old`], upstream, registry: createRegistry("test"), ...options });
  const send = async (body: unknown, headers: Record<string, string> = {}) => {
    const response = await app.handle(
      new Request(`http://localhost/${route}/votes`, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: typeof body === "string" ? body : JSON.stringify(body),
      }),
    );
    return { status: response.status, headers: response.headers, body: await response.json() };
  };
  return { app, upstream, send };
}

describe("idempotent retries at the edge", () => {
  test("a vote without a key gets a new UUID v7 each time, as before", async () => {
    const { send, upstream } = edge();
    const [first, second] = [await send(vote), await send(vote)];
    expect(first.body.id).toMatch(/^[0-9a-f-]{14}7/);
    expect(first.body.id).not.toBe(second.body.id);
    expect(upstream.votes).toHaveLength(2);
  });

  test("a retry with the same key and body gets 202 with the same id and the first acceptance time", async () => {
    const { send, upstream } = edge();
    upstream.fail = new HttpError(503, "the vote could not be made durable; retry shortly");
    const refused = await send(vote, { "idempotency-key": "order-7" });
    expect(refused.status).toBe(503);
    upstream.fail = null;
    const first = await send(vote, { "idempotency-key": "order-7" });
    const retry = await send({ ...vote, year: 1980, name: " Alux Nahual " }, { "idempotency-key": "order-7" });
    expect(first.status).toBe(202);
    expect(retry).toMatchObject({ status: 202, body: first.body });
    expect(first.body.id).toBe(keyedVoteId("order-7"));
    expect(first.body.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5/);
    // Sent once after the 503; the retry of an acknowledged vote is answered from memory.
    expect(upstream.votes.map((sent) => sent.id)).toEqual([first.body.id]);
  });

  test("both routes derive the same id from a key, so a client may switch route when it retries", async () => {
    const http = await edge("http").send(vote, { "idempotency-key": "switch-1" });
    const grpc = await edge("grpc").send(vote, { "idempotency-key": "switch-1" });
    expect(http.body.id).toBe(grpc.body.id);
  });

  test("the same key with another body is 409 naming the key, and nothing is sent", async () => {
    const { send, upstream } = edge();
    await send(vote, { "idempotency-key": "k-409" });
    const other = await send({ ...vote, rank: "2" }, { "idempotency-key": "k-409" });
    expect(other).toMatchObject({
      status: 409,
      body: {
        error: 'the Idempotency-Key "k-409" was already used with a different body',
        details: [{ field: "(body)", message: 'the key "k-409" was already used for a different vote' }],
      },
    });
    expect(upstream.votes).toHaveLength(1);
  });

  test("vote i of an array sent with key K is the vote of key K[i]; a conflict names its index", async () => {
    const { send, upstream } = edge();
    const bulk = await send([vote, { ...vote, rank: "2" }], { "idempotency-key": "batch-9" });
    expect(bulk.body.map((receipt: { id: string }) => receipt.id)).toEqual([keyedVoteId("batch-9[0]"), keyedVoteId("batch-9[1]")]);
    const single = await send({ ...vote, rank: "2" }, { "idempotency-key": "batch-9[1]" });
    expect(single.body.id).toBe(bulk.body[1].id);
    const conflict = await send([vote, vote], { "idempotency-key": "batch-9" });
    expect(conflict.status).toBe(409);
    expect(conflict.body.details).toEqual([{ field: "[1]", message: 'the key "batch-9[1]" was already used for a different vote' }]);
    expect(upstream.votes).toHaveLength(2);
  });

  test("a retry while the first attempt is still in flight is sent again with the same id", async () => {
    const { send, upstream } = edge();
    let release = () => {};
    upstream.hold = new Promise((resolve) => {
      release = resolve;
    });
    const first = send(vote, { "idempotency-key": "slow-1" });
    const retry = send(vote, { "idempotency-key": "slow-1" });
    upstream.hold = null;
    release();
    const [a, b] = await Promise.all([first, retry]);
    expect(a.body).toEqual(b.body);
    expect(upstream.votes.map((sent) => sent.id)).toEqual([a.body.id, a.body.id]);
  });

  test("a quoted key is the same key; a malformed key is 400 naming the header", async () => {
    const { send } = edge();
    const bare = await send(vote, { "idempotency-key": "q-1" });
    const quoted = await send(vote, { "idempotency-key": '"q-1"' });
    expect(quoted.body.id).toBe(bare.body.id);
    for (const key of ["", "with space", "tab\tkey", "x".repeat(201)]) {
      const answer = await send(vote, { "idempotency-key": key });
      expect(answer.status).toBe(400);
      expect(answer.body.details).toEqual([{ field: "Idempotency-Key", message: "is malformed" }]);
    }
  });

  test("an edge remembers a bounded number of keys, oldest forgotten first", async () => {
    const recentKeys = new RecentKeys(2);
    const { send } = edge("http", { recentKeys });
    for (const key of ["a", "b", "c"]) await send(vote, { "idempotency-key": key });
    expect(recentKeys.size).toBe(2);
    // "a" is forgotten: another body under it is no longer caught here (the consumer keeps the first stored).
    expect((await send({ ...vote, rank: "3" }, { "idempotency-key": "a" })).status).toBe(202);
    expect((await send({ ...vote, rank: "3" }, { "idempotency-key": "c" })).status).toBe(409);
  });
});

describe("honest answers under load", () => {
  test("past the in-flight limit, counted in votes, a request is answered 429 with Retry-After at once", async () => {
    const { send, upstream } = edge("http", { maxInFlightVotes: 10 });
    let release = () => {};
    upstream.hold = new Promise((resolve) => {
      release = resolve;
    });
    const held = send(Array.from({ length: 8 }, () => vote));
    await Bun.sleep(5);
    const refused = await send(Array.from({ length: 3 }, () => vote));
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBe("1");
    upstream.hold = null;
    release();
    expect((await held).status).toBe(202);
    expect((await send(Array.from({ length: 10 }, () => vote))).status).toBe(202);
  });
});

describe("what the edge reads", () => {
  test("only application/json, with at most charset=utf-8", async () => {
    const { send } = edge();
    for (const type of ["application/json", "Application/JSON", "application/json; charset=utf-8", 'application/json;charset="UTF-8"']) {
      expect((await send(vote, { "content-type": type })).status).toBe(202);
    }
    for (const type of ["application/evil+json", "application/vnd.api+json", "application/json-patch+json"]) {
      expect((await send(vote, { "content-type": type })).status).toBe(415);
    }
    for (const type of ["application/json; charset=latin1", "application/json; charset=utf-16", "application/json; boundary=x"]) {
      const answer = await send(vote, { "content-type": type });
      expect(answer.status).toBe(415);
      expect(answer.body.error).toContain("charset=utf-8");
    }
  });

  test("a key named twice is refused, naming the field, wherever it is", async () => {
    const { send, upstream } = edge();
    const single = await send('{"name":"Alux Nahual","album":"A","year":"1980","rank":"9","rank":"1"}');
    expect(single).toMatchObject({ status: 422, body: { details: [{ field: "rank", message: "is given more than once" }] } });
    const bulk = await send(`[${JSON.stringify(vote)},{"name":"x:y","name":"Alux Nahual","album":"A","year":"1980","rank":"1"}]`);
    expect(bulk.body.details).toEqual([{ field: "[1].name", message: "is given more than once" }]);
    const escaped = await send('{"name":"Alux","n\\u0061me":"Nahual","album":"A","year":"1980","rank":"1"}');
    expect(escaped.body.details).toEqual([{ field: "name", message: "is given more than once" }]);
    expect(upstream.votes).toHaveLength(0);
    expect((await send({ ...vote, name: 'Los "Colons": a:b::c' })).status).toBe(202);
  });

  test("a chunked body is refused with 413 as soon as it passes 1 MiB, without reading the rest", async () => {
    const { app } = edge();
    let pulled = 0;
    const chunk = new Uint8Array(64 * 1024).fill(0x20);
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        controller.enqueue(chunk);
      },
    });
    const response = await app.handle(
      new Request("http://localhost/http/votes", { method: "POST", headers: { "content-type": "application/json" }, body }),
    );
    expect(response.status).toBe(413);
    expect(pulled).toBeLessThan(20 + 4); // 1 MiB is 16 chunks; an endless body is never read whole
  });

  test("a body that is not UTF-8 is 400", async () => {
    const { app } = edge();
    const response = await app.handle(
      new Request("http://localhost/http/votes", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: new Uint8Array([0x7b, 0x22, 0xff, 0x22, 0x7d]),
      }),
    );
    expect(response.status).toBe(400);
    expect((await response.json()).error).toBe("the body is not valid UTF-8");
  });
});
