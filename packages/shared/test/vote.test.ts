import { describe, expect, test } from "bun:test";
import { BAD_INPUTS } from "@marimba/testkit";
import { z } from "zod";
import {
  acceptVote,
  characterCount,
  MAX_BULK_VOTES,
  MAX_RANK,
  MIN_YEAR,
  maxYear,
  parseAcceptedVotes,
  parseVoteBody,
  Vote,
  VoteInput,
} from "../src/vote.ts";

const vote = { name: "Alux Nahual", album: "Alux Nahual", year: "1980", rank: "1" };
const YEAR = `must be a year from ${MIN_YEAR} to ${maxYear()}, e.g. "1980"`;
const RANK = `must be a whole number from 1 to ${MAX_RANK}, e.g. "1"`;

function problems(body: unknown) {
  const parsed = parseVoteBody(body);
  if (parsed.ok) throw new Error("expected the body to be refused");
  return parsed.problems;
}

describe("the wire vote", () => {
  test("a vote in the old clients' format is accepted as is", () => {
    expect(parseVoteBody(vote)).toEqual({ ok: true, value: { votes: [vote], bulk: false } });
  });

  test("integer year and rank are turned into strings, and whitespace is trimmed", () => {
    const parsed = parseVoteBody({ name: "  Alux Nahual ", album: "Alux Nahual\t", year: 1980, rank: 2 });
    expect(parsed).toEqual({ ok: true, value: { votes: [{ ...vote, rank: "2" }], bulk: false } });
  });

  test("each missing field is named", () => {
    expect(problems({})).toEqual([
      { field: "name", message: "is required" },
      { field: "album", message: "is required" },
      { field: "year", message: "is required" },
      { field: "rank", message: "is required" },
    ]);
  });

  test("an unknown field is refused by name", () => {
    expect(problems({ ...vote, votes: 100 })).toEqual([{ field: "votes", message: "unknown field" }]);
  });

  test("wrong types are named with what was expected", () => {
    expect(problems({ ...vote, name: 5, year: 19.8, rank: null })).toEqual([
      { field: "name", message: "must be a string" },
      { field: "year", message: "must be a string or an integer" },
      { field: "rank", message: "must be a string or an integer" },
    ]);
  });

  test("a NoSQL operator object in a field is refused, never passed on", () => {
    expect(problems({ ...vote, name: { $gt: "" } })).toEqual([{ field: "name", message: "must be a string" }]);
  });

  test(`limits: names 1–120 characters, year ${MIN_YEAR} to next year, rank 1–${MAX_RANK}`, () => {
    expect(problems({ ...vote, name: "   ", album: "x".repeat(121), year: "80", rank: "12345678901234567" })).toEqual([
      { field: "name", message: "must not be empty" },
      { field: "album", message: "must be at most 120 characters" },
      { field: "year", message: YEAR },
      { field: "rank", message: RANK },
    ]);
  });

  test("the year is plausible: from 1900 to next year, as a string or an integer", () => {
    for (const year of ["0000", "1899", String(maxYear() + 1), 99_999, "19 80"])
      expect(problems({ ...vote, year })).toEqual([{ field: "year", message: YEAR }]);
    for (const year of ["1900", String(maxYear()), 1994]) expect(parseVoteBody({ ...vote, year }).ok).toBe(true);
  });

  test("the rank is a small positive whole number: no zero, sign, exponent, fraction or leading zero", () => {
    for (const rank of ["0", "-1", -1, "1e3", 1000, "+1", "1.0", "01", "one", "<img src=x>"]) {
      expect(problems({ ...vote, rank })).toEqual([{ field: "rank", message: RANK }]);
    }
    for (const rank of ["1", 7, "999"]) expect(parseVoteBody({ ...vote, rank }).ok).toBe(true);
  });

  test("a name needs a visible character: zero-width, format, filler and blank characters alone are refused", () => {
    for (const name of ["\u200b\u200b", "\u2060", "\u00ad", "\u3164", "\u2800", "\u0301", "\u200d"]) {
      expect(problems({ ...vote, name })).toEqual([{ field: "name", message: "must contain a visible character" }]);
    }
    expect(parseVoteBody({ ...vote, name: "Café\u200b Tacvba" }).ok).toBe(true);
  });

  test("bidirectional controls and NUL are refused anywhere in a name", () => {
    for (const name of ["Alux\u202eNahual", "\u2066Alux", "Alux\u200fNahual", "Alux\u061c", "Alux\u0000"]) {
      expect(problems({ ...vote, name })).toEqual([{ field: "name", message: "must not contain control characters or broken Unicode" }]);
    }
  });

  test("markup characters are refused in names", () => {
    expect(problems({ ...vote, album: "<img src=x>" })).toEqual([{ field: "album", message: "must not contain < or >" }]);
  });

  test("lengths count what a reader sees: 60 family emoji fit, 121 accented letters do not; a wall of combining marks is too long", () => {
    const family = "👨‍👩‍👧‍👦";
    expect(characterCount(family)).toBe(1);
    expect(parseVoteBody({ ...vote, name: family.repeat(60) }).ok).toBe(true);
    expect(parseVoteBody({ ...vote, name: "e\u0301".repeat(120) }).ok).toBe(true);
    expect(problems({ ...vote, name: "e\u0301".repeat(121) })).toEqual([{ field: "name", message: "must be at most 120 characters" }]);
    expect(problems({ ...vote, name: `a${"\u0301".repeat(2000)}` })[0]?.message).toStartWith("is too long");
  });

  test("120 characters are counted as characters, not UTF-16 units", () => {
    expect(parseVoteBody({ ...vote, album: "🎶".repeat(120) }).ok).toBe(true);
  });

  test("control characters and broken Unicode are refused", () => {
    expect(problems({ ...vote, name: "Alux\u0000Nahual" })[0]?.field).toBe("name");
    expect(problems({ ...vote, album: "bad \ud800 surrogate" })[0]?.message).toContain("control characters or broken Unicode");
  });

  test("a body that is not an object is named as such", () => {
    expect(problems("a vote")).toEqual([{ field: "(body)", message: "must be a JSON object" }]);
    expect(problems(null)).toEqual([{ field: "(body)", message: "must be a JSON object" }]);
  });
});

