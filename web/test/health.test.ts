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
  consumer: { state: "caught-up", lastSeenAt: "2026-12-01T10:00:00.000Z", lastMovedAt: null, replicas: [] },
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

  const consumerCases: {
    name: string;
    consumer: Partial<PipelineStatus["consumer"]>;
    waiting: number;
    part: { since: string; reason: string };
  }[] = [
    {
      name: "a stalled consumer is Degraded since the offsets last moved, with the number of votes waiting",
      consumer: { state: "stalled", lastMovedAt: "2026-12-01T10:00:00.000Z" },
      waiting: 42,
      part: { since: "2026-12-01T10:00:00.000Z", reason: "the consumer is not counting: 42 votes are waiting" },
    },
    {
      name: "a stopped consumer is Degraded since it was last seen, with the number of votes waiting",
      consumer: { state: "stopped", lastSeenAt: "2026-12-01T09:59:50.000Z" },
      waiting: 604,
      part: { since: "2026-12-01T09:59:50.000Z", reason: "no consumer is running: 604 votes are waiting" },
    },
  ];
  for (const { name, consumer, waiting, part } of consumerCases) {
    test(name, () => {
      const health = pageHealth({
        ...live,
        status: { ...status, lag: { total: waiting, partitions: [] }, consumer: { ...status.consumer, ...consumer } },
      });
      expect(health.state).toBe("degraded");
      expect(health.parts).toEqual([{ part: "Counting (consumer)", ...part }]);
    });
  }

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
