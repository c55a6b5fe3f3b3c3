import { describe, expect, test } from "bun:test";
import type { RouteResult } from "../src/fire.ts";
import { formatProgress, formatRejections, formatRouteTable } from "../src/report.ts";
import { median, quantile, Samples, summarize } from "../src/stats.ts";

const result = (overrides: Partial<RouteResult> = {}): RouteResult => ({
  route: "http",
  url: "http://127.0.0.1:8000/http/votes",
  connections: 64,
  sent: 1000,
  accepted: 990,
  rejected: 10,
  errors: 2,
  timeouts: 1,
  statusCodes: { "202": 990, "503": 10 },
  seconds: 2,
  votesPerSecond: 495,
  latencyMs: { p50: 3.25, p90: 8, p99: 120.4, max: 300, mean: 4 },
  ...overrides,
});

describe("latency statistics", () => {
  test("quantiles use the nearest rank", () => {
    const sorted = Float64Array.from({ length: 100 }, (_, i) => i + 1);
    expect(quantile(sorted, 0.5)).toBe(50);
    expect(quantile(sorted, 0.99)).toBe(99);
    expect(quantile(sorted, 1)).toBe(100);
    expect(quantile(new Float64Array(0), 0.5)).toBeNaN();
  });

  test("a median is the middle turn, or the mean of the two middle ones, whatever the order", () => {
    expect(median([230, 150, 160])).toBe(160);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });

  test("samples grow past their first buffer and summarize unsorted input", () => {
    const samples = new Samples();
    for (let i = 10_000; i >= 1; i--) samples.push(i);
    expect(samples.length).toBe(10_000);
    expect(summarize(samples.values())).toEqual({ p50: 5000, p90: 9000, p99: 9900, max: 10_000, mean: 5000.5 });
  });
});

describe("the load report", () => {
  test("the table has one row per route with sent, 2xx, non-2xx, errors, votes/s, p50 and p99, and a total", () => {
    const table = formatRouteTable([result(), result({ route: "grpc", url: "http://127.0.0.1:3000/grpc/votes", votesPerSecond: 505 })]);
    const lines = table.split("\n");
    expect(lines[0]).toMatch(/route\s+sent\s+2xx\s+non-2xx\s+errors\s+votes\/s\s+p50 ms\s+p99 ms/);
    expect(lines[2]).toMatch(/^http {2}http:\/\/127\.0\.0\.1:8000\/http\/votes\s+1000\s+990\s+10\s+2\s+495\s+3\.3\s+120$/);
    expect(lines[4]).toMatch(/^all routes\s+2000\s+1980\s+20\s+4\s+1000/);
  });

  test("a route with no accepted vote shows a dash for its latency", () => {
    const table = formatRouteTable([
      result({ accepted: 0, latencyMs: { p50: Number.NaN, p90: Number.NaN, p99: Number.NaN, max: Number.NaN, mean: Number.NaN } }),
    ]);
    expect(table.split("\n")[2]).toMatch(/–\s+–$/);
  });

  test("rejections are named by status, and timeouts are counted", () => {
    expect(formatRejections([result()])).toEqual(["http: 10× 503", "http: 1 requests timed out"]);
  });

  test("progress is shown against the duration, or against the votes to send", () => {
    expect(formatProgress({ elapsedSeconds: 15, plannedSeconds: 30, sent: 10, plannedRequests: null, accepted: 9 }, 10)).toBe(
      "[#####.....] 15/30 s · 9 accepted",
    );
    expect(formatProgress({ elapsedSeconds: 1, plannedSeconds: null, sent: 250, plannedRequests: 1000, accepted: 240 }, 4)).toBe(
      "[#...] 250/1000 requests · 240 accepted",
    );
  });
});
