import { z } from "zod";

/** Largest bulk request: one HTTP request or one gRPC stream carries at most this many votes. */
export const MAX_BULK_VOTES = 500;

export const ROUTES = ["http", "grpc"] as const;
export type Route = (typeof ROUTES)[number];

// Control characters (C0, C1), bidirectional overrides (they reorder what the dashboard shows)
// and unpaired surrogates never belong in a band or album name.
const CONTROL_CHARACTER = /[\p{Cc}\u202a-\u202e\u2066-\u2069]/u;
const printable = (value: string) => value.isWellFormed() && !CONTROL_CHARACTER.test(value);

function text(field: string, max: number) {
  return z
    .string({ error: (issue) => (issue.input === undefined ? "is required" : "must be a string") })
    .transform((value) => value.trim().normalize("NFC"))
    .refine(printable, "must not contain control characters or broken Unicode")
    .refine((value) => value.length > 0, "must not be empty")
    .refine((value) => [...value].length <= max, `must be at most ${max} characters`)
    .describe(field);
}

function stringOrInteger() {
  return z
    .union([z.string(), z.int()], {
      error: (issue) => (issue.input === undefined ? "is required" : "must be a string or an integer"),
    })
    .transform((value) => String(value).trim());
}

/** A vote as fans and the old load files send it: four strings (integers accepted for year and rank). */
export const VoteInput = z.strictObject(
  {
    name: text("name", 120),
    album: text("album", 120),
    year: stringOrInteger().refine((value) => /^\d{4}$/.test(value), 'must be four digits, e.g. "1980"'),
    rank: stringOrInteger()
      .refine(printable, "must not contain control characters or broken Unicode")
      .refine((value) => value.length >= 1 && value.length <= 16, "must be 1 to 16 characters"),
  },
  { error: (issue) => (issue.code === "unrecognized_keys" ? "unknown field" : "must be a JSON object") },
);
export type VoteInput = z.output<typeof VoteInput>;

/** A vote once an edge service accepted it: what travels through Kafka to MongoDB and Redis. */
export const Vote = z.strictObject({
  id: z.uuid(),
  name: z.string().min(1).max(240),
  album: z.string().min(1).max(240),
  year: z.string().regex(/^\d{4}$/),
  rank: z.string().min(1).max(16),
  route: z.enum(ROUTES),
  acceptedAt: z.iso.datetime(),
});
export type Vote = z.output<typeof Vote>;

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

function fieldName(path: PropertyKey[], bulk: boolean): string {
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

const VoteList = z.array(VoteInput);

/** Validates a parsed JSON body: one vote, or an array of 1 to 500 votes. */
export function parseVoteBody(body: unknown): Parsed<VoteBatch> {
  if (Array.isArray(body)) {
    if (body.length === 0) return { ok: false, problems: [{ field: "(body)", message: "must hold at least one vote" }] };
    if (body.length > MAX_BULK_VOTES) {
      return {
        ok: false,
        problems: [{ field: "(body)", message: `holds ${body.length} votes; at most ${MAX_BULK_VOTES} are accepted at once` }],
      };
    }
    const result = VoteList.safeParse(body);
    return result.success
      ? { ok: true, value: { votes: result.data, bulk: true } }
      : { ok: false, problems: problemsOf(result.error, true) };
  }
  const result = VoteInput.safeParse(body);
  return result.success
    ? { ok: true, value: { votes: [result.data], bulk: false } }
    : { ok: false, problems: problemsOf(result.error, false) };
}

const AcceptedVotes = z.array(Vote).min(1).max(MAX_BULK_VOTES);

/** Validates votes as they travel between services (already accepted by an edge). */
export function parseAcceptedVotes(body: unknown): Parsed<Vote[]> {
  const result = AcceptedVotes.safeParse(body);
  return result.success ? { ok: true, value: result.data } : { ok: false, problems: problemsOf(result.error, true) };
}

/** Stamps an accepted vote with its acceptance time and id: the one an edge already gave it, or a new UUID v7 (ids sort by time). */
export function acceptVote(input: VoteInput, route: Route, now: Date = new Date(), id?: string): Vote {
  return { id: id ?? Bun.randomUUIDv7("hex", now), ...input, route, acceptedAt: now.toISOString() };
}
