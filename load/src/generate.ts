import type { VoteInput } from "@marimba/shared";
import { BANDS, type Band, RANKS } from "./catalogue.ts";

export interface GenerateOptions {
  count: number;
  /**
   * Zipf exponent of popularity: the k-th favourite band gets votes ∝ 1/k^skew, and the
   * same within a band's albums. 0 = every band alike; 1 = classic Zipf; higher = a runaway leader.
   */
  skew: number;
  /** Same seed, same file. */
  seed: number;
  bands?: readonly Band[];
}

/** A small, fast, seedable PRNG (mulberry32): uniform floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}

/** Cumulative Zipf weights for `n` items, for picking by one uniform draw. */
export function zipfCumulative(n: number, skew: number): number[] {
  const weights = Array.from({ length: n }, (_, k) => 1 / (k + 1) ** skew);
  const total = weights.reduce((sum, weight) => sum + weight, 0);
  let running = 0;
  return weights.map((weight) => (running += weight / total));
}

function pick<T>(items: readonly T[], cumulative: readonly number[], draw: number): T {
  const index = cumulative.findIndex((edge) => draw < edge);
  return items[index === -1 ? items.length - 1 : index] as T;
}

/**
 * Realistic votes: bands in a seeded order of popularity with Zipf-shaped shares, each
 * vote for one of the band's albums (also Zipf-shaped) and a rank from 1 to 5.
 */
export function generateVotes({ count, skew, seed, bands = BANDS }: GenerateOptions): VoteInput[] {
  const random = seededRandom(seed);
  const ranked = shuffled(bands, random).map((band) => {
    const albums = shuffled(band.albums, random);
    return { band, albums, cumulative: zipfCumulative(albums.length, skew) };
  });
  const bandCumulative = zipfCumulative(ranked.length, skew);
  const votes: VoteInput[] = [];
  for (let i = 0; i < count; i++) {
    const { band, albums, cumulative } = pick(ranked, bandCumulative, random());
    const { album, year } = pick(albums, cumulative, random());
    const rank = RANKS[Math.floor(random() * RANKS.length)] as string;
    votes.push({ name: band.name, album, year, rank });
  }
  return votes;
}

/** Votes per band, most voted first: the summary printed after generating a file. */
export function votesPerBand(votes: readonly Pick<VoteInput, "name">[]): [string, number][] {
  const counts = new Map<string, number>();
  for (const vote of votes) counts.set(vote.name, (counts.get(vote.name) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1]);
}

/** One vote per line, like the old clients' files, so diffs and `head` stay readable. */
export function formatVotesFile(votes: readonly VoteInput[]): string {
  return `[\n${votes.map((vote) => `  ${JSON.stringify(vote)}`).join(",\n")}\n]\n`;
}
