// Reads the few Dockerfile instructions the rules care about: FROM (with stage names), ARG and USER.
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
