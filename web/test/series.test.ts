import { describe, expect, test } from "bun:test";
import { bucketSeries, parseSeconds } from "../src/server/series.ts";

describe("votes per second from the consumer's stream", () => {
  test("sums each batch into its second and route; entries outside the window are left out", () => {
    const start = 1_000_000;
    const series = bucketSeries(
      [
        [`${start - 1}-0`, ["total", "1", "http", "1"]],
        [`${start}-0`, ["total", "3", "http", "2"]],
        [`${start + 999}-0`, ["total", "5", "grpc", "2"]],
        [`${start + 2500}-3`, ["total", "9", "http", "1", "grpc", "3"]],
        [`${start + 3000}-0`, ["total", "10", "http", "1"]],
      ],
      start,
      3,
      new Date(0),
    );
    expect(series.routes).toEqual({ http: [2, 0, 1], grpc: [2, 0, 3] });
    expect(series.total).toBe(8);
    expect(series.stepMs).toBe(1000);
  });

  test("both routes are always present, even with no votes", () => {
    expect(bucketSeries([], 0, 2, new Date(0)).routes).toEqual({ http: [0, 0], grpc: [0, 0] });
  });

  test("?seconds is 1 to 900, 900 when absent", () => {
    expect(parseSeconds(new URLSearchParams())).toEqual({ ok: true, value: 900 });
    expect(parseSeconds(new URLSearchParams("seconds=60"))).toEqual({ ok: true, value: 60 });
    for (const bad of ["0", "901", "1e3", "-1"]) expect(parseSeconds(new URLSearchParams(`seconds=${bad}`)).ok).toBe(false);
  });
});
