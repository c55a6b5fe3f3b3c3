import { z } from "zod";

/** Largest bulk request: one HTTP request or one gRPC stream carries at most this many votes. */
export const MAX_BULK_VOTES = 500;

export const ROUTES = ["http", "grpc"] as const;
export type Route = (typeof ROUTES)[number];

/** Most characters (grapheme clusters, what a reader sees as one) in a band or album name. */
export const MAX_NAME_CHARACTERS = 120;
/**
 * Most UTF-16 code units in a name (at most 3 UTF-8 bytes each): 60 family emoji (11 units each)
 * fit, a wall of combining marks does not, and 500 of the largest votes stay a few MB on every hop.
 */
export const MAX_NAME_CODE_UNITS = 720;
/** The oldest album year a vote may name; the newest is next year (pre-releases). */
export const MIN_YEAR = 1900;
/** The highest rank a fan may give. */
export const MAX_RANK = 999;

// Controls (C0 with NUL, tab and newline; C1) and bidirectional controls (they reorder what the
// dashboard shows) never belong in a name; nor do unpaired surrogates (isWellFormed).
const FORBIDDEN_CHARACTER = /[\p{Cc}\p{Bidi_Control}]/u;
// A character that shows: not whitespace, not a format or default-ignorable character (zero-width
// spaces, joiners, Hangul fillers), not a lone combining mark, not the blank Braille pattern.
const VISIBLE_CHARACTER = /[^\p{White_Space}\p{Default_Ignorable_Code_Point}\p{Cc}\p{Cf}\p{M}\u2800]/u;
// Names are shown on pages and in Grafana: markup never has a reason to be in one.
const MARKUP_CHARACTER = /[<>]/;
const FOUR_DIGITS = /^\d{4}$/;
const RANK_DIGITS = /^[1-9]\d{0,2}$/;
/** The ids edges give: UUID v7 (a new vote) or v5 (derived from an Idempotency-Key). */
const VOTE_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[57][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
/** What `z.iso.datetime()` accepts: an instant in UTC, `Z`, seconds and any fraction of them. */
const ISO_INSTANT = z.regexes.datetime({});

const graphemes = new Intl.Segmenter("en", { granularity: "grapheme" });

/** Characters as a reader counts them: a family emoji or an accented letter is one. */
export function characterCount(value: string): number {
  let count = 0;
  for (const _ of graphemes.segment(value)) count++;
  return count;
}

const printable = (value: string) => value.isWellFormed() && !FORBIDDEN_CHARACTER.test(value);

function text(field: string) {
  return z
    .string({ error: (issue) => (issue.input === undefined ? "is required" : "must be a string") })
    .transform((value) => value.trim().normalize("NFC"))
    .check((ctx) => {
      const value = ctx.value;
      const problem = (message: string): void => void ctx.issues.push({ code: "custom", message, input: value });
      if (!printable(value)) return problem("must not contain control characters or broken Unicode");
      if (value.length === 0) return problem("must not be empty");
      if (!VISIBLE_CHARACTER.test(value)) return problem("must contain a visible character");
      if (MARKUP_CHARACTER.test(value)) return problem("must not contain < or >");
      if (value.length > MAX_NAME_CODE_UNITS) {
        return problem(`is too long: at most ${MAX_NAME_CODE_UNITS} UTF-16 code units (combining marks and joiners count)`);
      }
      // A string no longer than the limit in code units cannot be longer in characters: most names skip the count.
      if (value.length > MAX_NAME_CHARACTERS && characterCount(value) > MAX_NAME_CHARACTERS) {
        problem(`must be at most ${MAX_NAME_CHARACTERS} characters`);
      }
    })
    .describe(field);
}

function stringOrInteger() {
  return z
    .union([z.string(), z.int()], {
      error: (issue) => (issue.input === undefined ? "is required" : "must be a string or an integer"),
    })
    .transform((value) => String(value).trim());
}

/** The newest year a vote may name: next year, for albums announced ahead of release. */
export function maxYear(now: Date = new Date()): number {
  return now.getUTCFullYear() + 1;
}

const plausibleYear = (value: string) => FOUR_DIGITS.test(value) && Number(value) >= MIN_YEAR && Number(value) <= maxYear();

function year() {
  return stringOrInteger().refine(plausibleYear, { error: () => `must be a year from ${MIN_YEAR} to ${maxYear()}, e.g. "1980"` });
}

function rank() {
  return stringOrInteger().refine((value) => RANK_DIGITS.test(value), `must be a whole number from 1 to ${MAX_RANK}, e.g. "1"`);
}

/** A vote as fans and the old load files send it: four strings (integers accepted for year and rank). */
export const VoteInput = z.strictObject(
  { name: text("name"), album: text("album"), year: year(), rank: rank() },
  { error: (issue) => (issue.code === "unrecognized_keys" ? "unknown field" : "must be a JSON object") },
);
export type VoteInput = z.output<typeof VoteInput>;

/**
 * A vote once an edge service accepted it: what travels through Kafka to MongoDB and Redis.
 * Every hop checks it with the edge's rules, so a caller of an internal port cannot slip past them.
 */
export const Vote = z.strictObject(
  {
    id: z.string().regex(VOTE_ID, "must be a UUID v7 (or v5 for a vote sent with an Idempotency-Key)"),
    name: text("name"),
    album: text("album"),
    year: year(),
    rank: rank(),
    route: z.enum(ROUTES, 'must be "http" or "grpc"'),
    acceptedAt: z.iso.datetime({ error: "must be an ISO-8601 instant in UTC" }),
  },
  { error: (issue) => (issue.code === "unrecognized_keys" ? "unknown field" : "must be a JSON object") },
);
export type Vote = z.output<typeof Vote>;

/** True for an id an edge could have given: a UUID v7, or a v5 derived from an Idempotency-Key. */
export function isVoteId(value: string): boolean {
  return VOTE_ID.test(value);
}

export interface FieldProblem {
  /** Where the problem is: `name`, or `[3].year` inside a bulk request. */
  field: string;
  message: string;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; problems: FieldProblem[] };

export interface VoteBatch {
  votes: VoteInput[];
  /** True when the body was a JSON array: the answer is then a list too. */
  bulk: boolean;
}

/** A field's name in answers: `name`, `[3].year` in a bulk request, `(body)` for the whole. */
export function fieldName(path: PropertyKey[], bulk: boolean): string {
  let name = "";
  for (const [i, part] of path.entries()) {
    if (typeof part === "number" && bulk && i === 0) name += `[${part}]`;
    else name += name ? `.${String(part)}` : String(part);
  }
  return name || "(body)";
}

function problemsOf(error: z.ZodError, bulk: boolean): FieldProblem[] {
  const problems: FieldProblem[] = [];
  for (const issue of error.issues) {
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) problems.push({ field: fieldName([...issue.path, key], bulk), message: "unknown field" });
    } else {
      problems.push({ field: fieldName(issue.path, bulk), message: issue.message });
    }
  }
  return problems;
}

