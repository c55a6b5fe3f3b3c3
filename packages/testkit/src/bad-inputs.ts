/**
 * Bad requests every edge must refuse the same way, with the status and message the wire
 * contract (docs/ARCHITECTURE.md) promises, before anything reaches Kafka. Both routes' tests run this one table, so the
 * HTTP and gRPC edges cannot drift apart.
 */
import type { FieldProblem, VoteInput } from "@marimba/shared";
import { read } from "./fakes.ts";

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
  // Malformed and truncated JSON, and bodies JSON cannot be.
  ...(
    [
      ["truncated JSON", '{"name": "Alux Nahual", "album": "Alux'],
      ["JSON with trailing garbage", `${JSON.stringify(vote)} trailing`],
      ["single-quoted pseudo-JSON", "{'name': 'Alux Nahual'}"],
      ["a form-encoded body labelled as JSON", "name=Alux+Nahual&album=Alux+Nahual&year=1980&rank=1"],
      ["an unterminated array of votes", `[${JSON.stringify(vote)},`],
    ] as const
  ).map(
    ([what, body]): BadInput => ({
      case: what,
      body,
      contentType: JSON_TYPE,
      status: 400,
      error: /^the body is not valid JSON \(.+\)$/,
      details: [],
    }),
  ),
  // Wrong or missing content types.
  ...["application/xml", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "text/json", "application/jsonp"].map(
    (type): BadInput => ({
      case: `a vote sent as ${type}`,
      body: JSON.stringify(vote),
      contentType: type,
      status: 415,
      error: "the body must be JSON: send the header 'content-type: application/json'",
      details: [],
    }),
  ),
  {
    case: "a body of 5 MB",
    body: JSON.stringify(Array.from({ length: 40_000 }, () => ({ ...vote, album: "y".repeat(100) }))),
    contentType: JSON_TYPE,
    status: 413,
    error: /^the body is \d+ bytes; at most 1048576 are accepted$/,
    details: [],
  },
  // Bodies that are JSON but not a vote.
  schemaCase("null", null, [{ field: "(body)", message: "must be a JSON object" }]),
  schemaCase("a number", 42, [{ field: "(body)", message: "must be a JSON object" }]),
  schemaCase("true", true, [{ field: "(body)", message: "must be a JSON object" }]),
  schemaCase(
    "an empty object",
    {},
    ["name", "album", "year", "rank"].map((field) => ({ field, message: "is required" })),
  ),
  schemaCase("a list holding a list", [[vote]], [{ field: "[0]", message: "must be a JSON object" }]),
  schemaCase("a list with a null vote", [vote, null], [{ field: "[1]", message: "must be a JSON object" }]),
  {
    ...schemaCase("JSON nested 50,000 levels deep", [], [{ field: "[0]", message: "must be a JSON object" }]),
    body: `${"[".repeat(50_000)}${"]".repeat(50_000)}`,
  },
  {
    ...schemaCase("an object nested 10,000 levels deep", {}, [
      ...["name", "album", "year", "rank"].map((field) => ({ field, message: "is required" })),
      { field: "a", message: "unknown field" },
    ]),
    body: `${'{"a":'.repeat(10_000)}1${"}".repeat(10_000)}`,
  },
  // Missing, null, empty and wrongly typed fields.
  ...(["album", "year", "rank"] as const).map((field) => {
    const { [field]: _dropped, ...rest } = vote;
    return schemaCase(`a vote without ${field === "album" ? "an" : "a"} ${field}`, rest, [{ field, message: "is required" }]);
  }),
  ...(["name", "album"] as const).map((field) =>
    schemaCase(`a null ${field}`, { ...vote, [field]: null }, [{ field, message: "must be a string" }]),
  ),
  ...(["year", "rank"] as const).map((field) =>
    schemaCase(`a null ${field}`, { ...vote, [field]: null }, [{ field, message: "must be a string or an integer" }]),
  ),
  schemaCase("an empty album", { ...vote, album: "" }, [{ field: "album", message: "must not be empty" }]),
  schemaCase("an empty year", { ...vote, year: "" }, [{ field: "year", message: 'must be four digits, e.g. "1980"' }]),
  schemaCase("an empty rank", { ...vote, rank: "" }, [{ field: "rank", message: "must be 1 to 16 characters" }]),
  schemaCase("a year that is true", { ...vote, year: true }, [{ field: "year", message: "must be a string or an integer" }]),
  schemaCase("a rank that is a list", { ...vote, rank: ["1"] }, [{ field: "rank", message: "must be a string or an integer" }]),
  schemaCase("a year of five digits", { ...vote, year: 19800 }, [{ field: "year", message: 'must be four digits, e.g. "1980"' }]),
  schemaCase("a negative year", { ...vote, year: -1980 }, [{ field: "year", message: 'must be four digits, e.g. "1980"' }]),
  schemaCase("a year with letters", { ...vote, year: "1980a" }, [{ field: "year", message: 'must be four digits, e.g. "1980"' }]),
  schemaCase("a name of 121 characters", { ...vote, name: "n".repeat(121) }, [
    { field: "name", message: "must be at most 120 characters" },
  ]),
  schemaCase("a name of 121 emoji", { ...vote, name: "🎸".repeat(121) }, [{ field: "name", message: "must be at most 120 characters" }]),
  // NoSQL operators and prototype keys: refused as values, never passed into a query.
  schemaCase("a MongoDB operator as the name", { ...vote, name: { $gt: "" } }, [{ field: "name", message: "must be a string" }]),
  schemaCase("a MongoDB operator as the album", { ...vote, album: { $ne: null } }, [{ field: "album", message: "must be a string" }]),
  schemaCase("a regex operator as the year", { ...vote, year: { $regex: ".*" } }, [
    { field: "year", message: "must be a string or an integer" },
  ]),
  schemaCase("a $where field", { ...vote, $where: "sleep(1000)" }, [{ field: "$where", message: "unknown field" }]),
  {
    ...schemaCase("a __proto__ field", vote, [{ field: "__proto__", message: "unknown field" }]),
    body: `{"__proto__": {"admin": true}, ${JSON.stringify(vote).slice(1)}`,
  },
  schemaCase("a constructor field", { ...vote, constructor: { prototype: {} } }, [{ field: "constructor", message: "unknown field" }]),
  // Control characters and unusual Unicode.
  ...(
    [
      ["a tab inside the name", "name", "Alux\tNahual"],
      ["a newline inside the album", "album", "Alux\nNahual"],
      ["a DEL character in the name", "name", "Alux\u007fNahual"],
      ["a C1 control character in the album", "album", "Alux\u0085Nahual"],
      ["a right-to-left override in the name", "name", "Alux\u202eNahual"],
      ["a control character in the rank", "rank", "1\u0007"],
    ] as const
  ).map(([what, field, value]) =>
    schemaCase(what, { ...vote, [field]: value }, [{ field, message: "must not contain control characters or broken Unicode" }]),
  ),
  {
    ...schemaCase("an unpaired surrogate in the name", vote, [
      { field: "name", message: "must not contain control characters or broken Unicode" },
    ]),
    body: JSON.stringify(vote).replace('"Alux Nahual"', '"Alux \\ud800 Nahual"'),
  },
  // Bulk requests.
  schemaCase(
    "a bulk with an unknown field in its second vote",
    [vote, { ...vote, color: "red" }],
    [{ field: "[1].color", message: "unknown field" }],
  ),
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

/** The request that sends one bad input to an edge path (`url` may be in-process: `http://localhost/...`). */
export function badInputRequest(url: string, input: BadInput): Request {
  // Declared as fetch would, so an in-process app sees the same headers as a running one.
  const headers: Record<string, string> = { "content-length": String(Buffer.byteLength(input.body)) };
  if (input.contentType) headers["content-type"] = input.contentType;
  return new Request(url, { method: "POST", headers, body: input.body });
}

/** Sends one bad input to a running edge and returns the answer's status, headers and JSON body. */
export function sendBadInput(url: string, input: BadInput) {
  return read(fetch(badInputRequest(url, input)));
}
