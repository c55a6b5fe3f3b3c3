/** The consumer's HTTP side in process: probes name the dependency that is away. */
import { describe, expect, test } from "bun:test";
import { createRegistry } from "@marimba/shared";
import { read, request } from "@marimba/testkit";
import { createProbeApp } from "../src/app.ts";

describe("the consumer's probes, in process", () => {
  test("/readyz is 200 with every dependency ok", async () => {
    const app = createProbeApp(createRegistry("test"), { kafka: () => true, mongo: () => true, redis: () => true });
    expect(await read(app.handle(request("/readyz")))).toMatchObject({
      status: 200,
      body: { status: "ready", checks: { kafka: "ok", mongo: "ok", redis: "ok" } },
    });
  });

  test("/readyz is 503 naming the dependency whose check fails or throws; /healthz stays 200", async () => {
    const app = createProbeApp(createRegistry("test"), {
      kafka: () => true,
      mongo: () => Promise.reject(new Error("connect ECONNREFUSED")),
      redis: () => false,
    });
    expect(await read(app.handle(request("/readyz")))).toMatchObject({
      status: 503,
      body: { status: "not ready", checks: { kafka: "ok", mongo: "unreachable", redis: "unreachable" } },
    });
    expect((await app.handle(request("/healthz"))).status).toBe(200);
  });

  test("/metrics is Prometheus text", async () => {
    const app = createProbeApp(createRegistry("test"), {});
    const answer = await app.handle(request("/metrics"));
    expect(answer.headers.get("content-type")).toContain("text/plain");
  });
});
