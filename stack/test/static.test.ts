import { describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, normalize } from "node:path";
import { ROOT } from "@marimba/stack";

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

/** The workspace packages: every folder with a package.json of its own. */
function packageRoots(files: string[]): string[] {
  return files
    .filter((file) => file.endsWith("/package.json"))
    .map((file) => file.slice(0, -"/package.json".length))
    .sort((a, b) => b.length - a.length);
}

describe("package boundaries", () => {
  test("no module imports another package's files by a relative path or @marimba/<pkg>/src/…", () => {
    const listed = spawnSync("git", ["ls-files", "--cached", "--others", "--exclude-standard"], { cwd: ROOT, encoding: "utf8" });
    const files = listed.stdout.split("\n").filter((file) => file && existsSync(join(ROOT, file)));
    const roots = packageRoots(files);
    const packageOf = (file: string) => roots.find((root) => file.startsWith(`${root}/`)) ?? "";
    const crossings: string[] = [];
    for (const file of files.filter((f) => /\.(ts|vue|mjs)$/.test(f) && !f.includes("/generated/"))) {
      const source = readFileSync(join(ROOT, file), "utf8");
      for (const [, specifier = ""] of source.matchAll(/(?:from|import\()\s*["']([^"']+)["']/g)) {
        if (/^@marimba\/[^/]+\/src\//.test(specifier)) crossings.push(`${file}: ${specifier}`);
        if (specifier.startsWith(".") && packageOf(normalize(join(dirname(file), specifier))) !== packageOf(file)) {
          crossings.push(`${file}: ${specifier}`);
        }
      }
    }
    expect(crossings).toEqual([]);
  });
});
