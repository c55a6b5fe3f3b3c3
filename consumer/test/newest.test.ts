import { describe, expect, test } from "bun:test";
import type { NewestVote } from "@marimba/shared";
import { mergeNewest } from "../src/newest.ts";

const at = (second: number, id = `v${second}`): NewestVote => ({
  id,
  name: "Alux Nahual",
  album: "Alux Nahual",
  year: "1980",
  rank: "1",
  route: "http",
  acceptedAt: new Date(Date.UTC(2026, 11, 1, 10, 0, second)),
});

describe("mergeNewest", () => {
  test("keeps the newest votes of both lists, newest first, at most `kept`", () => {
    const merged = mergeNewest([at(5), at(3), at(1)], [at(4), at(2), at(6)], 4);
    expect(merged.map((vote) => vote.id)).toEqual(["v6", "v5", "v4", "v3"]);
  });

  test("a vote delivered again is kept once", () => {
    expect(mergeNewest([at(2), at(1)], [at(2), at(2)], 10).map((vote) => vote.id)).toEqual(["v2", "v1"]);
  });

  test("votes accepted in the same millisecond keep one order whatever order they arrive in", () => {
    const a = at(1, "a");
    const b = at(1, "b");
    expect(mergeNewest([a], [b], 10)).toEqual(mergeNewest([b], [a], 10));
  });

  test("votes older than every kept one change nothing", () => {
    const kept = [at(9), at(8)];
    expect(mergeNewest(kept, [at(1)], 2)).toEqual(kept);
  });
});
