import type { Component } from "./components.ts";
import { stackEnv } from "./dependencies.ts";

/** A marimba service run by the local stack: a Bun process with an HTTP `/readyz`. */
function service(name: string, entry: string, port: number, env: Record<string, string> = {}, readyPort = port): Component {
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
  service("producer-http-server", "producer-http/src/server/index.ts", 8080),
  service("producer-http-client", "producer-http/src/client/index.ts", 8000, { UPSTREAM_URL: "http://127.0.0.1:8080" }),
  service("consumer", "consumer/src/index.ts", 9101),
];

/** Where a person (or a test) reaches the running pipeline. */
export const urls = {
  http: "http://127.0.0.1:8000",
};
