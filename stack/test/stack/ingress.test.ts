/** The local ingress in front of both routes, as the old load tool used the cluster's. */
import { beforeEach, describe, expect, test } from "bun:test";
import { demoLoad } from "@marimba/stack";
import { post, readTallies, sampleVotes, settle, type Tallies, uniqueVote, urls, waitFor } from "@marimba/testkit";

// Counters are compared before and after: votes of earlier tests must be counted first.
beforeEach(() => settle(), 60_000);

function routeDelta(before: Tallies, after: Tallies) {
  return {
    http: (after.route.http ?? 0) - (before.route.http ?? 0),
    grpc: (after.route.grpc ?? 0) - (before.route.grpc ?? 0),
  };
}

function bandDeltas(before: Tallies, after: Tallies): Record<string, number> {
  const deltas: Record<string, number> = {};
  for (const [band, count] of Object.entries(after.band)) {
    const delta = count - (before.band[band] ?? 0);
    if (delta !== 0) deltas[band] = delta;
  }
  return deltas;
}

async function countedAfter(before: Tallies, votes: number): Promise<Tallies> {
  await waitFor(`${votes} votes to be counted`, async () => (await readTallies()).total >= before.total + votes, 60_000);
  return readTallies();
}

describe("the local ingress", () => {
  test("the old clients' paths, /rust/send_data and /grpc/insert, are answered 202 and counted under their own route", async () => {
    const httpVotes = Array.from({ length: 5 }, () => uniqueVote());
    const grpcVotes = Array.from({ length: 7 }, () => uniqueVote());
    const before = await readTallies();
    const answers = await Promise.all([
      ...httpVotes.map((vote) => post(`${urls.ingress}/rust/send_data`, vote)),
      ...grpcVotes.map((vote) => post(`${urls.ingress}/grpc/insert`, vote)),
    ]);
    expect(answers.map((answer) => answer.status)).toEqual(Array(12).fill(202));
    for (const answer of answers) expect(Object.keys(answer.body).sort()).toEqual(["acceptedAt", "id"]);

    const after = await countedAfter(before, 12);
    expect(routeDelta(before, after)).toEqual({ http: 5, grpc: 7 });
    for (const vote of [...httpVotes, ...grpcVotes]) expect(after.band[vote.name]).toBe(1);
  });

  test("the new paths, /http/votes and /grpc/votes, pass through too, bulk answers included", async () => {
    const before = await readTallies();
    const http = await post(`${urls.ingress}/http/votes`, [uniqueVote(), uniqueVote()]);
    const grpc = await post(`${urls.ingress}/grpc/votes`, [uniqueVote(), uniqueVote(), uniqueVote()]);
    expect([http.status, grpc.status]).toEqual([202, 202]);
    expect([http.body.length, grpc.body.length]).toEqual([2, 3]);
    expect(routeDelta(before, await countedAfter(before, 5))).toEqual({ http: 2, grpc: 3 });
  });

  test("an edge's refusal passes through with its status, headers and JSON body unchanged", async () => {
    for (const path of ["/rust/send_data", "/grpc/insert"]) {
      const direct = await post(`${path.startsWith("/rust") ? urls.http : urls.grpc}${path}`, { name: "Alux Nahual" });
      const proxied = await post(`${urls.ingress}${path}`, { name: "Alux Nahual" });
      expect(proxied.status).toBe(422);
      expect(proxied.body).toEqual(direct.body);
      expect(proxied.headers.get("content-type")).toBe("application/json");
    }
  });

  test("a path outside the three prefixes is answered 404 with a JSON error naming them", async () => {
    const answer = await post(`${urls.ingress}/send_data`, uniqueVote());
    expect(answer.status).toBe(404);
    expect(answer.body).toEqual({ error: "no route for /send_data: the ingress serves /rust/, /http/ and /grpc/", details: [] });
  });

  test("/readyz reports both routes reachable and /healthz answers ok", async () => {
    const ready = await fetch(`${urls.ingress}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: "ready", checks: { http: "ok", grpc: "ok" } });
    expect((await fetch(`${urls.ingress}/healthz`)).status).toBe(200);
  });

  test("mixed load: the sample file split at random across both routes gives exact totals per route and per band", async () => {
    const sample = sampleVotes();
    const before = await readTallies();
    const outcome = await demoLoad(
      [
        { route: "http", url: `${urls.ingress}/rust/send_data` },
        { route: "grpc", url: `${urls.ingress}/grpc/insert` },
      ],
      sample,
      16,
    );
    expect(outcome.http?.refused).toBe(0);
    expect(outcome.grpc?.refused).toBe(0);
    expect((outcome.http?.accepted ?? 0) + (outcome.grpc?.accepted ?? 0)).toBe(sample.length);
    // A random split of 1,000 leaves each route hundreds of votes; a route left out would show here.
    expect(outcome.http?.accepted).toBeGreaterThan(300);
    expect(outcome.grpc?.accepted).toBeGreaterThan(300);

    const after = await countedAfter(before, sample.length);
    expect(after.total - before.total).toBe(sample.length);
    expect(routeDelta(before, after)).toEqual({ http: outcome.http?.accepted ?? 0, grpc: outcome.grpc?.accepted ?? 0 });
    const expectedBands: Record<string, number> = {};
    for (const vote of sample) expectedBands[vote.name] = (expectedBands[vote.name] ?? 0) + 1;
    expect(bandDeltas(before, after)).toEqual(expectedBands);
  }, 120_000);
});
