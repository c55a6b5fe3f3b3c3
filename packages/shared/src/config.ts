import { z } from "zod";

/** Local-stack defaults, so a service started by hand on a laptop finds its dependencies. */
export const LOCAL_DEFAULTS = {
  KAFKA_BROKERS: "127.0.0.1:19092",
  KAFKA_TOPIC: "votes",
  MONGO_URL: "mongodb://127.0.0.1:27018",
  MONGO_DB: "marimba",
  REDIS_URL: "redis://127.0.0.1:6380",
} as const;

/** Building blocks for a service's environment schema. */
export const env = {
  port: (fallback: number) => z.coerce.number().int().min(1).max(65535).default(fallback),
  positiveInt: (fallback: number) => z.coerce.number().int().positive().default(fallback),
  text: (fallback: string) => z.string().trim().min(1).default(fallback),
  url: (fallback: string) => z.url().default(fallback),
  brokers: (fallback: string) =>
    z
      .string()
      .default(fallback)
      .transform((value) => value.split(",").map((broker) => broker.trim()))
      .pipe(z.array(z.string().regex(/^[\w.-]+:\d{1,5}$/, "must be host:port[,host:port…]")).min(1)),
};

export class ConfigError extends Error {}

/**
 * Reads and validates the environment once at start-up into a typed object.
 * An empty variable counts as unset; a bad one throws a ConfigError naming it.
 */
export function loadConfig<Shape extends z.ZodRawShape>(
  shape: Shape,
  source: Record<string, string | undefined> = process.env,
): z.output<z.ZodObject<Shape>> {
  const present = Object.fromEntries(Object.keys(shape).map((name) => [name, source[name] || undefined]));
  const result = z.object(shape).safeParse(present);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const name = String(issue.path[0]);
    return `${name}=${JSON.stringify(source[name] ?? "")}: ${issue.message}`;
  });
  throw new ConfigError(`invalid configuration: ${problems.join("; ")}`);
}
