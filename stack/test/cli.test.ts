import { describe, expect, test } from "bun:test";
import { summarize } from "../src/summary.ts";

describe("the test summary CI reads", () => {
  test("bun test's closing lines become counts", () => {
    expect(summarize("…\n 41 pass\n 2 fail\n 97 expect() calls\nRan 43 tests across 9 files.\n")).toEqual({ passed: 41, failed: 2 });
  });

  test("a run that printed no summary counts nothing, so it cannot pass by accident", () => {
    expect(summarize("error: module not found")).toEqual({ passed: 0, failed: 0 });
  });
});
