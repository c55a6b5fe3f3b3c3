/** The dashboard's API in process: its stores and live feed replaced by fakes behind the interfaces the app takes. */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRegistry } from "@marimba/shared";
import { acceptedVote, read, request } from "@marimba/testkit";
import type { PipelineStatus, Tally, VoteRow, VoteSeries } from "../src/contract.ts";
import { createDashboardApp } from "../src/server/app.ts";

const distDir = mkdtempSync(join(tmpdir(), "marimba-dist-"));
writeFileSync(join(distDir, "index.html"), "<!doctype html><title>marimba</title>");
afterAll(() => rmSync(distDir, { recursive: true, force: true }));

const row: VoteRow = acceptedVote();
const tally: Tally = {
  total: 3,
  band: { "Alux Nahual": 3 },
  album: { "Alux Nahual — Alux Nahual (1980)": 3 },
  rank: { "1": 3 },
  route: { http: 2, grpc: 1 },
  readAt: "2026-12-01T10:00:01.000Z",
};

const status: PipelineStatus = {
  dependencies: {
    redis: { state: "ok", since: "2026-12-01T10:00:00.000Z" },
    mongo: { state: "timeout", since: "2026-12-01T10:00:00.000Z", error: "MongoDB did not answer within 2.5 s" },
    kafka: { state: "ok", since: "2026-12-01T10:00:00.000Z" },
  },
  lag: { total: 7, partitions: [{ partition: 0, end: 10, applied: 2, lag: 7 }] },
  consumer: { state: "stalled", lastSeenAt: "2026-12-01T10:00:00.000Z" },
  readAt: "2026-12-01T10:00:05.000Z",
};

/** A promise that never settles: a store that accepts the request and never answers. */
const never = () => new Promise<never>(() => {});

function dashboard(stores: { mongoDown?: boolean; redisDown?: boolean; mongoFrozen?: boolean } = {}) {
  const asked: number[] = [];
  const seriesAsked: number[] = [];
  const app = createDashboardApp({
    votes: {
      async newest(limit) {
        asked.push(limit);
        if (stores.mongoFrozen) return never();
        if (stores.mongoDown) throw new Error("connect ECONNREFUSED");
        return [row];
      },
    },
    tally: {
      async read() {
        if (stores.redisDown) throw new Error("connect ECONNREFUSED");
        return tally;
      },
    },
    series: {
      async read(seconds) {
        seriesAsked.push(seconds);
        return { start: 0, stepMs: 1000, routes: { http: [1, 2], grpc: [0, 1] }, total: 4, readAt: "x" } satisfies VoteSeries;
      },
    },
    pipeline: { read: async () => status },
    feed: { stream: () => new Response("retry: 1000\n\n", { headers: { "content-type": "text/event-stream" } }) },
    registry: createRegistry("test"),
    checks: { mongo: () => !stores.mongoDown, redis: () => !stores.redisDown },
    distDir,
    deadlines: { redisMs: 100, mongoMs: 100 },
  });
  return { app, asked, seriesAsked };
}

