import { describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, normalize } from "node:path";
import { ROOT } from "@marimba/stack";

/** Runs a checker in the background; the three checks below run side by side. */
function check(command: string[], cwd = ROOT): Promise<{ code: number; output: string }> {
  const child = Bun.spawn(command, { cwd, stdout: "pipe", stderr: "pipe" });
  return Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]).then(
    ([stdout, stderr, code]) => ({ code, output: `${stdout}${stderr}` }),
  );
}

const bin = (tool: string) => join(ROOT, "node_modules", ".bin", tool);
const web = join(ROOT, "web");
const typeCheck = check([bin("tsc"), "--noEmit", "-p", "."]);
// The root tsconfig leaves web/ out: the Vue files need vue-tsc and the page's own settings.
const vueTypeCheck = check(
  [process.execPath, join(web, "node_modules", "vue-tsc", "bin", "vue-tsc.js"), "--noEmit", "-p", "tsconfig.json"],
  web,
);
const lint = check([bin("biome"), "check", "--reporter=summary", "."]);

describe("static checks", () => {
  test("TypeScript type-checks with no errors (tsc --noEmit, strict)", async () => {
    const { code, output } = await typeCheck;
    expect(output).toBe("");
    expect(code).toBe(0);
  }, 180_000);

  test("the dashboard's TypeScript and Vue files type-check (vue-tsc)", async () => {
    const { code, output } = await vueTypeCheck;
    expect(output).toBe("");
    expect(code).toBe(0);
  }, 180_000);

  test("Biome finds no lint or formatting problems", async () => {
    const { code, output } = await lint;
    if (code !== 0) console.error(output);
    expect(code).toBe(0);
  }, 180_000);
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
