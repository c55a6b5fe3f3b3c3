/**
 * The HTTP route's internal hop carries each vote as the Kafka value its edge built: one compact
 * JSON vote per line (NDJSON). The server checks every line with the edge's rules and hands the
 * same text to Kafka, so a vote is serialized once between the edge and Kafka. A JSON array of
 * votes is still read (curl, the bad-input corpus), and is encoded at the server.
 */
import { HttpError, MAX_HOP_BODY_BYTES, readJsonBody } from "./http.ts";
import { readBodyText, repeatedKeys } from "./json.ts";
import { countProblem, type EncodedVote, encodeVote, type Parsed, parseAcceptedVotes, type Route, type Vote, voteAsGiven } from "./vote.ts";

export const HOP_CONTENT_TYPE = "application/x-ndjson";

/** The body of one hop request: the votes' Kafka values, one per line. */
export function hopBody(votes: readonly EncodedVote[]): string {
  return votes.map((vote) => vote.value).join("\n");
}

/**
 * The lines read as one JSON list (one parse instead of one per line: cheaper). Raw newlines
 * cannot sit inside a JSON string, so the joins fall between values; a line holding two values,
 * or a value spread over two lines (only a nested one can be, and no vote is), shows as a list of
 * another length or a value that is not a vote. Throws the 400 that names the first line that
 * is not one JSON value.
 */
function parseJoined(text: string, lines: readonly string[]): { joined: string; values: unknown[] } {
  const joined = `[${text.replaceAll("\n", ",")}]`;
  try {
    const values = JSON.parse(joined) as unknown;
    if (Array.isArray(values) && values.length === lines.length) return { joined, values };
  } catch {
    // named below, line by line
  }
  for (const [i, line] of lines.entries()) {
    try {
      JSON.parse(line);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new HttpError(400, `line ${i + 1} of the body is not valid JSON (${reason})`);
    }
  }
  throw new HttpError(400, "the body must hold one JSON value a line");
}

/** Each line as the Kafka value it already is, when every line holds a vote in its edge's form; undefined otherwise. */
function linesAsGiven(values: readonly unknown[], lines: readonly string[], route: Route): EncodedVote[] | undefined {
  const given: EncodedVote[] = [];
  for (const [i, value] of values.entries()) {
    const vote = voteAsGiven(value, route);
    if (!vote) return undefined;
    given.push({ key: vote.id, value: lines[i] as string });
  }
  return given;
}

/**
 * The votes of an NDJSON body as Kafka messages: each line as it is when every line already holds
 * a vote in the form its edge gives (the common case: nothing is built again), else every vote
 * checked and encoded as a JSON list's would be, with the same problems named.
 */
export function votesFromLines(text: string, route: Route): Parsed<EncodedVote[]> {
  const lines = text === "" ? [] : text.split("\n");
  const count = countProblem(lines);
  if (count) return { ok: false, problems: [count] };
  const { joined, values } = parseJoined(text, lines);
  const repeated = repeatedKeys(joined, values);
  if (repeated.length > 0) return { ok: false, problems: repeated };
  const given = linesAsGiven(values, lines, route);
  if (given) return { ok: true, value: given };
  return encoded(parseAcceptedVotes(values, route));
}

/** Checked votes as Kafka messages, encoded here (they did not come in the edge's form). */
function encoded(parsed: Parsed<Vote[]>): Parsed<EncodedVote[]> {
  return parsed.ok ? { ok: true, value: parsed.value.map(encodeVote) } : parsed;
}

/** Reads the votes of a hop request, NDJSON or a JSON array, as Kafka messages; throws an HttpError naming the problem. */
export async function readHopVotes(request: Request, route: Route): Promise<Parsed<EncodedVote[]>> {
  if (request.headers.get("content-type") !== HOP_CONTENT_TYPE) {
    return encoded(parseAcceptedVotes(await readJsonBody(request, MAX_HOP_BODY_BYTES), route));
  }
  const raw = await readBodyText(request, MAX_HOP_BODY_BYTES);
  if (typeof raw !== "string") throw new HttpError(raw.status, raw.message);
  // A body that ends with a newline ends its last line; an empty body holds no vote.
  return votesFromLines(raw.endsWith("\n") ? raw.slice(0, -1) : raw, route);
}
