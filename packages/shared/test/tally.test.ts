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

  test("script arguments: the triples that add up the batch, then ids, routes, stored flags and each vote's triples, in five strings", () => {
    const ids = ["019ada7e-0000-7000-8000-00000000000a", "019ada7e-0000-7000-8000-00000000000b", "019ada7e-0000-7000-8000-00000000000c"];
    const votes = [
      { vote: { ...alux, id: ids[0] as string }, stored: true },
      { vote: { ...bohemia, id: ids[1] as string }, stored: false },
      { vote: { ...alux, id: ids[2] as string }, stored: true },
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
      ids.join(""),
      "121",
      "101",
      "123456781234",
      "1",
    ]);
  });

  test("triple numbers are written as wide as the largest, and an id that is not a UUID is refused", () => {
    const many = Array.from({ length: 4 }, (_, i) => ({
      vote: { ...alux, name: `Band ${i}`, id: `019ada7e-0000-7000-8000-00000000000${i}` },
      stored: true,
    }));
    const args = countArguments(many);
    // Two triples a band (its band and album), rank 1 and http shared: 10 triples, two digits.
    expect(args.at(-1)).toBe("2");
    expect(args.at(-2)).toBe("01020304" + "05060304" + "07080304" + "09100304");
    expect(() => countArguments([{ vote: { ...alux, id: "short" }, stored: true }])).toThrow("is not a UUID");
  });
});
