import { describe, expect, test } from "bun:test";
import { maxYear } from "@marimba/shared";
import { fromTimestamp, toTimestamp } from "../src/contract.ts";
import { votesFromMessages } from "../src/server/votes.ts";

const wire = { name: " Alux Nahual ", album: "Hijos del Sol", year: "1980", rank: "1" };
const now = new Date("2026-03-01T12:00:00.123Z");

describe("votes received over gRPC", () => {
  test("are validated and trimmed by the HTTP route's rules, and stamped with route grpc", () => {
    const parsed = votesFromMessages([wire], false, now);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.value[0]).toMatchObject({ name: "Alux Nahual", album: "Hijos del Sol", route: "grpc", acceptedAt: now.toISOString() });
  });

  test("keep the id and acceptance time the edge gave them", () => {
    const id = "01a22117-7ae1-71a1-89ec-1faf64b06974";
    const parsed = votesFromMessages([{ ...wire, id, acceptedAt: toTimestamp("2026-01-02T03:04:05.678Z") }], false, now);
    expect(parsed.ok && parsed.value[0]).toMatchObject({ id, acceptedAt: "2026-01-02T03:04:05.678Z" });
  });

  test("get a fresh UUID v7 when the caller left the id empty", () => {
    const parsed = votesFromMessages([{ ...wire, id: "" }], false, now);
    expect(parsed.ok && parsed.value[0]?.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  test("a field left out of the message is reported as required, by the shared message", () => {
    const parsed = votesFromMessages([{ album: "A", year: "1980", rank: "1" }], false, now);
    expect(parsed).toEqual({ ok: false, problems: [{ field: "name", message: "is required" }] });
  });

  test("a bad id or timestamp is named as a field problem", () => {
    const parsed = votesFromMessages([{ ...wire, id: "not-a-uuid", acceptedAt: { seconds: "1", nanos: -5 } }], false, now);
    expect(parsed).toEqual({
      ok: false,
      problems: [
        {
          field: "id",
          message: "must be a UUID v7 (or v5 for a vote sent with an Idempotency-Key), or empty for the server to assign one",
        },
        { field: "acceptedAt", message: "must be a valid timestamp" },
      ],
    });
  });

  test("in a stream, problems name the vote's index as the HTTP bulk does", () => {
    const parsed = votesFromMessages([wire, { ...wire, year: "19x0" }, { ...wire, id: "x" }], true, now);
    expect(parsed).toEqual({
      ok: false,
      problems: [
        { field: "[1].year", message: `must be a year from 1900 to ${maxYear()}, e.g. "1980"` },
        {
          field: "[2].id",
          message: "must be a UUID v7 (or v5 for a vote sent with an Idempotency-Key), or empty for the server to assign one",
        },
      ],
    });
  });

  test("an empty stream is refused with the HTTP route's message", () => {
    expect(votesFromMessages([], true, now)).toEqual({
      ok: false,
      problems: [{ field: "(body)", message: "must hold at least one vote" }],
    });
  });
});

describe("timestamps", () => {
  test("an ISO instant survives the trip through a protobuf Timestamp to the millisecond", () => {
    for (const iso of ["2026-11-28T07:38:36.641Z", "1969-12-31T23:59:59.999Z", "1970-01-01T00:00:00.000Z"]) {
      expect(fromTimestamp(toTimestamp(iso) as { seconds: string; nanos: number })).toBe(iso);
    }
  });

  test("nanoseconds out of range are not a valid instant", () => {
    expect(fromTimestamp({ seconds: "0", nanos: 1_000_000_000 })).toBeNull();
  });
});
