import { type FlagSpecs, parseFlags } from "./args.ts";

export const VOTES_FLAGS = {
  count: { type: "integer", min: 1, max: 10_000_000, default: 1000, help: "votes to write" },
  skew: { type: "number", min: 0, max: 5, default: 0.6, help: "popularity skew (Zipf exponent): 0 = all bands alike, 1 = classic Zipf" },
  seed: { type: "integer", min: 0, max: 4_294_967_295, help: "same seed, same file (default: random, printed)" },
  out: { type: "string", default: ".marimba/votes.json", help: "file to write" },
} as const satisfies FlagSpecs;

export interface VotesOptions {
  count: number;
  skew: number;
  seed: number;
  out: string;
  help: boolean;
}

/** Reads the votes generator's flags; throws an ArgumentError naming the flag at fault. */
export function parseVotesArgs(argv: readonly string[], randomSeed = () => Math.floor(Math.random() * 2 ** 32)): VotesOptions {
  const flags = parseFlags(VOTES_FLAGS, argv);
  return { count: flags.count, skew: flags.skew, seed: flags.seed ?? randomSeed(), out: flags.out, help: flags.help };
}
