// `npm run votes -- --count N`: writes a realistic votes file for `npm run load`.
import { ArgumentError, usage } from "./args.ts";
import { writeText } from "./files.ts";
import { formatVotesFile, generateVotes, votesPerBand } from "./generate.ts";
import { parseVotesArgs, VOTES_FLAGS } from "./votes-options.ts";

try {
  const options = parseVotesArgs(process.argv.slice(2));
  if (options.help) {
    console.log(usage("npm run votes --", VOTES_FLAGS));
    process.exit(0);
  }
  const votes = generateVotes(options);
  writeText(options.out, formatVotesFile(votes));
  console.log(`wrote ${votes.length} votes to ${options.out} (skew ${options.skew}, seed ${options.seed})`);
  for (const [band, count] of votesPerBand(votes)) {
    console.log(`  ${String(count).padStart(8)}  ${((100 * count) / votes.length).toFixed(1).padStart(5)}%  ${band}`);
  }
} catch (error) {
  if (!(error instanceof ArgumentError)) throw error;
  console.error(`votes: ${error.message}`);
  process.exit(2);
}
