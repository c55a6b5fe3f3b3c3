import { describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { ROOT } from "../src/paths.ts";

function run(tool: string, args: string[]) {
  const result = spawnSync(join(ROOT, "node_modules", ".bin", tool), args, { cwd: ROOT, encoding: "utf8" });
  return { code: result.status, output: `${result.stdout}${result.stderr}` };
}

describe("static checks", () => {
  test("TypeScript type-checks with no errors (tsc --noEmit, strict)", () => {
    const { code, output } = run("tsc", ["--noEmit", "-p", "."]);
    expect(output).toBe("");
    expect(code).toBe(0);
  }, 120_000);

  test("Biome finds no lint or formatting problems", () => {
    const { code, output } = run("biome", ["check", "--reporter=summary", "."]);
    if (code !== 0) console.error(output);
    expect(code).toBe(0);
  }, 60_000);
});