/*
 * The fast path: the same rules as the schemas above, checked without zod, for the vote that
 * passes them (nearly every vote). It gives the same value zod would, or undefined, and zod then
 * decides and words every problem; so a refused vote's answer never depends on this path.
 */

// ASCII without controls and Latin-1's letters: such a text is its own NFC, and once trimmed and
// not empty it shows a character.
const PLAIN_TEXT = /^[\x20-\x3b\x3d\x3f-\x7e\u00c0-\u00ff]*$/;

function quickText(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  const trimmed = value.trim();
  // Longer names take zod's path, which counts their characters.
  if (trimmed.length === 0 || trimmed.length > MAX_NAME_CHARACTERS) return undefined;
  if (PLAIN_TEXT.test(trimmed)) return trimmed;
  const text = trimmed.normalize("NFC");
  if (text.length > MAX_NAME_CHARACTERS) return undefined;
  if (!printable(text) || !VISIBLE_CHARACTER.test(text) || MARKUP_CHARACTER.test(text)) return undefined;
  return text;
}

function quickDigits(value: unknown): string | undefined {
  if (typeof value === "string") return value.trim();
  if (typeof value === "number" && Number.isSafeInteger(value)) return String(value);
  return undefined;
}

function quickYear(value: unknown): string | undefined {
  const digits = quickDigits(value);
  return digits !== undefined && plausibleYear(digits) ? digits : undefined;
}

