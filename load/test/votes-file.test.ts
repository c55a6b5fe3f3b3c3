import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseVotesFile, readVotesFile, VotesFileError } from "../src/votes-file.ts";

const dir = mkdtempSync(join(tmpdir(), "marimba-votes-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const failure = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(VotesFileError);
    return (error as Error).message;
  }
  throw new Error("expected a VotesFileError");
};

describe("votes files", () => {
  test("the old clients' file in data/ is read whole", () => {
    const votes = readVotesFile(join(import.meta.dir, "..", "..", "data", "votes.json"));
    expect(votes).toHaveLength(1000);
    expect(votes[0]).toEqual({ name: "Alux Nahual", album: "Alux Nahual", year: "1980", rank: "3" });
  });

  test("integers for year and rank are taken as the routes take them", () => {
    expect(parseVotesFile('[{"name":"La Tona","album":"El Ojo","year":1997,"rank":2}]', "v.json")).toEqual([
      { name: "La Tona", album: "El Ojo", year: "1997", rank: "2" },
    ]);
  });

  test("a file that is not JSON names the file and the parser's reason", () => {
    expect(failure(() => parseVotesFile("[{]", "broken.json"))).toMatch(/^broken\.json is not valid JSON \(.+\)$/);
  });

  test("a JSON object instead of an array is refused with the expected shape", () => {
    expect(failure(() => parseVotesFile('{"votes":[]}', "o.json"))).toBe(
      'o.json must hold a JSON array of votes like [{"name","album","year","rank"}], found an object',
    );
  });

  test("an empty array is refused", () => {
    expect(failure(() => parseVotesFile("[]", "e.json"))).toBe("e.json holds no votes: the array is empty");
  });

  test("bad votes are listed by index and field, at most five, with a count of the rest", () => {
    const votes = [
      { name: "Alux Nahual", album: "Leyenda", year: "1990", rank: "1" },
      { name: "", album: "Leyenda", year: "90", rank: "1" },
      { name: "Alux Nahual", album: "Leyenda", year: "1990", rank: "1", extra: true },
      "not a vote",
      ...Array.from({ length: 5 }, () => ({ name: "X" })),
    ];
    const message = failure(() => parseVotesFile(JSON.stringify(votes), "bad.json"));
    expect(message).toStartWith("bad.json: 8 of 9 votes do not match the vote schema:");
    expect(message).toContain("vote [1]: name must not be empty; year must be a year from 1900 to");
    expect(message).toContain("vote [2]: extra unknown field");
    expect(message).toContain("vote [3]: must be a JSON object");
    expect(message).toContain("vote [4]: album is required");
    expect(message).toContain("… and 3 more");
    expect(message).not.toContain("vote [0]");
  });

  test("a missing file and a folder are named as such", () => {
    expect(failure(() => readVotesFile(join(dir, "nope.json")))).toBe(`cannot read the votes file ${join(dir, "nope.json")}: no such file`);
    expect(failure(() => readVotesFile(dir))).toBe(`cannot read the votes file ${dir}: it is a folder`);
  });

  test("a file on disk with a bad vote is refused like the same text", () => {
    const file = join(dir, "one-bad.json");
    writeFileSync(file, '[{"name":"Gaby Moreno","album":"Postales","year":"2012","rank":"0123456789abcdefXYZ"}]');
    expect(failure(() => readVotesFile(file))).toContain("vote [0]: rank must be a whole number from 1 to 999");
  });
});
