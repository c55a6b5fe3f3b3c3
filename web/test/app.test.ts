/** The dashboard's API in process: its stores and live feed replaced by fakes behind the interfaces the app takes. */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRegistry } from "@marimba/shared";
import { read, request } from "@marimba/testkit";
import type { Tally, VoteRow } from "../src/contract.ts";
import { createDashboardApp } from "../src/server/app.ts";

const distDir = mkdtempSync(join(tmpdir(), "marimba-dist-"));
writeFileSync(join(distDir, "index.html"), "<!doctype html><title>marimba</title>");
afterAll(() => rmSync(distDir, { recursive: true, force: true }));

const row: VoteRow = {
  id: "019ada7e-0000-7000-8000-000000000001",
  name: "Alux Nahual",
  album: "Alux Nahual",
  year: "1980",
  rank: "1",
  route: "http",
  acceptedAt: "2026-12-01T10:00:00.000Z",
};
const tally: Tally = {
  total: 3,
  band: { "Alux Nahual": 3 },
  album: { "Alux Nahual — Alux Nahual (1980)": 3 },
  rank: { "1": 3 },
  route: { http: 2, grpc: 1 },
  readAt: "2026-12-01T10:00:01.000Z",
};

function dashboard(stores: { mongoDown?: boolean; redisDown?: boolean } = {}) {
  const asked: number[] = [];
  const app = createDashboardApp({
    votes: {
      async newest(limit) {
        asked.push(limit);
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
    feed: { stream: () => new Response("retry: 1000\n\n", { headers: { "content-type": "text/event-stream" } }) },
    registry: createRegistry("test"),
    checks: { mongo: () => !stores.mongoDown, redis: () => !stores.redisDown },
    distDir,
  });
  return { app, asked };
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

  test("/readyz names the store that is away", async () => {
    const { app } = dashboard({ mongoDown: true });
    const answer = await read(app.handle(request("/readyz")));
    expect(answer).toMatchObject({ status: 503, body: { checks: { mongo: "unreachable", redis: "ok" } } });
  });
});
