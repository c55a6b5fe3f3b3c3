import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

/** The web folder, and what the built page is made from. */
export const WEB_DIR = join(import.meta.dir, "..");
export const DIST_DIR = join(WEB_DIR, "dist");
const SOURCES = ["index.html", "vite.config.ts", "package.json", "src/ui", "src/contract.ts"];

function newestChange(path: string): number {
  if (!existsSync(path)) return 0;
  const info = statSync(path);
  if (!info.isDirectory()) return info.mtimeMs;
  return Math.max(info.mtimeMs, ...readdirSync(path).map((name) => newestChange(join(path, name))));
}

/** True when `web/dist` is missing or older than any source of the page. */
export function pageIsStale(): boolean {
  const built = join(DIST_DIR, "index.html");
  if (!existsSync(built)) return true;
  const builtAt = statSync(built).mtimeMs;
  return SOURCES.some((source) => newestChange(join(WEB_DIR, source)) > builtAt);
}

/** Builds the page with Vite under Bun (`bunx --bun vite build`) when it is stale; throws with Vite's output otherwise. */
export function buildPageIfStale(): void {
  if (!pageIsStale()) return;
  console.log("  building the dashboard page (vite build)…");
  const result = spawnSync(process.execPath, ["x", "--bun", "vite", "build", "--logLevel", "warn"], { cwd: WEB_DIR, encoding: "utf8" });
  if (result.status !== 0) {
    throw new Error(`building the dashboard page failed (exit ${result.status ?? result.signal}):\n${result.stdout}${result.stderr}`);
  }
}
