import { describe, expect, test } from "bun:test";
import { parseBenchArgs } from "../src/bench/options.ts";
import { benchCommand } from "../src/bench/run.ts";
import { histogramBuckets, quantileBetween } from "../src/bench/scale.ts";

const scrape = (counts: number[]) =>
  [
    "# HELP marimba_vote_store_lag_seconds lag",
    ...[0.1, 0.5, 1].map((le, i) => `marimba_vote_store_lag_seconds_bucket{le="${le}",service="consumer"} ${counts[i]}`),
    `marimba_vote_store_lag_seconds_bucket{le="+Inf",service="consumer"} ${counts[3]}`,
    `marimba_vote_store_lag_seconds_count{service="consumer"} ${counts[3]}`,
  ].join("\n");

describe("the scale scenario's latency from the consumer's histogram", () => {
  test("reads cumulative buckets in order, +Inf last", () => {
    expect(histogramBuckets(scrape([1, 2, 3, 4]), "marimba_vote_store_lag_seconds").map((b) => b.le)).toEqual([
      0.1,
      0.5,
      1,
      Number.POSITIVE_INFINITY,
    ]);
  });

  test("quantiles count only what was observed between the two scrapes, interpolated within a bucket", () => {
    const before = histogramBuckets(scrape([100, 100, 100, 100]), "marimba_vote_store_lag_seconds");
    // 100 new observations: 50 below 0.1 s, 40 in (0.1, 0.5], 10 in (0.5, 1].
    const after = histogramBuckets(scrape([150, 190, 200, 200]), "marimba_vote_store_lag_seconds");
    expect(quantileBetween(before, after, 0.5)).toBeCloseTo(0.1, 5);
    expect(quantileBetween(before, after, 0.99)).toBeCloseTo(0.95, 5);
    expect(quantileBetween(before, before, 0.99)).toBeNaN();
  });
});

describe("scale flags", () => {
  test("scale is not a default scenario, and its command says so", () => {
    expect(parseBenchArgs([]).scenarios).toEqual(["ingest", "drain", "e2e"]);
    const options = parseBenchArgs(["--scenarios", "scale"]);
    expect(benchCommand(options)).toBe("npm run bench -- --scenarios scale");
    expect(options.scaleLevels).toEqual([0, 100_000, 1_000_000]);
    expect(options.scaleRecount).toBe(true);
    // Its results go apart, so a scale run after a full one keeps the full one's results.json.
    expect(options.out).toBe(".marimba/bench/scale-results.json");
    expect(parseBenchArgs([]).out).toBe(".marimba/bench/results.json");
    expect(parseBenchArgs(["--scenarios", "scale", "--out", "x.json"]).out).toBe("x.json");
  });

  test("levels are sorted and a bad level is named", () => {
    expect(parseBenchArgs(["--scale-levels", "1000,0"]).scaleLevels).toEqual([0, 1000]);
    expect(() => parseBenchArgs(["--scale-levels", "ten"])).toThrow("--scale-levels");
  });
});