function quickRank(value: unknown): string | undefined {
  const digits = quickDigits(value);
  return digits !== undefined && RANK_DIGITS.test(digits) ? digits : undefined;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

/** `VoteInput.parse` for a valid vote, undefined for anything zod should look at. */
function quickVoteInput(body: unknown): VoteInput | undefined {
  if (!isRecord(body) || Object.keys(body).length !== 4) return undefined;
  const name = quickText(body.name);
  const album = quickText(body.album);
  const year = quickYear(body.year);
  const rank = quickRank(body.rank);
  if (name === undefined || album === undefined || year === undefined || rank === undefined) return undefined;
  return { name, album, year, rank };
}

/** `Vote.parse` for a valid accepted vote, undefined for anything zod should look at. */
function quickVote(body: unknown): Vote | undefined {
  if (!isRecord(body) || Object.keys(body).length !== 7) return undefined;
  const { id, route, acceptedAt } = body;
  if (typeof id !== "string" || !VOTE_ID.test(id)) return undefined;
  if (route !== "http" && route !== "grpc") return undefined;
  if (typeof acceptedAt !== "string" || !ISO_INSTANT.test(acceptedAt)) return undefined;
  const name = quickText(body.name);
  const album = quickText(body.album);
  const year = quickYear(body.year);
  const rank = quickRank(body.rank);
  if (name === undefined || album === undefined || year === undefined || rank === undefined) return undefined;
  return { id, name, album, year, rank, route, acceptedAt };
}

/**
 * The accepted vote a value holds when it is already in the form an edge gives it (trimmed, NFC,
 * year and rank as strings) and came by this route; undefined for the full check to decide.
 */
export function voteAsGiven(value: unknown, route: Route): Vote | undefined {
  const vote = quickVote(value);
  if (vote?.route !== route) return undefined;
  const given = value as Record<string, unknown>;
  const same = vote.name === given.name && vote.album === given.album && vote.year === given.year && vote.rank === given.rank;
  return same ? vote : undefined;
}

/** Every item through `quick`, or undefined as soon as one needs zod. */
function quickAll<T>(items: readonly unknown[], quick: (item: unknown) => T | undefined): T[] | undefined {
  const values: T[] = [];
  for (const item of items) {
    const value = quick(item);
    if (value === undefined) return undefined;
    values.push(value);
  }
  return values;
}

const VoteList = z.array(VoteInput);

/** What is wrong with the size of a list of votes, if anything. */
export function countProblem(body: unknown): FieldProblem | null {
  if (!Array.isArray(body)) return null;
  if (body.length === 0) return { field: "(body)", message: "must hold at least one vote" };
  if (body.length > MAX_BULK_VOTES) {
    return { field: "(body)", message: `holds ${body.length} votes; at most ${MAX_BULK_VOTES} are accepted at once` };
  }
  return null;
}

/** Validates a parsed JSON body: one vote, or an array of 1 to 500 votes. */
export function parseVoteBody(body: unknown): Parsed<VoteBatch> {
  if (Array.isArray(body)) {
    const count = countProblem(body);
    if (count) return { ok: false, problems: [count] };
    const quick = quickAll(body, quickVoteInput);
    if (quick) return { ok: true, value: { votes: quick, bulk: true } };
    const result = VoteList.safeParse(body);
    return result.success
      ? { ok: true, value: { votes: result.data, bulk: true } }
      : { ok: false, problems: problemsOf(result.error, true) };
  }
  const quick = quickVoteInput(body);
  if (quick) return { ok: true, value: { votes: [quick], bulk: false } };
  const result = VoteInput.safeParse(body);
  return result.success
    ? { ok: true, value: { votes: [result.data], bulk: false } }
    : { ok: false, problems: problemsOf(result.error, false) };
}

const AcceptedVotes = z.array(Vote).min(1).max(MAX_BULK_VOTES);

/**
 * Validates votes as they travel between services (already accepted by an edge) with the edge's
 * rules, and that they came by this hop's route: 1 to 500 votes, every one valid, or none.
 */
export function parseAcceptedVotes(body: unknown, route?: Route): Parsed<Vote[]> {
  const count = countProblem(body);
  if (count) return { ok: false, problems: [count] };
  let votes = Array.isArray(body) ? quickAll(body, quickVote) : undefined;
  if (!votes) {
    const result = AcceptedVotes.safeParse(body);
    if (!result.success) return { ok: false, problems: problemsOf(result.error, true) };
    votes = result.data;
  }
  const strays = route ? votes.flatMap((vote, i) => (vote.route === route ? [] : [i])) : [];
  if (strays.length > 0) {
    return { ok: false, problems: strays.map((i) => ({ field: `[${i}].route`, message: `must be "${route}" on this route's hop` })) };
  }
  return { ok: true, value: votes };
}

/** Stamps an accepted vote with its acceptance time and id: the one an edge already gave it, or a new UUID v7 (ids sort by time). */
export function acceptVote(input: VoteInput, route: Route, now: Date = new Date(), id?: string): Vote {
  return { id: id ?? Bun.randomUUIDv7("hex", now), ...input, route, acceptedAt: now.toISOString() };
}

/** A vote as Kafka holds it (docs/ARCHITECTURE.md): key = its id, value = its compact JSON. */
export interface EncodedVote {
  key: string;
  value: string;
}

export function encodeVote(vote: Vote): EncodedVote {
  return { key: vote.id, value: JSON.stringify(vote) };
}
