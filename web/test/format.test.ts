import { describe, expect, test } from "bun:test";
import { ago, albumLabel, arrivals, formatRate, leadOf, percent, ranking, shorten } from "../src/ui/format.ts";

describe("what the page shows", () => {
  test("a ranking is the largest counts first, ties alphabetical, cut to the limit", () => {
    expect(ranking({ b: 5, a: 5, c: 9, d: 1, e: 0 }, 3)).toEqual([
      { label: "c", count: 9 },
      { label: "a", count: 5 },
      { label: "b", count: 5 },
    ]);
  });

  test("new rows are the votes that were not in the previous list; nothing is new on the first", () => {
    expect(arrivals(null, [{ id: "a" }])).toEqual([]);
    expect(arrivals([{ id: "a" }, { id: "b" }], [{ id: "c" }, { id: "a" }, { id: "b" }])).toEqual(["c"]);
  });

  test("long chart labels are shortened with an ellipsis, counting characters not bytes", () => {
    expect(shorten("Alux Nahual", 20)).toBe("Alux Nahual");
    expect(shorten("Ñññññ Ñññññ", 6)).toBe("Ñññññ…");
  });

  test("rates, shares and ages read naturally", () => {
    expect(formatRate(0)).toBe("0.0");
    expect(formatRate(12.34)).toBe("12.3");
    expect(formatRate(2500.4)).toBe("2,500");
    expect(percent(1, 3)).toBe("33 %");
    expect(percent(0, 0)).toBe("0 %");
    const now = Date.parse("2026-01-01T12:00:00Z");
    expect(ago("2026-01-01T12:00:00Z", now)).toBe("just now");
    expect(ago("2026-01-01T11:59:48Z", now)).toBe("12 s ago");
    expect(ago("2026-01-01T11:57:00Z", now)).toBe("3 min ago");
  });
});

describe("labels for the rankings", () => {
  test("an album leads with the album, then the band", () => {
    expect(albumLabel("Malacates Trébol Shop — Niño de la calle (2002)")).toBe("Niño de la calle (2002) · Malacates Trébol Shop");
    expect(albumLabel("no separator")).toBe("no separator");
  });

  test("the leader and its margin over the second", () => {
    expect(
      leadOf(
        [
          { label: "A", count: 7 },
          { label: "B", count: 4 },
        ],
        11,
      ),
    ).toEqual({ leader: "A", margin: 3, share: "64 %" });
    expect(leadOf([], 0)).toBeNull();
  });
});
