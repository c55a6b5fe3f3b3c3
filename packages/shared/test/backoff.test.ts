import { expect, test } from "bun:test";
import { backoffMs } from "../src/backoff.ts";

test("the wait doubles from the first one and stops at the most", () => {
  expect([0, 1, 2, 3, 4, 10].map((attempt) => backoffMs(attempt, 250, 1000))).toEqual([250, 500, 1000, 1000, 1000, 1000]);
});
