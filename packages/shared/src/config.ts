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
  nonNegativeInt: (fallback: number) => z.coerce.number().int().min(0).default(fallback),
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
 * True in a pod (Kubernetes sets KUBERNETES_SERVICE_HOST in every container), on Cloud Run (K_SERVICE)
 * or wherever MARIMBA_ENV=production says so: there, a loopback default names the container itself.
 */
export function runsInContainer(source: Record<string, string | undefined> = process.env): boolean {
  return Boolean(source.KUBERNETES_SERVICE_HOST || source.K_SERVICE || source.MARIMBA_ENV === "production");
}

const LOOPBACK_HOST = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|localhost|\[?::1\]?)$/i;

/** Whether a value (a URL, `host:port`, a bare host, or a list of them) points at this machine. */
export function pointsAtLoopback(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(pointsAtLoopback);
  if (typeof value !== "string") return false;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
    try {
      return LOOPBACK_HOST.test(new URL(value).hostname);
    } catch {
      return false;
    }
  }
  return LOOPBACK_HOST.test(value.replace(/:\d{1,5}$/, ""));
}

/** The variables of a schema whose default is a loopback address (the local stack's), with that default. */
export function loopbackDefaults(shape: z.ZodRawShape): Record<string, unknown> {
  const found: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(shape)) {
    const fallback = z.safeParse(schema, undefined);
    if (fallback.success && pointsAtLoopback(fallback.data)) found[name] = fallback.data;
  }
  return found;
}

/**
 * Reads and validates the environment once at start-up into a typed object.
 * An empty variable counts as unset; a bad one throws a ConfigError naming it. In a container
 * (runsInContainer) an address left unset throws too, instead of falling back to loopback.
 */
export function loadConfig<Shape extends z.ZodRawShape>(
  shape: Shape,
  source: Record<string, string | undefined> = process.env,
): z.output<z.ZodObject<Shape>> {
  const present = Object.fromEntries(Object.keys(shape).map((name) => [name, source[name] || undefined]));
  if (runsInContainer(source)) {
    const unset = Object.entries(loopbackDefaults(shape)).filter(([name]) => present[name] === undefined);
    if (unset.length > 0) {
      const names = unset.map(([name, fallback]) => `${name} (the local default ${JSON.stringify(fallback)} is this container itself)`);
      throw new ConfigError(`missing configuration: running in a container, so set ${names.join(", ")}`);
    }
  }
  const result = z.object(shape).safeParse(present);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const name = String(issue.path[0]);
    return `${name}=${JSON.stringify(source[name] ?? "")}: ${issue.message}`;
  });
  throw new ConfigError(`invalid configuration: ${problems.join("; ")}`);
}
