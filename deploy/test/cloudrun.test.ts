import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { isPinnedImage } from "./lib/checks.ts";
import { deployDir, repoRoot } from "./lib/manifests.ts";
import { problemsOfServiceContainer } from "./lib/service-checks.ts";

const service = parse(readFileSync(join(deployDir, "cloudrun", "service.yaml"), "utf8"));
const template = service.spec.template;
const container = template.spec.containers[0];
const annotations: Record<string, string> = template.metadata.annotations;
const env: { name: string; value?: string; valueFrom?: unknown }[] = container.env;

describe("Cloud Run service for the dashboard", () => {
  test("sets what web/src/server/index.ts reads, every address, and probes the port Cloud Run gives it", () => {
    // The image's CMD names the entry file; Cloud Run sets PORT to the container port.
    const cmd = readFileSync(join(repoRoot, "web", "Dockerfile"), "utf8").match(/^CMD \["([^"]+)"\]/m)?.[1];
    expect(cmd).toBe("web/src/server/index.ts");
    const withEntry = { ...container, args: [cmd] };
    expect(problemsOfServiceContainer("Cloud Run marimba-web", withEntry, [], { PORT: String(container.ports[0].containerPort) })).toEqual(
      [],
    );
  });

  test("runs as a service account of its own, not the project's default compute account", () => {
    expect(template.spec.serviceAccountName).toMatch(/^marimba-web@PROJECT\.iam\.gserviceaccount\.com$/);
  });

  test("is a Knative v1 Service kept out of the kustomization", () => {
    expect(service.apiVersion).toBe("serving.knative.dev/v1");
    expect(service.kind).toBe("Service");
    expect(readFileSync(join(deployDir, "kustomization.yaml"), "utf8")).not.toContain("cloudrun/");
  });

  test("listens on container port 8080 named http1 and leaves PORT to Cloud Run", () => {
    expect(container.ports).toEqual([{ name: "http1", containerPort: 8080 }]);
    expect(env.map((variable) => variable.name)).not.toContain("PORT");
    // The service listens on 127.0.0.1 unless told otherwise; Cloud Run reaches it from outside.
    expect(env.find((variable) => variable.name === "HOST")?.value).toBe("0.0.0.0");
  });

  test("has min and max instances, min ≤ max", () => {
    const min = Number(annotations["autoscaling.knative.dev/minScale"]);
    const max = Number(annotations["autoscaling.knative.dev/maxScale"]);
    expect(Number.isInteger(min) && Number.isInteger(max)).toBe(true);
    expect(min).toBeLessThanOrEqual(max);
  });

  test("gets MONGO_URL and REDIS_URL, the MongoDB credentials from Secret Manager", () => {
    const names = env.map((variable) => variable.name);
    expect(names).toContain("MONGO_URL");
    expect(names).toContain("REDIS_URL");
    const mongo = env.find((variable) => variable.name === "MONGO_URL");
    expect(mongo?.value).toBeUndefined();
    expect(mongo?.valueFrom).toBeDefined();
  });

  test("egresses into the cluster's VPC for private ranges only", () => {
    const interfaces = JSON.parse(annotations["run.googleapis.com/network-interfaces"] ?? "[]");
    expect(interfaces[0]).toHaveProperty("network");
    expect(interfaces[0]).toHaveProperty("subnetwork");
    expect(annotations["run.googleapis.com/vpc-access-egress"]).toBe("private-ranges-only");
  });

  test("runs a pinned image and probes the same port", () => {
    expect(isPinnedImage(container.image)).toBe(true);
    expect(container.startupProbe.httpGet.port).toBe(8080);
  });
});
