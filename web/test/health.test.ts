/** What the page claims in each state (pure: the same function the page renders from). */
import { describe, expect, test } from "bun:test";
import type { NewestVotes, PipelineStatus, Tally } from "../src/contract.ts";
import { faviconHref, type HealthInput, pageHealth, pageTitle } from "../src/ui/health.ts";

const tally: Tally = { total: 5, band: { A: 5 }, album: {}, rank: {}, route: { http: 5 }, readAt: "x" };
const newest: NewestVotes = { votes: [], readAt: "2026-12-01T10:00:00.000Z", stale: null };
const ok = { state: "ok" as const, since: "2026-12-01T10:00:00.000Z" };
const status: PipelineStatus = {
  dependencies: { redis: ok, mongo: ok, kafka: ok },
  lag: { total: 0, partitions: [] },
  consumer: { state: "caught-up", lastSeenAt: null },
  readAt: "2026-12-01T10:00:00.000Z",
};
const live: HealthInput = { connection: "live", tally, newest, status, problem: null, downSince: null };

describe("the page's state", () => {
  test("before anything arrives it is loading and claims nothing", () => {
    expect(pageHealth({ ...live, connection: "connecting", tally: null, newest: null, status: null })).toMatchObject({
      state: "loading",
      parts: [],
    });
  });

  test("everything current is Live", () => {
    expect(pageHealth(live)).toMatchObject({ state: "live", label: "Live", parts: [], talliesStale: false, votesStale: false });
  });

  test("stale newest votes are Degraded, naming MongoDB, since when and why; the tallies stay current", () => {
    const health = pageHealth({
      ...live,
      newest: { ...newest, stale: { reason: "MongoDB did not answer within 2.5 s", since: "2026-12-01T10:01:00.000Z" } },
    });
    expect(health).toMatchObject({ state: "degraded", votesStale: true, talliesStale: false });
    expect(health.parts).toEqual([
      { part: "Newest votes (MongoDB)", since: "2026-12-01T10:01:00.000Z", reason: "MongoDB did not answer within 2.5 s" },
    ]);
  });

  test("a stalled consumer is Degraded with the number of votes waiting", () => {
    const stalled: PipelineStatus = {
      ...status,
      lag: { total: 42, partitions: [] },
      consumer: { state: "stalled", lastSeenAt: "2026-12-01T10:00:00.000Z" },
    };
    const health = pageHealth({ ...live, status: stalled });
    expect(health.state).toBe("degraded");
    expect(health.parts[0]?.reason).toContain("42 votes are waiting");
  });

  test("Redis unreadable marks the tallies stale and names Redis once", () => {
    const problem = { error: "Redis cannot be reached", at: "2026-12-01T10:02:00.000Z" };
    const redisDown: PipelineStatus = { ...status, dependencies: { ...status.dependencies, redis: { state: "unreachable", since: "x" } } };
    const health = pageHealth({ ...live, problem, status: redisDown });
    expect(health).toMatchObject({ state: "degraded", talliesStale: true });
    expect(health.parts.map((part) => part.part)).toEqual(["Tallies (Redis)"]);
  });

  test("a dropped stream is Stale and a long one Offline: everything on screen is marked stale", () => {
    expect(pageHealth({ ...live, connection: "reconnecting", downSince: 0 })).toMatchObject({
      state: "stale",
      talliesStale: true,
      votesStale: true,
    });
    expect(pageHealth({ ...live, connection: "offline", downSince: 0 }).state).toBe("offline");
  });

  test("the tab's title and icon carry the state", () => {
    expect(pageTitle(pageHealth(live), 1234)).toBe("● Live · 1,234 votes · marimba");
    expect(pageTitle(pageHealth({ ...live, connection: "offline", downSince: 0 }), null)).toBe("⚠ Offline · marimba");
    expect(decodeURIComponent(faviconHref("offline"))).toContain("#ff6b6b");
  });
});
