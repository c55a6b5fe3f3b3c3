import { describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import pkg from "../package.json" with { type: "json" };
import { LOADER_OPTIONS } from "../src/contract.ts";

const PACKAGE_DIR = join(import.meta.dir, "..");
const GENERATED_DIR = join(PACKAGE_DIR, "src", "generated");
const script = pkg.scripts.generate.split(/\s+/);

function files(dir: string): Map<string, string> {
  const found = new Map<string, string>();
  const walk = (at: string) => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const path = join(at, entry.name);
      if (entry.isDirectory()) walk(path);
      else found.set(relative(dir, path), readFileSync(path, "utf8"));
    }
  };
  walk(dir);
  return found;
}

describe("the TypeScript types generated from proto/", () => {
  test("are what the generator makes from the proto today (run `bun run generate` in producer-grpc after editing it)", () => {
    const out = mkdtempSync(join(tmpdir(), "marimba-generated-"));
    try {
      const args = script.slice(1).map((arg) => (arg.startsWith("--outDir=") ? `--outDir=${out}` : arg));
      const bin = join(PACKAGE_DIR, "node_modules", ".bin", script[0] as string);
      const run = Bun.spawnSync([process.execPath, bin, ...args], { cwd: PACKAGE_DIR, stderr: "pipe" });
      expect(run.exitCode, run.stderr.toString()).toBe(0);
      const fresh = files(out);
      const committed = files(GENERATED_DIR);
      expect([...committed.keys()].sort()).toEqual([...fresh.keys()].sort());
      for (const [path, text] of fresh) expect(committed.get(path), `src/generated/${path} is stale`).toBe(text);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  test("match the options the contract is loaded with at run time", () => {
    const flag = (name: string) => script.includes(`--${name}`) || script.some((arg) => arg.startsWith(`--${name}=`));
    expect(script).toContain("--longs=String");
    expect(LOADER_OPTIONS.longs).toBe(String);
    expect(script).toContain("--enums=String");
    expect(LOADER_OPTIONS.enums).toBe(String);
    expect(flag("oneofs")).toBe(LOADER_OPTIONS.oneofs === true);
    expect(flag("defaults")).toBe(LOADER_OPTIONS.defaults === true);
    expect(flag("keepCase")).toBe(LOADER_OPTIONS.keepCase === true);
  });
});
