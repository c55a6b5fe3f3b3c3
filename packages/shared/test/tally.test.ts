import { describe, expect, test } from "bun:test";
import { albumField } from "../src/keys.ts";
import { addVotes, countArguments, emptyDelta } from "../src/tally.ts";

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
    expect(split).toEqual(whole);
  });

  test("script arguments: the triples that add up the batch, then each vote's id, route, stored flag and triples", () => {
    const votes = [
      { vote: { ...alux, id: "a" }, stored: true },
      { vote: { ...bohemia, id: "b" }, stored: false },
      { vote: { ...alux, id: "c" }, stored: true },
    ];
    expect(countArguments(votes)).toEqual([
      "8",
      ...["1", "Alux Nahual", "2"],
      ...["2", albumField(alux), "2"],
      ...["3", "1", "2"],
      ...["4", "http", "2"],
      ...["1", "Bohemia Suburbana", "1"],
      ...["2", albumField(bohemia), "1"],
      ...["3", "2", "1"],
      ...["4", "grpc", "1"],
      ...["a", "http", "1", "1 2 3 4"],
      ...["b", "grpc", "0", "5 6 7 8"],
      ...["c", "http", "1", "1 2 3 4"],
    ]);
  });
});
