#!/usr/bin/env node
// Entry point of every npm script: makes sure Bun and the workspace dependencies are
// installed (a fresh clone has only Node and npm), then hands the command to the
// local-stack CLI running under Bun.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const bunVersion = pkg.devDependencies.bun;
const cacheDir = process.env.MARIMBA_CACHE ?? join(homedir(), ".cache", "marimba");

function run(cmd, args, opts = {}) {
  const result = spawnSync(cmd, args, { stdio: "inherit", cwd: root, ...opts });
  if (result.status !== 0) {
    console.error(`marimba: '${cmd} ${args.join(" ")}' failed (exit ${result.status ?? result.signal})`);
    process.exit(result.status ?? 1);
  }
}

function bunBinary() {
  const local = join(root, "node_modules", ".bin", "bun");
  if (existsSync(local)) return local;
  // Bootstrap Bun from the npm registry into the cache; it then installs the workspace.
  const prefix = join(cacheDir, `bun-${bunVersion}`);
  const cached = join(prefix, "node_modules", ".bin", "bun");
  if (!existsSync(cached)) {
    console.log(`marimba: installing Bun ${bunVersion} from npm into ${prefix}`);
    run("npm", ["install", "--prefix", prefix, "--no-audit", "--no-fund", "--loglevel=error", `bun@${bunVersion}`]);
  }
  return cached;
}

function installIfNeeded(bun) {
  const stamp = join(root, "node_modules", ".marimba-installed");
  const lock = join(root, "bun.lock");
  const fresh = existsSync(stamp) && (!existsSync(lock) || statSync(stamp).mtimeMs >= statSync(lock).mtimeMs);
  if (fresh) return;
  console.log("marimba: installing dependencies (bun install)");
  run(bun, ["install", ...(existsSync(lock) && process.env.CI ? ["--frozen-lockfile"] : [])]);
  run("touch", [stamp]);
}

const bun = bunBinary();
installIfNeeded(bun);
const localBun = join(root, "node_modules", ".bin", "bun");
const child = spawn(existsSync(localBun) ? localBun : bun, ["stack/src/cli.ts", ...process.argv.slice(2)], {
  stdio: "inherit",
  cwd: root,
});
// Ctrl-C reaches the CLI directly (same process group); this wrapper only waits for it.
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
