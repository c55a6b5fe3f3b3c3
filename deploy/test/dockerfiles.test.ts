import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { checkDockerfile, installedPackages, parseDockerfile, readLockfile, stageInstructions } from "./lib/dockerfile.ts";
import { repoRoot } from "./lib/manifests.ts";

const bunVersion: string = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")).devDependencies.bun;
const SERVICES = ["producer-http", "producer-grpc", "consumer", "web", "load"];
/** Services that never import @marimba/shared/storage, so their images drop its drivers. */
const WITHOUT_STORAGE = ["producer-http", "producer-grpc"];
const STORAGE_DRIVERS = ["mongodb", "ioredis"];

/** Every workspace folder the root package.json lists (`packages/*` expanded). */
function workspaceFolders(): string[] {
  const patterns: string[] = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")).workspaces;
  return patterns.flatMap((pattern) =>
    pattern.endsWith("/*")
      ? [...new Bun.Glob(`${pattern}/package.json`).scanSync(repoRoot)].map((path) => path.replace(/\/package\.json$/, ""))
      : [pattern],
  );
}

/** The `.bun` store folder patterns an install-stage RUN removes, as package names. */
function removedPackages(run: string): Set<string> {
  const removed = new Set<string>();
  for (const match of run.matchAll(/(?:node_modules\/\.bun\/)?((?:@[\w.-]+\+)?[\w.-]+)@\*/g))
    removed.add((match[1] as string).replace("+", "/"));
  return removed;
}

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

  for (const service of SERVICES) {
    test(`${service}: copies the manifests and lockfile before installing, the sources only after`, () => {
      const text = readFileSync(join(repoRoot, service, "Dockerfile"), "utf8");
      for (const stage of service === "web" ? ["build", "install"] : ["install"]) {
        const instructions = stageInstructions(text, stage);
        const install = instructions.findIndex((line) => line.startsWith("RUN bun install"));
        expect(install).toBeGreaterThan(0);
        const before = instructions.slice(0, install).filter((line) => line.startsWith("COPY"));
        expect(before.filter((line) => !/^COPY (\S*package\.json|package\.json bun\.lock bunfig\.toml|patches) /.test(line))).toEqual([]);
        // A frozen install needs every workspace's manifest, or the lockfile no longer matches.
        for (const folder of workspaceFolders()) expect(before).toContain(`COPY ${folder}/package.json ${folder}/`);
        expect(instructions.slice(install).some((line) => line === `COPY ${service} ${service}`)).toBe(true);
      }
    });
  }

  test("the producers' images drop exactly the storage drivers and what only they bring, per bun.lock", () => {
    const lock = readLockfile(join(repoRoot, "bun.lock"));
    for (const service of WITHOUT_STORAGE) {
      const all = installedPackages(lock, service);
      const kept = installedPackages(lock, service, STORAGE_DRIVERS);
      const storageOnly = [...all].filter((name) => !kept.has(name) && !name.startsWith("@types/")).sort();
      expect(storageOnly).toContain("mongodb");
      const run = stageInstructions(readFileSync(join(repoRoot, service, "Dockerfile"), "utf8"), "install").find((line) =>
        line.startsWith("RUN bun install"),
      );
      const removed = [...removedPackages(run ?? "")].filter((name) => !["typescript", "bun-types", "@types/*"].includes(name));
      expect(removed.filter((name) => !name.startsWith("@types/")).sort()).toEqual(storageOnly);
      // Nothing the service does need is removed with them.
      expect([...kept].filter((name) => removedPackages(run ?? "").has(name))).toEqual([]);
    }
  });

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
