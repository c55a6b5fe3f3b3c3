import type { Route } from "@marimba/shared";
import autocannon from "autocannon";
import type { Shot } from "./routes.ts";
import { type Latency, round, Samples, summarize } from "./stats.ts";

export interface FireOptions {
  shots: Shot[];
  /** Serialized request bodies, sent in rotation across all connections. */
  bodies: readonly Buffer[];
  /** Seconds to run; ignored by shots that carry an `amount`. */
  duration?: number;
  /** Seconds before a request without an answer counts as an error. */
  timeoutSeconds?: number;
  /** Called for every response, e.g. to collect the ids of accepted votes. */
  onResponse?: (route: Route, status: number, body: string) => void;
  /** Called about once a second while running. */
  onProgress?: (progress: Progress) => void;
  /** Stops every instance early (e.g. Ctrl-C); what was measured so far is still reported. */
  signal?: AbortSignal;
  random?: () => number;
}

export interface Progress {
  elapsedSeconds: number;
  /** The planned length in seconds, or null when the run is counted in votes. */
  plannedSeconds: number | null;
  sent: number;
  /** Requests planned in total, or null when the run lasts a duration. */
  plannedRequests: number | null;
  accepted: number;
}

/** What one route did during a run. Latency is of accepted (2xx) votes, in ms. */
export interface RouteResult {
  route: Route;
  url: string;
  connections: number;
  sent: number;
  accepted: number;
  rejected: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  seconds: number;
  votesPerSecond: number;
  latencyMs: Latency;
}

class RouteTally {
  sent = 0;
  accepted = 0;
  rejected = 0;
  errors = 0;
  timeouts = 0;
  readonly statusCodes: Record<string, number> = {};
  readonly latency = new Samples();
  firstSentAt = Number.NaN;
  lastAnsweredAt = Number.NaN;

  constructor(
    readonly route: Route,
    readonly url: string,
    public connections: number,
  ) {}

  result(): RouteResult {
    const seconds = this.sent === 0 ? 0 : Math.max(0.001, (this.lastAnsweredAt - this.firstSentAt) / 1000) || 0;
    const latency = summarize(this.latency.values());
    return {
      route: this.route,
      url: this.url,
      connections: this.connections,
      sent: this.sent,
      accepted: this.accepted,
      rejected: this.rejected,
      errors: this.errors,
      timeouts: this.timeouts,
      statusCodes: this.statusCodes,
      seconds: round(seconds),
      votesPerSecond: seconds > 0 ? round(this.accepted / seconds) : 0,
      latencyMs: {
        p50: round(latency.p50),
        p90: round(latency.p90),
        p99: round(latency.p99),
        max: round(latency.max),
        mean: round(latency.mean),
      },
    };
  }
}

interface RequestContext {
  route?: Route;
  sentAt?: number;
}

// autocannon keeps each connection's current context on its request iterator; reading it is the
// only way to tell which route a connection error or timeout belongs to (exact with one route per
// shot; with two, a timeout may already see the next request's route, as autocannon reconnects first).
type ClientInternals = NodeJS.EventEmitter & { requestIterator?: { context?: RequestContext } };

