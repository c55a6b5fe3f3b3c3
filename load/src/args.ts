/**
 * Command-line flags for the load tools: `--flag value` or `--flag=value`, each checked
 * against a declared spec so a bad value is refused with a message naming the flag.
 */
import { parseArgs } from "node:util";

export class ArgumentError extends Error {}

interface FlagBase {
  /** One line for `--help`. */
  help: string;
}

export type FlagSpec =
  | (FlagBase & { type: "integer"; min: number; max: number; default?: number })
  | (FlagBase & { type: "number"; min: number; max: number; default?: number })
  | (FlagBase & { type: "string"; default?: string })
  | (FlagBase & { type: "url"; default?: string })
  | (FlagBase & { type: "choice"; choices: readonly string[]; default?: string })
  | (FlagBase & { type: "boolean" });

export type FlagSpecs = Record<string, FlagSpec>;

type ValueOf<S extends FlagSpec> = S extends { type: "integer" | "number" }
  ? number
  : S extends { type: "boolean" }
    ? boolean
    : S extends { type: "choice"; choices: readonly (infer C)[] }
      ? C
      : string;

/** Flags with a default (and booleans) are always present; the others may be missing. */
export type ParsedFlags<Specs extends FlagSpecs> = {
  [K in keyof Specs as Specs[K] extends { default: unknown } | { type: "boolean" } ? K : never]: ValueOf<Specs[K]>;
} & {
  [K in keyof Specs as Specs[K] extends { default: unknown } | { type: "boolean" } ? never : K]?: ValueOf<Specs[K]>;
} & {
  /** The flags the user actually typed, to tell a default from a choice. */
  given: ReadonlySet<string>;
  help: boolean;
};

function convert(flag: string, spec: FlagSpec, raw: string): string | number | boolean {
  switch (spec.type) {
    case "integer":
    case "number": {
      const value = Number(raw);
      const kind = spec.type === "integer" ? "an integer" : "a number";
      if (raw.trim() === "" || !Number.isFinite(value) || (spec.type === "integer" && !Number.isInteger(value))) {
        throw new ArgumentError(`--${flag} must be ${kind}, got '${raw}'`);
      }
      if (value < spec.min || value > spec.max) {
        throw new ArgumentError(`--${flag} must be ${kind} from ${spec.min} to ${spec.max}, got ${raw}`);
      }
      return value;
    }
    case "choice":
      if (!spec.choices.includes(raw)) throw new ArgumentError(`--${flag} must be one of ${spec.choices.join(", ")}; got '${raw}'`);
      return raw;
    case "url": {
      let url: URL;
      try {
        url = new URL(raw);
      } catch {
        throw new ArgumentError(`--${flag} must be an http:// URL such as http://127.0.0.1:8090, got '${raw}'`);
      }
      if (url.protocol !== "http:") throw new ArgumentError(`--${flag} must be an http:// URL, got '${raw}'`);
      return raw.replace(/\/+$/, "");
    }
    case "string":
      if (raw.trim() === "") throw new ArgumentError(`--${flag} must not be empty`);
      return raw;
    case "boolean":
      if (raw === "true") return true;
      if (raw === "false") return false;
      throw new ArgumentError(`--${flag} is a switch: give it alone, or as --${flag}=true / --${flag}=false; got '${raw}'`);
  }
}

/**
 * Parses `argv` (without the program name) against `specs`; throws an ArgumentError naming the flag.
 * `node:util` splits the arguments; each value is then checked against its flag's spec.
 */
export function parseFlags<Specs extends FlagSpecs>(specs: Specs, argv: readonly string[]): ParsedFlags<Specs> {
  const options = Object.fromEntries(
    Object.entries(specs).map(([flag, spec]) => [flag, { type: spec.type === "boolean" ? "boolean" : "string" } as const]),
  );
  const { tokens } = parseArgs({
    args: [...argv],
    options: { ...options, help: { type: "boolean", short: "h" } },
    strict: false,
    tokens: true,
  });
  const values: Record<string, unknown> = {};
  const given = new Set<string>();
  let help = false;
  for (const token of tokens) {
    if (token.kind !== "option") {
      const arg = token.kind === "positional" ? token.value : "--";
      throw new ArgumentError(`unexpected argument '${arg}': every option is a --flag (see --help)`);
    }
    if (token.name === "help") {
      help = true;
      continue;
    }
    const flag = token.name;
    const spec = specs[flag];
    if (!spec || !token.rawName.startsWith("--")) {
      const known = Object.keys(specs)
        .map((name) => `--${name}`)
        .join(", ");
      throw new ArgumentError(`unknown flag ${token.rawName}; known flags: ${known}`);
    }
    if (given.has(flag)) throw new ArgumentError(`--${flag} is given twice`);
    given.add(flag);
    const raw = token.value ?? (spec.type === "boolean" ? "true" : undefined);
    // `--file --route` is a forgotten value, not a file named "--route".
    if (raw === undefined || (!token.inlineValue && raw.startsWith("--"))) throw new ArgumentError(`--${flag} needs a value`);
    values[flag] = convert(flag, spec, raw);
  }
  for (const [flag, spec] of Object.entries(specs)) {
    if (flag in values) continue;
    if (spec.type === "boolean") values[flag] = false;
    else if (spec.default !== undefined) values[flag] = spec.default;
  }
  return { ...values, given, help } as unknown as ParsedFlags<Specs>;
}

/** `--help` text: one line per flag with its default. */
export function usage(command: string, specs: FlagSpecs): string {
  const lines = [`usage: ${command} [flags]`, ""];
  for (const [flag, spec] of Object.entries(specs)) {
    let name = `--${flag}`;
    if (spec.type === "choice") name += ` ${spec.choices.join("|")}`;
    else if (spec.type !== "boolean") name += ` <${spec.type === "url" ? "url" : spec.type === "string" ? "value" : "n"}>`;
    const fallback = spec.type !== "boolean" && spec.default !== undefined ? ` (default ${spec.default})` : "";
    lines.push(`  ${name.padEnd(30)} ${spec.help}${fallback}`);
  }
  return lines.join("\n");
}

/** Runs a tool's `main` on the process's arguments and exits with its code: 2 with the message for a bad flag, 1 for any other error. */
export function runTool(main: (argv: string[]) => Promise<number>): void {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error instanceof ArgumentError ? error.message : error);
      process.exit(error instanceof ArgumentError ? 2 : 1);
    },
  );
}
