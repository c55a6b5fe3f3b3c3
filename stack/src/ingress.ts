/**
 * The local stand-in for the cluster's Ingress: one host that sends `/rust/` and `/http/`
 * to the HTTP route's edge and `/grpc/` to the gRPC route's edge, so a client that knows one
 * address (like the old load tool) reaches both routes locally as it would in the cluster.
 * Bodies stream through both ways; status and headers pass unchanged.
 */
import {
  clientClosedResponse,
  connectionClosed,
  createLogger,
  env,
  json,
  loadConfig,
  runService,
  serveHttp,
  within,
} from "@marimba/shared";

export interface IngressRoutes {
  /** producer-http client, e.g. http://127.0.0.1:8000 */
  http: string;
  /** producer-grpc client, e.g. http://127.0.0.1:3000 */
  grpc: string;
}

/** Path prefix → route, as the cluster's Ingress rules list them. */
const PREFIXES: ReadonlyArray<readonly [string, keyof IngressRoutes]> = [
  ["/rust/", "http"],
  ["/http/", "http"],
  ["/grpc/", "grpc"],
];

/** Longer than the edges' own forwarding deadline (25 s), so their answer always arrives first. */
const UPSTREAM_DEADLINE_MS = 30_000;

// Hop-by-hop headers describe one connection, never the next one (RFC 9110 §7.6.1).
const HOP_BY_HOP = ["connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade", "host"];

function errorBody(status: number, error: string): Response {
  return json(status, { error, details: [] });
}

/** Which upstream base URL serves a path, or null when no rule matches. */
export function routeFor(pathname: string, routes: IngressRoutes): string | null {
  const rule = PREFIXES.find(([prefix]) => pathname.startsWith(prefix));
  return rule ? routes[rule[1]] : null;
}

/** The ingress's request handler: pure construction, so it can be served (serveHttp) or called directly. */
export function createIngress(routes: IngressRoutes) {
  const reachable = (base: string) =>
    within(2000, async () => {
      const response = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(2000) });
      await response.body?.cancel();
      if (!response.ok) throw new Error(`${base} answered ${response.status}`);
    });

  return async function handle(request: Request, clientAddress = "127.0.0.1"): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/healthz") return json(200, { status: "ok" });
    if (url.pathname === "/readyz") {
      const [http, grpc] = await Promise.all([reachable(routes.http), reachable(routes.grpc)]);
      const checks = { http: http ? "ok" : "unreachable", grpc: grpc ? "ok" : "unreachable" };
      return json(http && grpc ? 200 : 503, { status: http && grpc ? "ready" : "not ready", checks });
    }
    const base = routeFor(url.pathname, routes);
    if (!base) return errorBody(404, `no route for ${url.pathname}: the ingress serves /rust/, /http/ and /grpc/`);

    const headers = new Headers(request.headers);
    for (const name of HOP_BY_HOP) headers.delete(name);
    headers.set("x-forwarded-for", clientAddress);
    headers.set("x-forwarded-host", request.headers.get("host") ?? url.host);
    headers.set("x-forwarded-proto", url.protocol.replace(":", ""));
    // A client gone before its votes are passed on gets nothing passed on.
    if (await connectionClosed(request)) return clientClosedResponse();
    let upstream: Response;
    try {
      upstream = await fetch(`${base}${url.pathname}${url.search}`, {
        method: request.method,
        headers,
        body: request.body,
        redirect: "manual",
        // Passes the body as the edge encoded it, so content-encoding and content-length stay true.
        decompress: false,
        // A client that goes away takes its upstream request with it; none outlives the edges' slowest answer.
        signal: AbortSignal.any([request.signal, AbortSignal.timeout(UPSTREAM_DEADLINE_MS)]),
      });
    } catch {
      return errorBody(502, `the ${url.pathname.split("/")[1]} route is unreachable; retry shortly`);
    }
    const answer = new Headers(upstream.headers);
    for (const name of HOP_BY_HOP) answer.delete(name);
    return new Response(upstream.body, { status: upstream.status, statusText: upstream.statusText, headers: answer });
  };
}

if (import.meta.main) {
  const logger = createLogger("ingress");
  await runService(logger, async () => {
    const config = loadConfig({
      PORT: env.port(8090),
      HOST: env.text("127.0.0.1"),
      HTTP_ROUTE_URL: env.url("http://127.0.0.1:8000"),
      GRPC_ROUTE_URL: env.url("http://127.0.0.1:3000"),
    });
    const handle = createIngress({
      http: config.HTTP_ROUTE_URL.replace(/\/$/, ""),
      grpc: config.GRPC_ROUTE_URL.replace(/\/$/, ""),
    });
    const server = await serveHttp(handle, {
      hostname: config.HOST,
      port: config.PORT,
      // Outlasts the edges' slowest answer (their upstream deadlines), so it reaches the caller.
      idleTimeoutSeconds: 60,
    });
    logger.info({ port: config.PORT, http: config.HTTP_ROUTE_URL, grpc: config.GRPC_ROUTE_URL }, "routing /rust/ /http/ /grpc/");
    return {
      async stop() {
        await server.stop();
      },
    };
  });
}