/** Runs one autocannon instance per shot, all at once, and tallies every response by route. */
export async function fireVotes(options: FireOptions): Promise<RouteResult[]> {
  if (options.bodies.length === 0) throw new Error("there are no votes to send");
  const random = options.random ?? Math.random;
  let nextBody = 0;
  const tallies: RouteTally[] = [];
  const started = performance.now();
  const instances: autocannon.Instance[] = [];
  const totalSent = () => tallies.reduce((sum, tally) => sum + tally.sent, 0);
  const totalAccepted = () => tallies.reduce((sum, tally) => sum + tally.accepted, 0);
  const plannedRequests = options.shots.every((shot) => shot.amount !== undefined)
    ? options.shots.reduce((sum, shot) => sum + (shot.amount ?? 0), 0)
    : null;

  // Shots that reach the same route at the same URL (slices of one load) share a tally.
  const shared = new Map<string, RouteTally>();
  const runs = options.shots.map((shot) => {
    const byRoute = new Map<Route, RouteTally>();
    for (const target of shot.routes) {
      const url = `${target.origin}${target.path}`;
      let tally = shared.get(`${target.route} ${url}`);
      if (tally) {
        tally.connections += shot.connections;
      } else {
        tally = new RouteTally(target.route, url, shot.connections);
        shared.set(`${target.route} ${url}`, tally);
        tallies.push(tally);
      }
      byRoute.set(target.route, tally);
    }
    const first = shot.routes[0];
    if (!first) throw new Error("a shot needs at least one route");
    const fallback = byRoute.get(first.route) as RouteTally;
    const tallyOf = (context: RequestContext | undefined) => (context?.route && byRoute.get(context.route)) || fallback;

    const setupRequest = (request: autocannon.Request, context: object): autocannon.Request => {
      const target = shot.routes.length === 1 ? first : (shot.routes[Math.floor(random() * shot.routes.length)] ?? first);
      const body = options.bodies[nextBody++ % options.bodies.length] as Buffer;
      const ctx = context as RequestContext;
      ctx.route = target.route;
      ctx.sentAt = performance.now();
      const tally = byRoute.get(target.route) as RouteTally;
      tally.sent++;
      if (Number.isNaN(tally.firstSentAt)) tally.firstSentAt = ctx.sentAt;
      return { ...request, method: "POST", path: target.path, body };
    };
    const onResponse = (status: number, body: string, context: object) => {
      const ctx = context as RequestContext;
      const now = performance.now();
      const tally = tallyOf(ctx);
      tally.lastAnsweredAt = now;
      tally.statusCodes[status] = (tally.statusCodes[status] ?? 0) + 1;
      if (status >= 200 && status < 300) {
        tally.accepted++;
        tally.latency.push(now - (ctx.sentAt ?? now));
      } else {
        tally.rejected++;
      }
      if (ctx.route) options.onResponse?.(ctx.route, status, body);
    };
    const setupClient = (instanceClient: autocannon.Client) => {
      // "timeout" and "connError" are emitted by every client but missing from the type definitions.
      const client = instanceClient as unknown as ClientInternals;
      const failed = (timeout: boolean) => {
        const tally = tallyOf(client.requestIterator?.context);
        tally.errors++;
        if (timeout) tally.timeouts++;
        tally.lastAnsweredAt = performance.now();
      };
      client.on("timeout", () => failed(true));
      client.on("connError", () => failed(false));
    };

    return new Promise<void>((resolve, reject) => {
      const start = () => {
        if (options.signal?.aborted) return resolve();
        instances.push(launch());
      };
      const launch = () =>
        autocannon(
          {
            url: shot.origin,
            connections: shot.connections,
            ...(shot.amount !== undefined ? { amount: shot.amount } : { duration: options.duration ?? 10 }),
            ...(shot.rate !== undefined ? { overallRate: shot.rate } : {}),
            timeout: options.timeoutSeconds ?? 10,
            headers: { "content-type": "application/json" },
            requests: [{ setupRequest, onResponse }],
            setupClient,
          },
          (error) => (error ? reject(error) : resolve()),
        );
      if (shot.startDelayMs) setTimeout(start, shot.startDelayMs);
      else start();
    });
  });

  const stopAll = () => {
    for (const instance of instances) instance.stop();
  };
  options.signal?.addEventListener("abort", stopAll, { once: true });
  const ticker = setInterval(() => {
    options.onProgress?.({
      elapsedSeconds: (performance.now() - started) / 1000,
      plannedSeconds: plannedRequests === null ? (options.duration ?? 10) : null,
      sent: totalSent(),
      plannedRequests,
      accepted: totalAccepted(),
    });
  }, 1000);
  try {
    await Promise.all(runs);
  } finally {
    clearInterval(ticker);
    options.signal?.removeEventListener("abort", stopAll);
  }
  return tallies.map((tally) => tally.result());
}

/** Serializes votes once, so each request only picks a ready buffer. */
export function voteBodies(votes: readonly unknown[]): Buffer[] {
  return votes.map((vote) => Buffer.from(JSON.stringify(vote)));
}
