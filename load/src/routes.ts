import type { Route } from "@marimba/shared";

export type RouteChoice = Route | "both";
export const ROUTE_CHOICES: readonly RouteChoice[] = ["http", "grpc", "both"];

/** Where each route takes votes: the canonical path and the old clients' path (docs/ARCHITECTURE.md, Paths). */
export const ROUTE_PATHS: Record<Route, { canonical: string; old: string }> = {
  http: { canonical: "/http/votes", old: "/rust/send_data" },
  grpc: { canonical: "/grpc/votes", old: "/grpc/insert" },
};

/** One route as the load generator reaches it. */
export interface RouteTarget {
  route: Route;
  /** Scheme, host and port. */
  origin: string;
  path: string;
}

/** One autocannon instance: connections to one origin, each request going to one of `routes` at random. */
export interface Shot {
  origin: string;
  routes: RouteTarget[];
  connections: number;
  /** Requests this shot sends in total; absent when the run lasts a duration. */
  amount?: number;
  /** Requests per second this shot sends in total; absent for "as fast as answered". */
  rate?: number;
  /** Start this long after the others, e.g. to spread per-second rate bursts over the second. */
  startDelayMs?: number;
}

export interface PlanOptions {
  route: RouteChoice;
  connections: number;
  amount?: number;
  rate?: number;
  /** One host for every route (an ingress); the local stack's per-route addresses otherwise. */
  target?: string;
  oldPaths: boolean;
}

/** Draws how many of `amount` votes go to the first of two routes, each vote by a fair coin. */
function coinFlips(amount: number, random: () => number): number {
  let heads = 0;
  for (let i = 0; i < amount; i++) if (random() < 0.5) heads++;
  return heads;
}

/**
 * Turns the chosen routes into autocannon instances. Against one target host, `both` is one
 * instance whose every request picks a route at random, like the old load tool. Against the
 * local stack the routes listen on different ports, so `both` becomes one instance per route
 * sharing the connections, and with `--amount` each vote's route is still drawn at random.
 */
export function planShots(options: PlanOptions, stack: Record<Route, string>, random: () => number = Math.random): Shot[] {
  const routes: Route[] = options.route === "both" ? ["http", "grpc"] : [options.route];
  const pathOf = (route: Route) => (options.oldPaths ? ROUTE_PATHS[route].old : ROUTE_PATHS[route].canonical);
  const limit = (shot: Shot): Shot =>
    shot.amount === undefined ? shot : { ...shot, connections: Math.max(1, Math.min(shot.connections, shot.amount)) };

  if (options.target) {
    const url = new URL(options.target);
    const prefix = url.pathname.replace(/\/+$/, "");
    const targets = routes.map((route) => ({ route, origin: url.origin, path: `${prefix}${pathOf(route)}` }));
    return [limit({ origin: url.origin, routes: targets, connections: options.connections, amount: options.amount, rate: options.rate })];
  }

  const single = (route: Route, connections: number, amount?: number, rate?: number): Shot => {
    const origin = new URL(stack[route]).origin;
    return limit({ origin, routes: [{ route, origin, path: pathOf(route) }], connections, amount, rate });
  };
  if (routes.length === 1) return [single(routes[0] as Route, options.connections, options.amount, options.rate)];

  // Each route gets at least one connection, so `both` never silently loads only one of them.
  const httpConnections = Math.max(1, Math.ceil(options.connections / 2));
  const grpcConnections = Math.max(1, Math.floor(options.connections / 2));
  const httpRate = options.rate === undefined ? undefined : Math.max(1, Math.ceil(options.rate / 2));
  const grpcRate = options.rate === undefined ? undefined : Math.max(1, Math.floor(options.rate / 2));
  const shots: Shot[] = [];
  if (options.amount === undefined) {
    return [single("http", httpConnections, undefined, httpRate), single("grpc", grpcConnections, undefined, grpcRate)];
  }
  const httpAmount = coinFlips(options.amount, random);
  const grpcAmount = options.amount - httpAmount;
  if (httpAmount > 0) shots.push(single("http", httpConnections, httpAmount, httpRate));
  if (grpcAmount > 0) shots.push(single("grpc", grpcConnections, grpcAmount, grpcRate));
  return shots;
}
