// Reads the few Dockerfile instructions the rules care about: FROM (with stage names), ARG and USER.
import { readFileSync } from "node:fs";
import { isPinnedImage } from "./checks.ts";

export interface Stage {
  image: string;
  name?: string;
  user?: string;
}

export function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  // Continuation lines join their instruction; comments and blank lines do not count.
  const instructions = text
    .replace(/\\\r?\n/g, " ")
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
  for (const instruction of instructions) {
    const [keyword = "", ...rest] = instruction.split(/\s+/);
    const words = rest.filter((word) => !word.startsWith("--"));
    if (keyword.toUpperCase() === "FROM") {
      const [image = "", as, name] = words;
      stages.push({ image, name: as?.toUpperCase() === "AS" ? name : undefined });
    }
    const current = stages.at(-1);
    if (keyword.toUpperCase() === "USER" && current) current.user = words[0];
  }
  return stages;
}

const ROOT_USERS = new Set(["root", "0"]);

/** Base images pinned to a Bun release (or another pinned tag), and a final stage that is not root. */
export function checkDockerfile(text: string, bunVersion: string): string[] {
  const problems: string[] = [];
  const stages = parseDockerfile(text);
  if (stages.length === 0) return ["has no FROM"];
  const earlierStages = new Set<string>();
  for (const stage of stages) {
    if (earlierStages.has(stage.image)) {
      if (stage.name) earlierStages.add(stage.name);
      continue;
    }
    if (!isPinnedImage(stage.image)) problems.push(`FROM ${stage.image} is not pinned to a tag or digest`);
    const bun = stage.image.match(/^oven\/bun:([^@]+)/)?.[1];
    if (bun && !(bun === bunVersion || bun.startsWith(`${bunVersion}-`))) {
      problems.push(`FROM ${stage.image} is not the project's Bun ${bunVersion} (package.json)`);
    }
    if (stage.name) earlierStages.add(stage.name);
  }
  const final = stages.at(-1) as Stage;
  const user = final.user?.split(":")[0];
  if (!user) problems.push("the final stage sets no USER, so it runs as root");
  else if (ROOT_USERS.has(user)) problems.push(`the final stage runs as ${final.user}`);
  return problems;
}

/** Every instruction of one stage (`FROM … AS name` up to the next FROM), continuation lines joined. */
export function stageInstructions(text: string, stage: string): string[] {
  const lines = text
    .replace(/\\\r?\n/g, " ")
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
  const start = lines.findIndex((line) => new RegExp(`^FROM\\s+\\S+\\s+AS\\s+${stage}$`, "i").test(line));
  if (start === -1) return [];
  const end = lines.findIndex((line, index) => index > start && /^FROM\s/i.test(line));
  return lines.slice(start + 1, end === -1 ? undefined : end);
}

interface Lockfile {
  workspaces: Record<string, { dependencies?: Record<string, string> }>;
  packages: Record<string, [string, string, { dependencies?: Record<string, string>; optionalDependencies?: Record<string, string> }?]>;
}

export function readLockfile(path: string): Lockfile {
  return Bun.JSONC.parse(readFileSync(path, "utf8")) as Lockfile;
}

/**
 * The packages (by name) a workspace installs through its production dependencies and those of the
 * workspaces it links, following bun.lock; `without` cuts those packages and what only they bring.
 */
export function installedPackages(lock: Lockfile, workspace: string, without: string[] = []): Set<string> {
  const seen = new Set<string>();
  const visit = (name: string, parent: string | undefined) => {
    const key = parent && lock.packages[`${parent}/${name}`] ? `${parent}/${name}` : name;
    if (without.includes(name) || seen.has(key)) return;
    seen.add(key);
    const meta = lock.packages[key]?.[2] ?? {};
    for (const dependency of Object.keys({ ...meta.dependencies, ...meta.optionalDependencies })) visit(dependency, key);
  };
  const visitWorkspace = (path: string) => {
    for (const [name, version] of Object.entries(lock.workspaces[path]?.dependencies ?? {})) {
      if (version.startsWith("workspace:")) {
        const linked = Object.entries(lock.workspaces).find(([, entry]) => (entry as { name?: string }).name === name)?.[0];
        if (linked !== undefined) visitWorkspace(linked);
      } else visit(name, undefined);
    }
  };
  visitWorkspace(workspace);
  // Keys nest a package under its parent when versions differ ("parent/name", "parent/@scope/name").
  const nameOf = (key: string) => {
    const parts = key.split("/");
    const previous = parts.at(-2);
    return previous?.startsWith("@") ? `${previous}/${parts.at(-1)}` : (parts.at(-1) as string);
  };
  return new Set([...seen].map(nameOf));
}
