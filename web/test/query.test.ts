import { describe, expect, test } from "bun:test";
import { parseLimit } from "../src/server/query.ts";

const limit = (query: string) => parseLimit(new URLSearchParams(query));

describe("the limit of GET /api/votes", () => {
  test("defaults to the newest 20", () => {
    expect(limit("")).toEqual({ ok: true, value: 20 });
  });

  test("accepts every whole number from 1 to 100", () => {
    expect(limit("limit=1")).toEqual({ ok: true, value: 1 });
    expect(limit("limit=100")).toEqual({ ok: true, value: 100 });
    expect(limit("limit=007")).toEqual({ ok: true, value: 7 });
  });

  for (const bad of ["0", "101", "abc", "-1", "1.5", "1e2", "", " ", "99999999999"]) {
    test(`refuses limit=${JSON.stringify(bad)} naming the field`, () => {
      const parsed = limit(`limit=${encodeURIComponent(bad)}`);
      expect(parsed.ok).toBe(false);
      if (!parsed.ok) expect(parsed.problems).toEqual([{ field: "limit", message: expect.stringContaining("100") }]);
    });
  }

  test("refuses a limit given twice", () => {
    expect(limit("limit=5&limit=6")).toEqual({ ok: false, problems: [{ field: "limit", message: "must be given once" }] });
  });
});
