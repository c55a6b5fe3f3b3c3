import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { PORT_OFFSET } from "./ports.ts";

/** The clone's root folder. */
export const ROOT = resolve(import.meta.dir, "../..");
/** Everything the local stack writes (data, logs, pid files); ignored by git. */
export const STATE_DIR = process.env.MARIMBA_STATE ?? join(ROOT, ".marimba", PORT_OFFSET ? `offset-${PORT_OFFSET}` : "default");
/** Downloaded and built artifacts, kept outside the clone so a second start is fast. */
export const CACHE_DIR = process.env.MARIMBA_CACHE ?? join(homedir(), ".cache", "marimba");

export const runDir = join(STATE_DIR, "run");
export const logDir = join(STATE_DIR, "logs");
export const dataDir = (name: string) => join(STATE_DIR, "data", name);
