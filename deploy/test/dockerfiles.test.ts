import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { checkDockerfile, parseDockerfile } from "./lib/dockerfile.ts";
import { repoRoot } from "./lib/manifests.ts";

const bunVersion: string = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")).devDependencies.bun;
const SERVICES = ["producer-http", "producer-grpc", "consumer", "web", "load"];

describe("Dockerfiles", () => {
  for (const service of SERVICES) {
    const path = join(repoRoot, service, "Dockerfile");
    test(`${service}: multi-stage, pinned to the project's Bun, production dependencies only, not root`, () => {
      expect(existsSync(path)).toBe(true);
      const text = readFileSync(path, "utf8");
      expect(checkDockerfile(text, bunVersion)).toEqual([]);
      const stages = parseDockerfile(text);
      expect(stages.length).toBeGreaterThanOrEqual(2);
      expect(stages.at(-1)?.image).toMatch(/-(slim|distroless)$/);
      expect(text).toMatch(new RegExp(`bun install --frozen-lockfile --production --filter ./${service}\\b`));
    });
  }

  test("web builds its page in a stage of its own and ships only the result", () => {
    const text = readFileSync(join(repoRoot, "web", "Dockerfile"), "utf8");
    expect(text).toContain("vite build");
    expect(text).toMatch(/COPY --from=build \/app\/web\/dist web\/dist/);
  });

  test(".dockerignore keeps node_modules and local state out but the lockfile in", () => {
    const ignored = readFileSync(join(repoRoot, ".dockerignore"), "utf8")
      .split("\n")
      .filter((line) => !line.startsWith("#"));
    expect(ignored).toContain("**/node_modules");
    expect(ignored).toContain(".git");
    expect(ignored.some((line) => line.includes("bun.lock"))).toBe(false);
  });
});
