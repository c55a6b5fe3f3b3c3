import { describe, expect, test } from "bun:test";
import { VoteInput } from "@marimba/shared";
import { BANDS } from "../src/catalogue.ts";
import { formatVotesFile, generateVotes, seededRandom, votesPerBand, zipfCumulative } from "../src/generate.ts";
import { parseVotesFile } from "../src/votes-file.ts";

const leaderShare = (skew: number) => {
  const votes = generateVotes({ count: 20_000, skew, seed: 11 });
  return (votesPerBand(votes)[0]?.[1] ?? 0) / votes.length;
};

describe("the vote generator", () => {
  test("writes exactly the number of votes asked for", () => {
    expect(generateVotes({ count: 1, skew: 0.6, seed: 1 })).toHaveLength(1);
    expect(generateVotes({ count: 12_345, skew: 0.6, seed: 1 })).toHaveLength(12_345);
  });

  test("the same seed gives the same file, another seed another file", () => {
    const a = generateVotes({ count: 500, skew: 0.6, seed: 99 });
    expect(generateVotes({ count: 500, skew: 0.6, seed: 99 })).toEqual(a);
    expect(generateVotes({ count: 500, skew: 0.6, seed: 100 })).not.toEqual(a);
  });

  test("every vote is a real band's album with its year, a rank 1–5, and passes the routes' schema", () => {
    const albums = new Set(BANDS.flatMap((band) => band.albums.map(({ album, year }) => `${band.name}|${album}|${year}`)));
    for (const vote of generateVotes({ count: 2000, skew: 1, seed: 5 })) {
      expect(albums.has(`${vote.name}|${vote.album}|${vote.year}`)).toBe(true);
      expect(["1", "2", "3", "4", "5"]).toContain(vote.rank);
      expect(VoteInput.safeParse(vote).success).toBe(true);
    }
  });

  test("skew 0 spreads votes evenly over the bands", () => {
    const counts = votesPerBand(generateVotes({ count: 21_000, skew: 0, seed: 3 }));
    expect(counts).toHaveLength(BANDS.length);
    const even = 21_000 / BANDS.length;
    for (const [, count] of counts) expect(Math.abs(count - even) / even).toBeLessThan(0.1);
  });

  test("more skew gives the favourite band a larger share", () => {
    const shares = [0, 0.6, 1.5, 3].map(leaderShare);
    for (let i = 1; i < shares.length; i++) expect(shares[i] as number).toBeGreaterThan(shares[i - 1] as number);
    expect(shares[3] as number).toBeGreaterThan(0.75);
  });

  test("Zipf weights add up to one and fall with rank", () => {
    const cumulative = zipfCumulative(5, 1);
    expect(cumulative.at(-1)).toBeCloseTo(1, 12);
    expect(cumulative[0]).toBeCloseTo(1 / (1 + 1 / 2 + 1 / 3 + 1 / 4 + 1 / 5), 12);
  });

  test("the seeded random numbers stay in [0, 1)", () => {
    const random = seededRandom(0);
    for (let i = 0; i < 10_000; i++) {
      const value = random();
      expect(value >= 0 && value < 1).toBe(true);
    }
  });

  test("a generated file reads back as the same votes, one vote per line", () => {
    const votes = generateVotes({ count: 50, skew: 0.6, seed: 8 });
    const text = formatVotesFile(votes);
    expect(text.split("\n")).toHaveLength(50 + 3);
    expect(parseVotesFile(text, "generated.json")).toEqual(votes);
  });
});