describe("bulk votes", () => {
  test("an array of votes is accepted and marked as bulk", () => {
    const parsed = parseVoteBody([vote, { ...vote, rank: 2 }]);
    expect(parsed.ok && parsed.value.bulk).toBe(true);
    expect(parsed.ok && parsed.value.votes.length).toBe(2);
  });

  test(`more than ${MAX_BULK_VOTES} votes are refused whole`, () => {
    expect(problems(Array.from({ length: MAX_BULK_VOTES + 1 }, () => vote))[0]?.message).toContain("at most 500");
  });

  test("an empty array is refused", () => {
    expect(problems([])[0]?.message).toBe("must hold at least one vote");
  });

  test("one bad element refuses the whole request, naming its index", () => {
    expect(problems([vote, vote, { ...vote, year: "nineteen" }])).toEqual([{ field: "[2].year", message: YEAR }]);
  });
});

describe("accepted votes", () => {
  test("an accepted vote carries a UUID v7 id, its route and acceptance time", () => {
    const now = new Date("2026-11-28T10:00:00.000Z");
    const accepted = acceptVote(vote, "http", now);
    expect(accepted.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(accepted).toMatchObject({ ...vote, route: "http", acceptedAt: "2026-11-28T10:00:00.000Z" });
    expect(parseAcceptedVotes([accepted]).ok).toBe(true);
  });

  test("ids sort in acceptance order", () => {
    const first = acceptVote(vote, "grpc", new Date(1_000_000));
    const second = acceptVote(vote, "grpc", new Date(2_000_000));
    expect(first.id < second.id).toBe(true);
  });

  test("the internal hop refuses votes without an id or with an unknown route", () => {
    const accepted = acceptVote(vote, "http");
    expect(parseAcceptedVotes([{ ...accepted, route: "ftp" }]).ok).toBe(false);
    const { id: _id, ...withoutId } = accepted;
    expect(parseAcceptedVotes([withoutId]).ok).toBe(false);
  });

  test("the internal hop checks the edge's rules again, the id's shape and the route it serves", () => {
    const accepted = acceptVote(vote, "http");
    expect(parseAcceptedVotes([accepted], "http").ok).toBe(true);
    const parsed = parseAcceptedVotes(
      [
        accepted,
        { ...accepted, name: "\u202eEvil\u0000band" },
        { ...accepted, album: "a".repeat(240) },
        { ...accepted, id: crypto.randomUUID() },
      ],
      "http",
    );
    expect(parsed).toEqual({
      ok: false,
      problems: [
        { field: "[1].name", message: "must not contain control characters or broken Unicode" },
        { field: "[2].album", message: "must be at most 120 characters" },
        { field: "[3].id", message: "must be a UUID v7 (or v5 for a vote sent with an Idempotency-Key)" },
      ],
    });
    expect(parseAcceptedVotes([{ ...accepted, route: "grpc" }], "http")).toEqual({
      ok: false,
      problems: [{ field: "[0].route", message: 'must be "http" on this route\'s hop' }],
    });
  });
});

describe("the fast path in front of zod", () => {
  const names = [
    "Alux Nahual",
    "  Malacates Trébol Shop\t",
    "Café Tacvba",
    "Cafe\u0301 Tacvba",
    "Ricardo Arjona 👨‍👩‍👧‍👦",
    "x".repeat(120),
    "é".repeat(121),
    "e\u0301".repeat(100),
    "AC/DC; Guns N' Roses",
    "a < b",
    "tab\tinside",
    "\u00a0Gaby Moreno\u00a0",
    "\u00ad",
    "",
    "Alux\u202eNahual",
    "\ud800",
  ];
  const values = [...names, 1980, 7, 0, -1, 19.8, 2 ** 60, null, "1980", " 1980 ", "0042", "999", "1000", "01", "+1"];
  const inputs: unknown[] = [
    ...BAD_INPUTS.flatMap((input) => {
      try {
        return [JSON.parse(input.body) as unknown];
      } catch {
        return [];
      }
    }),
    ...values.flatMap((value) => [
      { ...vote, name: value },
      { ...vote, album: value },
      { ...vote, year: value },
      { ...vote, rank: value },
    ]),
    { ...vote, extra: 1 },
    { name: "a", album: "b", year: "1980" },
    [vote, { ...vote, rank: 0 }],
  ].filter((body) => !Array.isArray(body) || (body.length > 0 && body.length <= MAX_BULK_VOTES)); // counted before any schema

  test("every vote, valid or not, gets exactly the answer zod alone gives", () => {
    for (const body of inputs) {
      const zod = Array.isArray(body) ? z.array(VoteInput).safeParse(body) : VoteInput.safeParse(body);
      const parsed = parseVoteBody(body);
      expect({ body, ok: parsed.ok }).toEqual({ body, ok: zod.success });
      if (parsed.ok && zod.success) expect(parsed.value.votes).toEqual(Array.isArray(zod.data) ? zod.data : [zod.data]);
    }
  });

  test("every accepted vote the hop checks gets exactly the answer zod alone gives", () => {
    const stamped = inputs
      .filter((body) => typeof body === "object" && body !== null && !Array.isArray(body))
      .flatMap((body) => [
        { id: Bun.randomUUIDv7(), ...(body as object), route: "http", acceptedAt: new Date().toISOString() },
        { id: Bun.randomUUIDv7(), ...(body as object), route: "grpc", acceptedAt: "2026-02-29T10:00:00Z" },
        { id: Bun.randomUUIDv7(), ...(body as object), route: "http", acceptedAt: "2028-02-29T23:59:59.123456Z" },
      ]);
    for (const body of stamped) {
      const zod = Vote.safeParse(body);
      const parsed = parseAcceptedVotes([body]);
      expect({ body, ok: parsed.ok }).toEqual({ body, ok: zod.success });
      if (parsed.ok && zod.success) expect(JSON.stringify(parsed.value[0])).toBe(JSON.stringify(zod.data));
    }
  });
});
