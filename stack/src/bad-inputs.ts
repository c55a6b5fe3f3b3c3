/**
 * Bad requests every edge must refuse the same way, with the status and message DESIGN
 * promises, before anything reaches Kafka. Both routes' tests run this one table, so the
 * HTTP and gRPC edges cannot drift apart.
 */
import type { FieldProblem, VoteInput } from "@marimba/shared";

export interface BadInput {
  /** What is wrong with the request, phrased to read inside a test name. */
  case: string;
  body: string;
  /** `null` sends no content-type header of our own (fetch then says text/plain). */
  contentType: string | null;
  status: number;
  /** The `error` of the JSON answer; a pattern where the text comes from the runtime's JSON parser. */
  error: string | RegExp;
  details: FieldProblem[];
}

const vote: VoteInput = { name: "Alux Nahual", album: "Alux Nahual", year: "1980", rank: "1" };
const JSON_TYPE = "application/json";
const SCHEMA = "the vote does not match the schema";

function schemaCase(what: string, body: unknown, details: FieldProblem[]): BadInput {
  return { case: what, body: JSON.stringify(body), contentType: JSON_TYPE, status: 422, error: SCHEMA, details };
}

export const BAD_INPUTS: readonly BadInput[] = [
  {
    case: "a body that is not valid JSON",
    body: '{"name": "Alux Nahual",',
    contentType: JSON_TYPE,
    status: 400,
    error: /^the body is not valid JSON \(.+\)$/,
    details: [],
  },
  {
    case: "an empty body",
    body: "",
    contentType: JSON_TYPE,
    status: 400,
    error: "the body is empty: send a vote as a JSON object",
    details: [],
  },
  {
    case: "a vote sent as text/plain",
    body: JSON.stringify(vote),
    contentType: "text/plain",
    status: 415,
    error: "the body must be JSON: send the header 'content-type: application/json'",
    details: [],
  },
  {
    case: "a vote sent without a content type",
    body: JSON.stringify(vote),
    contentType: null,
    status: 415,
    error: "the body must be JSON: send the header 'content-type: application/json'",
    details: [],
  },
  {
    case: "a body over 1 MiB",
    body: JSON.stringify({ ...vote, name: "x".repeat(1024 * 1024) }),
    contentType: JSON_TYPE,
    status: 413,
    error: "the body is 1048634 bytes; at most 1048576 are accepted",
    details: [],
  },
  schemaCase("a vote without a name", { album: vote.album, year: vote.year, rank: vote.rank }, [{ field: "name", message: "is required" }]),
  schemaCase("a vote with an unknown field", { ...vote, color: "red" }, [{ field: "color", message: "unknown field" }]),
  schemaCase("a name that is a number", { ...vote, name: 5 }, [{ field: "name", message: "must be a string" }]),
  schemaCase("a year that is a fraction", { ...vote, year: 1980.5 }, [{ field: "year", message: "must be a string or an integer" }]),
  schemaCase("a year that is not four digits", { ...vote, year: "80" }, [{ field: "year", message: 'must be four digits, e.g. "1980"' }]),
  schemaCase("an album of 121 characters", { ...vote, album: "a".repeat(121) }, [
    { field: "album", message: "must be at most 120 characters" },
  ]),
  schemaCase("a rank of 17 characters", { ...vote, rank: "1".repeat(17) }, [{ field: "rank", message: "must be 1 to 16 characters" }]),
  schemaCase("a name of only spaces", { ...vote, name: "   " }, [{ field: "name", message: "must not be empty" }]),
  schemaCase("a name with a control character", { ...vote, name: "Alux\u0000Nahual" }, [
    { field: "name", message: "must not contain control characters or broken Unicode" },
  ]),
  schemaCase("a body that is a string, not a vote", "Alux Nahual", [{ field: "(body)", message: "must be a JSON object" }]),
  schemaCase("an empty list of votes", [], [{ field: "(body)", message: "must hold at least one vote" }]),
  schemaCase(
    "a bulk of 501 votes",
    Array.from({ length: 501 }, () => vote),
    [{ field: "(body)", message: "holds 501 votes; at most 500 are accepted at once" }],
  ),
  schemaCase(
    "a bulk whose third vote has a bad year",
    [vote, vote, { ...vote, year: "19x0" }, vote],
    [{ field: "[2].year", message: 'must be four digits, e.g. "1980"' }],
  ),
  schemaCase(
    "a bulk with several bad votes",
    [{ ...vote, rank: "" }, vote, { name: "Bohemia Suburbana" }],
    [
      { field: "[0].rank", message: "must be 1 to 16 characters" },
      { field: "[2].album", message: "is required" },
      { field: "[2].year", message: "is required" },
      { field: "[2].rank", message: "is required" },
    ],
  ),
];

/** Sends one bad input to an edge path and returns the answer's status, headers and JSON body. */
export async function sendBadInput(url: string, input: BadInput): Promise<{ status: number; body: unknown; headers: Headers }> {
  const headers: Record<string, string> = input.contentType ? { "content-type": input.contentType } : {};
  const response = await fetch(url, { method: "POST", headers, body: input.body });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: the caller's assertion shows the text
  }
  return { status: response.status, body, headers: response.headers };
}
