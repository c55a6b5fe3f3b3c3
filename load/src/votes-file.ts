import { readFileSync } from "node:fs";
import { VoteInput } from "@marimba/shared";

/** Why a votes file cannot be replayed, naming the file and, where it helps, the vote. */
export class VotesFileError extends Error {}

/** At most this many bad votes are listed; a broken file usually repeats one mistake. */
const MAX_LISTED_PROBLEMS = 5;

/**
 * Validates the text of a votes file in the old clients' format: a JSON array of
 * `{name, album, year, rank}`. Every vote must pass the same schema the routes apply,
 * so a replay measures the pipeline rather than a stream of 422s.
 */
export function parseVotesFile(text: string, file: string): VoteInput[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new VotesFileError(`${file} is not valid JSON (${(error as Error).message})`);
  }
  if (!Array.isArray(parsed)) {
    throw new VotesFileError(`${file} must hold a JSON array of votes like [{"name","album","year","rank"}], found ${kindOf(parsed)}`);
  }
  if (parsed.length === 0) throw new VotesFileError(`${file} holds no votes: the array is empty`);
  const votes: VoteInput[] = [];
  const problems: string[] = [];
  let bad = 0;
  parsed.forEach((entry, index) => {
    const result = VoteInput.safeParse(entry);
    if (result.success) {
      votes.push(result.data);
      return;
    }
    bad++;
    if (problems.length < MAX_LISTED_PROBLEMS) {
      const reasons = result.error.issues.map((issue) => {
        const field = issue.code === "unrecognized_keys" ? issue.keys.join(", ") : issue.path.join(".");
        return field ? `${field} ${issue.message}` : issue.message;
      });
      problems.push(`  vote [${index}]: ${reasons.join("; ")}`);
    }
  });
  if (bad > 0) {
    const more = bad > problems.length ? `\n  … and ${bad - problems.length} more` : "";
    throw new VotesFileError(`${file}: ${bad} of ${parsed.length} votes do not match the vote schema:\n${problems.join("\n")}${more}`);
  }
  return votes;
}

/** Reads and validates a votes file from disk. */
export function readVotesFile(file: string): VoteInput[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "it is a folder" : (error as Error).message;
    throw new VotesFileError(`cannot read the votes file ${file}: ${reason}`);
  }
  return parseVotesFile(text, file);
}

function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "object") return "an object";
  return `a ${typeof value}`;
}
