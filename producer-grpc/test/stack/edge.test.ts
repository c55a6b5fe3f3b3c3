/** The gRPC route's HTTP edge, end to end on the real local stack. */
import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import { ports, post, readTallies, settle, storedVotes, uniqueVote, urls, votesCollection, waitFor } from "@marimba/testkit";

// Counters are compared before and after: votes of earlier tests must be counted first.
beforeEach(() => settle(), 60_000);

const { client: mongo, votes: stored } = votesCollection();
afterAll(() => mongo.close());

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

async function bandCount(band: string): Promise<number> {
  return (await readTallies()).band[band] ?? 0;
}

/** How many CastBatch calls the server answered OK, from its metrics. */
async function castBatchCalls(): Promise<number> {
  const metrics = await (await fetch(`http://127.0.0.1:${ports.grpcMetrics}/metrics`)).text();
  return Number(/marimba_grpc_calls_total\{method="CastBatch",code="OK"[^}]*\} (\d+)/.exec(metrics)?.[1] ?? 0);
}

describe("the gRPC route's edge", () => {
  for (const path of ["/grpc/votes", "/grpc/insert"]) {
    test(`POST ${path} answers 202 with the vote's id; the vote is stored with route grpc and counted once`, async () => {
      const vote = uniqueVote({ year: 1994 as unknown as string, rank: " 2 " });
      const answer = await post(`${urls.grpc}${path}`, vote);
      expect(answer.status).toBe(202);
      expect(Object.keys(answer.body).sort()).toEqual(["acceptedAt", "id"]);
      expect(answer.body.id).toMatch(UUID_V7);
      expect(new Date(answer.body.acceptedAt).toISOString()).toBe(answer.body.acceptedAt);

      await waitFor("the vote to be counted", async () => (await bandCount(vote.name)) >= 1, 15_000);
      expect(await bandCount(vote.name)).toBe(1);
      const document = await stored.findOne({ _id: answer.body.id });
      expect(document).toMatchObject({ name: vote.name, album: vote.album, year: "1994", rank: "2", route: "grpc" });
      expect((document?.acceptedAt as Date | undefined)?.toISOString()).toBe(answer.body.acceptedAt);
    });
  }

  test("a bulk of 500 votes answers 202 with a list of 500 receipts in order; every vote is stored and counted", async () => {
    const band = uniqueVote().name;
    const votes = Array.from({ length: 500 }, (_, i) => uniqueVote({ name: band, rank: String((i % 5) + 1) }));
    const before = await readTallies();
    const answer = await post(`${urls.grpc}/grpc/votes`, votes);
    expect(answer.status).toBe(202);
    expect(answer.body).toHaveLength(500);
    const ids = (answer.body as { id: string }[]).map((receipt) => receipt.id);
    expect(new Set(ids).size).toBe(500);

    await waitFor("the bulk to be counted", async () => (await bandCount(band)) >= 500, 20_000);
    const after = await readTallies();
    expect(after.band[band]).toBe(500);
    expect((after.route.grpc ?? 0) - (before.route.grpc ?? 0)).toBe(500);
    const documents = await storedVotes(ids);
    expect(ids.map((id) => documents.get(id)?.rank)).toEqual(votes.map((vote) => vote.rank));
  }, 40_000);

  test("a bulk of 500 votes of 4-byte characters (120 per name) goes to the server as one CastBatch", async () => {
    const clef = "\u{1D11E}";
    const votes = Array.from({ length: 500 }, () => {
      const vote = uniqueVote();
      return { ...vote, name: vote.name + clef.repeat(120 - vote.name.length), album: clef.repeat(120), rank: "999" };
    });
    const calls = await castBatchCalls();
    const answer = await post(`${urls.grpc}/grpc/votes`, votes);
    expect(answer.status).toBe(202);
    expect(answer.body).toHaveLength(500);
    expect(await castBatchCalls()).toBe(calls + 1);
  }, 40_000);

  test("a bulk of one vote is answered with a list, as the HTTP route does", async () => {
    const answer = await post(`${urls.grpc}/grpc/insert`, [uniqueVote()]);
    expect(answer.status).toBe(202);
    expect(answer.body).toHaveLength(1);
  });

  test("/readyz is ready while the server's health service says SERVING", async () => {
    const answer = await fetch(`${urls.grpc}/readyz`);
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({ status: "ready", checks: { upstream: "ok" } });
  });

  test("/healthz answers ok and /metrics counts answers by path and status", async () => {
    expect((await fetch(`${urls.grpc}/healthz`)).status).toBe(200);
    const metrics = await (await fetch(`${urls.grpc}/metrics`)).text();
    expect(metrics).toMatch(/marimba_http_requests_total\{[^}]*path="\/grpc\/insert"[^}]*status="202"[^}]*\} [1-9]/);
  });
});
