// The NetworkPolicy evaluator itself, on small policies with known answers (networking.k8s.io/v1).
import { describe, expect, test } from "bun:test";
import type { Manifest } from "./lib/manifests.ts";
import { allowed, inCidr, OUTSIDE, type Peer, selects } from "./lib/network.ts";

const pod = (app: string, ports: { name?: string; port: number; protocol?: string }[] = [], ip = "10.4.1.20"): Peer => ({
  name: app,
  namespace: "marimba",
  namespaceLabels: { "kubernetes.io/metadata.name": "marimba" },
  podLabels: { app },
  ip,
  ports: ports.map((port) => ({ protocol: "TCP", ...port })),
});

function policy(name: string, spec: Record<string, unknown>): Manifest {
  return { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name, namespace: "marimba" }, spec };
}

const redis = pod("redis", [{ name: "redis", port: 6379 }], "10.4.1.30");
const consumer = pod("consumer");
const toRedis = { peer: redis, port: 6379, protocol: "TCP" };

describe("NetworkPolicy evaluator", () => {
  test("with no policy everything is allowed; a pod selected for ingress with no rule is isolated", () => {
    expect(allowed([], consumer, toRedis)).toBe(true);
    expect(allowed([policy("deny", { podSelector: {}, policyTypes: ["Ingress"] })], consumer, toRedis)).toBe(false);
  });

  test("a named port opens only the container port of that name, and only for TCP by default", () => {
    const open = policy("redis", { podSelector: { matchLabels: { app: "redis" } }, ingress: [{ ports: [{ port: "redis" }] }] });
    expect(allowed([open], consumer, toRedis)).toBe(true);
    expect(allowed([open], consumer, { ...toRedis, port: 6380 })).toBe(false);
    expect(allowed([open], consumer, { ...toRedis, protocol: "UDP" })).toBe(false);
  });

  test("egress must be allowed at the source as well as ingress at the destination", () => {
    const ingress = policy("redis", { podSelector: { matchLabels: { app: "redis" } }, ingress: [{}] });
    const denyEgress = policy("deny", { podSelector: {}, policyTypes: ["Egress"] });
    expect(allowed([ingress, denyEgress], consumer, toRedis)).toBe(false);
    const egress = policy("consumer", {
      podSelector: { matchLabels: { app: "consumer" } },
      policyTypes: ["Egress"],
      egress: [{ to: [{ podSelector: { matchLabels: { app: "redis" } } }], ports: [{ port: 6379 }] }],
    });
    expect(allowed([ingress, denyEgress, egress], consumer, toRedis)).toBe(true);
  });

  test("namespaceSelector and podSelector in one entry both apply; a bare podSelector means this namespace", () => {
    const both = policy("redis", {
      podSelector: { matchLabels: { app: "redis" } },
      ingress: [
        {
          from: [
            {
              namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "tenant" } },
              podSelector: { matchLabels: { app: "web" } },
            },
          ],
        },
      ],
    });
    const tenantWeb: Peer = { name: "web", namespace: "tenant", podLabels: { app: "web" }, ip: "10.4.3.8" };
    const tenantOther: Peer = { ...tenantWeb, podLabels: { app: "other" } };
    expect(allowed([both], tenantWeb, toRedis)).toBe(true);
    expect(allowed([both], tenantOther, toRedis)).toBe(false);
    const local = policy("redis", {
      podSelector: { matchLabels: { app: "redis" } },
      ingress: [{ from: [{ podSelector: { matchLabels: { app: "consumer" } } }] }],
    });
    expect(allowed([local], consumer, toRedis)).toBe(true);
    expect(allowed([local], OUTSIDE.otherNamespacePod, toRedis)).toBe(false);
  });

  test("an ipBlock covers every address in its range, pods' included, except its exceptions", () => {
    const wide = policy("redis", {
      podSelector: { matchLabels: { app: "redis" } },
      ingress: [{ from: [{ ipBlock: { cidr: "10.0.0.0/8", except: ["10.128.0.0/9"] } }] }],
    });
    expect(allowed([wide], OUTSIDE.otherNamespacePod, toRedis)).toBe(true);
    expect(allowed([wide], OUTSIDE.node, toRedis)).toBe(false);
    expect(inCidr("169.254.169.254", "0.0.0.0/0")).toBe(true);
    expect(inCidr("10.8.0.70", "10.8.0.0/26")).toBe(false);
  });

  test("matchExpressions: In, NotIn, Exists and DoesNotExist", () => {
    expect(selects({ matchExpressions: [{ key: "app", operator: "In", values: ["a", "b"] }] }, { app: "b" })).toBe(true);
    expect(selects({ matchExpressions: [{ key: "app", operator: "NotIn", values: ["a"] }] }, { app: "a" })).toBe(false);
    expect(selects({ matchExpressions: [{ key: "tier", operator: "Exists" }] }, { app: "a" })).toBe(false);
    expect(selects({ matchExpressions: [{ key: "tier", operator: "DoesNotExist" }] }, { app: "a" })).toBe(true);
    expect(selects({}, { app: "a" })).toBe(true);
  });
});
