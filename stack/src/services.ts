import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Component } from "./components.ts";
import { stackEnv } from "./dependencies.ts";
import { ROOT } from "./paths.ts";
import { ports } from "./ports.ts";

/** A marimba service run by the local stack: a Bun process with an HTTP `/readyz`. */
export function service(name: string, entry: string, port: number, env: Record<string, string> = {}, readyPort = port): Component {
  return {
    name,
    port,
    spec: () => ({
      name,
      command: [process.execPath, entry],
      env: { ...stackEnv, PORT: String(port), HOST: "127.0.0.1", LOG_LEVEL: process.env.LOG_LEVEL ?? "info", ...env },
    }),
    async ready() {
      const response = await fetch(`http://127.0.0.1:${readyPort}/readyz`, { signal: AbortSignal.timeout(3000) });
      return response.ok;
    },
    readyTimeoutMs: 30_000,
  };
}

/** Every marimba service, in start order (a server before the edge that forwards to it). */
export const services: Component[] = [
  service("producer-http-server", "producer-http/src/server/index.ts", ports.httpServer),
  service("producer-http-client", "producer-http/src/client/index.ts", ports.httpClient, {
    UPSTREAM_URL: `http://127.0.0.1:${ports.httpServer}`,
  }),
  service(
    "producer-grpc-server",
    "producer-grpc/src/server/index.ts",
    ports.grpcServer,
    { METRICS_PORT: String(ports.grpcMetrics) },
    ports.grpcMetrics,
  ),
  service("producer-grpc-client", "producer-grpc/src/client/index.ts", ports.grpcClient, {
    UPSTREAM_ADDRESS: `127.0.0.1:${ports.grpcServer}`,
  }),
  // Joining the group after a crash waits for the dead member's session to expire.
  { ...service("consumer", "consumer/src/index.ts", ports.consumer), readyTimeoutMs: 60_000 },
  {
    ...service("web", "web/src/server/index.ts", ports.web),
    // A fresh clone has no built page: build it (or rebuild it after a change) before serving it.
    prepare: async () => (await import("@marimba/web/build")).buildPageIfStale(),
  },
  service("ingress", "stack/src/ingress.ts", ports.ingress, {
    HTTP_ROUTE_URL: `http://127.0.0.1:${ports.httpClient}`,
    GRPC_ROUTE_URL: `http://127.0.0.1:${ports.grpcClient}`,
  }),
].filter((component) => existsSync(join(ROOT, component.spec().command[1] ?? "")));

/** Where a person (or a test) reaches the running pipeline. */
export const urls = {
  http: `http://127.0.0.1:${ports.httpClient}`,
  grpc: `http://127.0.0.1:${ports.grpcClient}`,
  dashboard: `http://127.0.0.1:${ports.web}`,
  ingress: `http://127.0.0.1:${ports.ingress}`,
};
