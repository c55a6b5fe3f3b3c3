import { describe, expect, test } from "bun:test";
import { albumField } from "../src/keys.ts";
import { addVotes, deltaArguments, emptyDelta } from "../src/tally.ts";

const alux = { name: "Alux Nahual", album: "Alux Nahual", year: "1980", rank: "1", route: "http" as const };
const bohemia = { name: "Bohemia Suburbana", album: "Eres Mío", year: "1996", rank: "2", route: "grpc" as const };

describe("tally deltas", () => {
  test("votes are summed per band, album (with band and year), rank and route", () => {
    const delta = addVotes(emptyDelta(), [alux, alux, bohemia]);
    expect(delta.total).toBe(3);
    expect(Object.fromEntries(delta.band)).toEqual({ "Alux Nahual": 2, "Bohemia Suburbana": 1 });
    expect(Object.fromEntries(delta.album)).toEqual({ "Alux Nahual — Alux Nahual (1980)": 2, "Bohemia Suburbana — Eres Mío (1996)": 1 });
    expect(Object.fromEntries(delta.rank)).toEqual({ "1": 2, "2": 1 });
    expect(Object.fromEntries(delta.route)).toEqual({ http: 2, grpc: 1 });
  });

  test("a batch counts the same however it is split", () => {
    const whole = addVotes(emptyDelta(), [alux, bohemia, alux]);
    const split = addVotes(addVotes(emptyDelta(), [alux]), [bohemia, alux]);
    expect(deltaArguments(split)).toEqual(deltaArguments(whole));
  });

  test("script arguments are (hash index, field, count) triples", () => {
    expect(deltaArguments(addVotes(emptyDelta(), [alux]))).toEqual([
      "1",
      "Alux Nahual",
      "1",
      "2",
      albumField(alux),
      "1",
      "3",
      "1",
      "1",
      "4",
      "http",
      "1",
    ]);
  });
});
