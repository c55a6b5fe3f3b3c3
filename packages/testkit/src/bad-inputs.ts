/**
 * Bad requests every edge must refuse the same way, with the status and message the wire
 * contract (docs/ARCHITECTURE.md) promises, before anything reaches Kafka. Both routes' tests run this one table, so the
 * HTTP and gRPC edges cannot drift apart.
 */
import { type FieldProblem, MAX_NAME_CODE_UNITS, MAX_RANK, MIN_YEAR, maxYear, type VoteInput } from "@marimba/shared";
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
  /** Headers sent besides the content type. */
  headers?: Record<string, string>;
}

const vote: VoteInput = { name: "Alux Nahual", album: "Alux Nahual", year: "1980", rank: "1" };
const JSON_TYPE = "application/json";
const SCHEMA = "the vote does not match the schema";
const NOT_JSON = "the body must be JSON: send the header 'content-type: application/json'";
const YEAR = `must be a year from ${MIN_YEAR} to ${maxYear()}, e.g. "1980"`;
const RANK = `must be a whole number from 1 to ${MAX_RANK}, e.g. "1"`;
const CONTROL = "must not contain control characters or broken Unicode";
const INVISIBLE = "must contain a visible character";
const REPEATED = "is given more than once";
const TOO_LONG = `is too long: at most ${MAX_NAME_CODE_UNITS} UTF-16 code units (combining marks and joiners count)`;

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
  schemaCase("a year that is not four digits", { ...vote, year: "80" }, [{ field: "year", message: YEAR }]),
  schemaCase("an album of 121 characters", { ...vote, album: "a".repeat(121) }, [
    { field: "album", message: "must be at most 120 characters" },
  ]),
  schemaCase("a rank of 17 characters", { ...vote, rank: "1".repeat(17) }, [{ field: "rank", message: RANK }]),
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
      error: NOT_JSON,
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
  schemaCase("an empty year", { ...vote, year: "" }, [{ field: "year", message: YEAR }]),
  schemaCase("an empty rank", { ...vote, rank: "" }, [{ field: "rank", message: RANK }]),
  schemaCase("a year that is true", { ...vote, year: true }, [{ field: "year", message: "must be a string or an integer" }]),
  schemaCase("a rank that is a list", { ...vote, rank: ["1"] }, [{ field: "rank", message: "must be a string or an integer" }]),
  schemaCase("a year of five digits", { ...vote, year: 19800 }, [{ field: "year", message: YEAR }]),
  schemaCase("a negative year", { ...vote, year: -1980 }, [{ field: "year", message: YEAR }]),
  schemaCase("a year with letters", { ...vote, year: "1980a" }, [{ field: "year", message: YEAR }]),
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
  schemaCase("a control character in the rank", { ...vote, rank: "1\u0007" }, [{ field: "rank", message: RANK }]),
  // Found accepted by an adversarial run (issue 12); each is refused now.
  schemaCase("a name of only zero-width spaces", { ...vote, name: "\u200b\u200b\u200b" }, [{ field: "name", message: INVISIBLE }]),
  schemaCase("a name of only a word joiner and a soft hyphen", { ...vote, name: "\u2060\u00ad" }, [{ field: "name", message: INVISIBLE }]),
  schemaCase("a name of only Hangul fillers", { ...vote, name: "\u3164\u3164" }, [{ field: "name", message: INVISIBLE }]),
  schemaCase("an album of only blank Braille", { ...vote, album: "\u2800" }, [{ field: "album", message: INVISIBLE }]),
  schemaCase("an album of only combining marks", { ...vote, album: "\u0301\u0301" }, [{ field: "album", message: INVISIBLE }]),
  schemaCase("a bidi override and a NUL in the name", { ...vote, name: "\u202eEvil\u0000band" }, [{ field: "name", message: CONTROL }]),
  schemaCase("a right-to-left isolate in the album", { ...vote, album: "\u2067Alux" }, [{ field: "album", message: CONTROL }]),
  schemaCase("a right-to-left mark in the name", { ...vote, name: "Alux\u200fNahual" }, [{ field: "name", message: CONTROL }]),
  schemaCase("a NUL in the album", { ...vote, album: "Alux\u0000" }, [{ field: "album", message: CONTROL }]),
  schemaCase("a name of 240 characters", { ...vote, name: "n".repeat(240) }, [
    { field: "name", message: "must be at most 120 characters" },
  ]),
  schemaCase("a name of 121 accented letters (242 code points)", { ...vote, name: "e\u0301".repeat(121) }, [
    { field: "name", message: "must be at most 120 characters" },
  ]),
  schemaCase("a name of 66 family emoji (726 UTF-16 code units)", { ...vote, name: "👨‍👩‍👧‍👦".repeat(66) }, [
    { field: "name", message: TOO_LONG },
  ]),
  schemaCase("a name of one letter under 2,000 combining marks", { ...vote, name: `a${"\u0301".repeat(2000)}` }, [
    { field: "name", message: TOO_LONG },
  ]),
  schemaCase("markup as the name", { ...vote, name: "<img src=x>" }, [{ field: "name", message: "must not contain < or >" }]),
  schemaCase('the year "0000"', { ...vote, year: "0000" }, [{ field: "year", message: YEAR }]),
  schemaCase("the year 1899", { ...vote, year: 1899 }, [{ field: "year", message: YEAR }]),
  schemaCase("a year after next year", { ...vote, year: String(maxYear() + 1) }, [{ field: "year", message: YEAR }]),
  ...(
    [
      ["a rank of -1", -1],
      ['a rank of "-1"', "-1"],
      ['a rank of "1e3"', "1e3"],
      ["a rank of 0", "0"],
      ["a rank of 1000", 1000],
      ["a rank with a leading zero", "01"],
      ["a rank with a plus sign", "+1"],
      ["markup as the rank", "<img src=x>"],
    ] as const
  ).map(([what, rank]) => schemaCase(what, { ...vote, rank }, [{ field: "rank", message: RANK }])),
  {
    ...schemaCase("a key named twice (the last would win)", vote, [{ field: "name", message: REPEATED }]),
    body: `{"name": "Somebody Else", ${JSON.stringify(vote).slice(1)}`,
  },
  {
    ...schemaCase("a key named twice, once escaped", vote, [{ field: "rank", message: REPEATED }]),
    body: `{"r\\u0061nk": "5", ${JSON.stringify(vote).slice(1)}`,
  },
  {
    ...schemaCase("a key named twice in the second vote of a bulk", [vote, vote], [{ field: "[1].year", message: REPEATED }]),
    body: `[${JSON.stringify(vote)}, {"year": "1999", ${JSON.stringify(vote).slice(1)}]`,
  },
  ...["application/evil+json", "application/vnd.marimba+json", "application/json-seq"].map(
    (type): BadInput => ({
      case: `a vote sent as ${type}`,
      body: JSON.stringify(vote),
      contentType: type,
      status: 415,
      error: NOT_JSON,
      details: [],
    }),
  ),
  ...["application/json; charset=latin1", "application/json; charset=utf-16", "application/json; profile=x"].map(
    (type): BadInput => ({
      case: `a vote sent as ${type}`,
      body: JSON.stringify(vote),
      contentType: type,
      status: 415,
      error: "the body must be UTF-8 JSON: 'charset=utf-8' is the only parameter accepted after 'application/json'",
      details: [],
    }),
  ),
  ...["", "two words", `k${"x".repeat(200)}`].map(
    (key): BadInput => ({
      case: `an Idempotency-Key of ${JSON.stringify(key.length > 20 ? `${key.slice(0, 8)}… (${key.length} characters)` : key)}`,
      body: JSON.stringify(vote),
      contentType: JSON_TYPE,
      headers: { "idempotency-key": key },
      status: 400,
      error: "the Idempotency-Key header must be 1 to 200 visible ASCII characters (a UUID is a good key)",
      details: [{ field: "Idempotency-Key", message: "is malformed" }],
    }),
  ),
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
    [{ field: "[2].year", message: YEAR }],
  ),
  schemaCase(
    "a bulk with several bad votes",
    [{ ...vote, rank: "" }, vote, { name: "Bohemia Suburbana" }],
    [
      { field: "[0].rank", message: RANK },
      { field: "[2].album", message: "is required" },
      { field: "[2].year", message: "is required" },
      { field: "[2].rank", message: "is required" },
    ],
  ),
];