describe("the dashboard API, in process", () => {
  test("GET /api/votes answers the newest 20 by default, newest first, with when it was read", async () => {
    const { app, asked } = dashboard();
    const answer = await read(app.handle(request("/api/votes")));
    expect(answer.status).toBe(200);
    expect(answer.body.votes).toEqual([row]);
    expect(Date.parse(answer.body.readAt)).not.toBeNaN();
    expect(asked).toEqual([20]);
  });

  test("?limit picks how many, up to 100", async () => {
    const { app, asked } = dashboard();
    for (const limit of ["1", "100"]) expect((await app.handle(request(`/api/votes?limit=${limit}`))).status).toBe(200);
    expect(asked).toEqual([1, 100]);
  });

  for (const limit of ["0", "101", "abc", "1.5", "-3"]) {
    test(`?limit=${limit} is 422 naming the limit, and the store is not asked`, async () => {
      const { app, asked } = dashboard();
      const answer = await read(app.handle(request(`/api/votes?limit=${limit}`)));
      expect(answer.status).toBe(422);
      expect(answer.body.details[0].field).toBe("limit");
      expect(asked).toEqual([]);
    });
  }

  test("MongoDB away: /api/votes is 503 with Retry-After naming it, while /api/tally still answers", async () => {
    const { app } = dashboard({ mongoDown: true });
    const votes = await read(app.handle(request("/api/votes")));
    expect(votes.status).toBe(503);
    expect(votes.headers.get("retry-after")).toBe("1");
    expect(votes.body.error).toContain("MongoDB");
    const tallies = await read(app.handle(request("/api/tally")));
    expect(tallies).toMatchObject({ status: 200, body: { total: 3 } });
  });

  test("Redis away: /api/tally is 503 naming it", async () => {
    const { app } = dashboard({ redisDown: true });
    const answer = await read(app.handle(request("/api/tally")));
    expect(answer.status).toBe(503);
    expect(answer.body.error).toContain("Redis");
  });

  test("GET /api/stream is the live feed's event stream", async () => {
    const { app } = dashboard();
    const answer = await app.handle(request("/api/stream"));
    expect(answer.headers.get("content-type")).toBe("text/event-stream");
  });

  test("MongoDB that never answers: /api/votes is 504 saying it timed out, not that it is unreachable", async () => {
    const { app } = dashboard({ mongoFrozen: true });
    const answer = await read(app.handle(request("/api/votes")));
    expect(answer.status).toBe(504);
    expect(answer.body.error).toContain("timed out");
    expect(answer.body.error).not.toContain("unreachable");
  });

  test("every JSON answer, good or bad, is no-store and nosniff", async () => {
    const { app } = dashboard({ mongoDown: true });
    for (const path of ["/api/votes", "/api/tally", "/api/status", "/api/series", "/api/votes?limit=0", "/api/nope"]) {
      const answer = await app.handle(request(path));
      expect({ path, cache: answer.headers.get("cache-control"), sniff: answer.headers.get("x-content-type-options") }).toEqual({
        path,
        cache: "no-store",
        sniff: "nosniff",
      });
    }
  });

  for (const path of ["/api/votes", "/api/tally", "/api/stream", "/api/status", "/api/series"]) {
    test(`POST ${path} is 405 with Allow: GET, HEAD; OPTIONS answers the Allow`, async () => {
      const { app } = dashboard();
      const post = await read(app.handle(request(path, { method: "POST", body: {} })));
      expect(post.status).toBe(405);
      expect(post.headers.get("allow")).toBe("GET, HEAD");
      expect(post.body.error).toContain("POST");
      const options = await app.handle(request(path, { method: "OPTIONS" }));
      expect(options.status).toBe(204);
      expect(options.headers.get("allow")).toBe("GET, HEAD");
    });
  }

  test("GET /api/status answers the pipeline's status as it is, 200 even with a store away", async () => {
    const { app } = dashboard();
    const answer = await read(app.handle(request("/api/status")));
    expect(answer).toMatchObject({ status: 200, body: { lag: { total: 7 }, consumer: { state: "stalled" } } });
  });

  test("GET /api/series answers the last 900 s by default; ?seconds picks fewer and is checked", async () => {
    const { app, seriesAsked } = dashboard();
    expect((await read(app.handle(request("/api/series")))).body.total).toBe(4);
    expect((await app.handle(request("/api/series?seconds=60"))).status).toBe(200);
    for (const bad of ["0", "901", "x"]) {
      const answer = await read(app.handle(request(`/api/series?seconds=${bad}`)));
      expect(answer.status).toBe(422);
      expect(answer.body.details[0].field).toBe("seconds");
    }
    expect(seriesAsked).toEqual([900, 60]);
  });

  test("an unknown API path is a JSON 404 naming the path, not the page", async () => {
    const { app } = dashboard();
    for (const method of ["GET", "POST"]) {
      const answer = await read(app.handle(request("/api/nope", { method })));
      expect(answer.status).toBe(404);
      expect(answer.body.error).toBe("there is no API at /api/nope");
    }
  });

  test("/ serves the built page with its security headers", async () => {
    const { app } = dashboard();
    const answer = await app.handle(request("/"));
    expect(answer.status).toBe(200);
    expect(await answer.text()).toContain("<title>marimba</title>");
    expect(answer.headers.get("x-content-type-options")).toBe("nosniff");
    expect(answer.headers.get("content-security-policy")).toContain("default-src 'self'");
  });

  test("a hashed asset is sent precompressed to a client that takes brotli or gzip, and plain to one that does not", async () => {
    const assets = join(distDir, "assets");
    mkdirSync(assets, { recursive: true });
    writeFileSync(join(assets, "app-1234.js"), "console.log('plain')");
    writeFileSync(join(assets, "app-1234.js.br"), "brotli bytes");
    writeFileSync(join(assets, "app-1234.js.gz"), "gzip bytes");
    const { app } = dashboard();
    const fetchAs = (encoding: string) => app.handle(request("/assets/app-1234.js", { headers: { "accept-encoding": encoding } }));
    const br = await fetchAs("gzip, deflate, br");
    expect(br.headers.get("content-encoding")).toBe("br");
    expect(br.headers.get("content-type")).toContain("javascript");
    expect(br.headers.get("vary")).toBe("accept-encoding");
    expect(br.headers.get("cache-control")).toContain("immutable");
    expect(await br.text()).toBe("brotli bytes");
    expect((await fetchAs("gzip")).headers.get("content-encoding")).toBe("gzip");
    const plain = await fetchAs("br;q=0, identity");
    expect(plain.headers.get("content-encoding")).toBeNull();
    expect(await plain.text()).toBe("console.log('plain')");
  });

  test("/readyz names the store that is away", async () => {
    const { app } = dashboard({ mongoDown: true });
    const answer = await read(app.handle(request("/readyz")));
    expect(answer).toMatchObject({ status: 503, body: { checks: { mongo: "unreachable", redis: "ok" } } });
  });
});