/** The request that sends one bad input to an edge path (`url` may be in-process: `http://localhost/...`). */
export function badInputRequest(url: string, input: BadInput): Request {
  // Declared as fetch would, so an in-process app sees the same headers as a running one.
  const headers: Record<string, string> = { "content-length": String(Buffer.byteLength(input.body)), ...input.headers };
  if (input.contentType) headers["content-type"] = input.contentType;
  return new Request(url, { method: "POST", headers, body: input.body });
}

/** Sends one bad input to a running edge and returns the answer's status, headers and JSON body. */
export function sendBadInput(url: string, input: BadInput) {
  return read(fetch(badInputRequest(url, input)));
}

/** Deeper bodies go as they are: parsing and encoding 50,000 levels took seconds on a busy machine. */
const MAX_REENCODED_NESTING = 1000;

/** How deep arrays and objects nest in a JSON text (brackets inside strings not counted). */
function nesting(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (inString) {
      if (char === "\\") i++;
      else if (char === '"') inString = false;
    } else if (char === '"') inString = true;
    else if (char === "[" || char === "{") deepest = Math.max(deepest, ++depth);
    else if (char === "]" || char === "}") depth--;
  }
  return deepest;
}

/**
 * A schema case's body as a value, when encoding it again gives the same text; undefined for the
 * rest (not JSON, too deep to encode, or a raw text whose trick, like a repeated key, re-encoding loses).
 */
function reencodable(input: BadInput): unknown {
  if (input.status !== 422 || nesting(input.body) > MAX_REENCODED_NESTING) return undefined;
  try {
    const parsed: unknown = JSON.parse(input.body);
    return JSON.stringify(parsed) === input.body ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A corpus case as the HTTP route's internal hop (`POST /data`) would receive it from a caller
 * that skipped the edge: each vote object stamped with an id, route and acceptance time, in a
 * list. Bodies that are not JSON objects (or lists of them) go as they are. The hop must refuse
 * every case with the same status class and, for schema cases, the same messages.
 */
export function asHopBody(input: BadInput): string {
  const parsed = reencodable(input);
  if (parsed === undefined) return input.body;
  const stamp = (value: unknown) =>
    typeof value === "object" && value !== null && !Array.isArray(value)
      ? { id: Bun.randomUUIDv7(), route: "http", acceptedAt: new Date().toISOString(), ...value }
      : value;
  return JSON.stringify(Array.isArray(parsed) ? parsed.map(stamp) : [stamp(parsed)]);
}

/** A corpus case's one vote as a gRPC message, when protobuf can carry it (four optional strings, nothing else). */
export function asVoteMessage(input: BadInput): Record<string, string> | null {
  const parsed = reencodable(input);
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return null;
  const entries = Object.entries(parsed);
  // Protobuf strings are UTF-8: a lone surrogate would arrive as U+FFFD, another vote.
  const carried = entries.every(
    ([key, value]) => ["name", "album", "year", "rank"].includes(key) && typeof value === "string" && value.isWellFormed(),
  );
  return carried && entries.length > 0 ? Object.fromEntries(entries) : null;
}
