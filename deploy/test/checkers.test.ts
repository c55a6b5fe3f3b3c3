// The checkers themselves, on tiny objects made to break one rule each: a rule that cannot fail
// here would pass the real manifests for the wrong reason.
import { describe, expect, test } from "bun:test";
import { tallyKeys } from "@marimba/shared";
import {
  addressesIn,
  checkAddresses,
  checkAutoscaling,
  checkContainers,
  checkIngresses,
  checkListenAddresses,
  checkNamespaces,
  checkNetworkPolicies,
  checkReferences,
  checkServices,
  isPinnedImage,
} from "./lib/checks.ts";
import { checkDockerfile } from "./lib/dockerfile.ts";
import { problemsOfTarget } from "./lib/grafana.ts";
import type { Manifest } from "./lib/manifests.ts";
import { validateObject } from "./lib/schema.ts";

const ns = "marimba";

function container(overrides: Record<string, unknown> = {}) {
  return {
    name: "app",
    image: "example/app:1.0.0",
    ports: [{ name: "http", containerPort: 8000 }],
    readinessProbe: { httpGet: { path: "/readyz", port: "http" } },
    livenessProbe: { httpGet: { path: "/healthz", port: "http" } },
    resources: { requests: { cpu: "100m", memory: "64Mi" }, limits: { cpu: "1", memory: "128Mi" } },
    securityContext: {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ["ALL"] },
      seccompProfile: { type: "RuntimeDefault" },
    },
    ...overrides,
  };
}

function deployment(name: string, containers = [container()], extra: Record<string, unknown> = {}): Manifest {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace: ns },
    spec: { selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers, ...extra } } },
  };
}

function service(name: string, selector: Record<string, string>, targetPort: string | number = "http", port = 8000): Manifest {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace: ns },
    spec: { selector, ports: [{ name: "http", port, targetPort }] },
  };
}

describe("checkers catch what they are for", () => {
  test("images: a tag or digest is pinned; none, latest or a variable is not", () => {
    expect(isPinnedImage("apache/kafka:4.1.1")).toBe(true);
    expect(isPinnedImage("registry:5000/team/app:0.1.0")).toBe(true);
    expect(isPinnedImage(`mongo@sha256:${"a".repeat(64)}`)).toBe(true);
    expect(isPinnedImage("registry:5000/team/app")).toBe(false);
    expect(isPinnedImage("redis:latest")).toBe(false);
    expect(isPinnedImage("redis")).toBe(false);
    expect(isPinnedImage("app:$TAG")).toBe(false);
  });

  test("containers: a good one passes, and each missing safeguard is named", () => {
    expect(checkContainers([deployment("good")])).toEqual([]);
    const bad = container({
      image: "example/app",
      resources: { requests: { cpu: "100m" } },
      securityContext: { runAsNonRoot: true },
      readinessProbe: undefined,
    });
    const problems = checkContainers([deployment("bad", [bad])]).join("\n");
    for (const expected of [
      "not pinned",
      "memory requests",
      "limits",
      "readOnlyRootFilesystem",
      "allowPrivilegeEscalation",
      "drop ALL",
      "readiness probe",
    ]) {
      expect(problems).toContain(expected);
    }
  });

  test("containers: a gRPC server must be probed with a native grpc probe", () => {
    const grpc = container({ ports: [{ name: "grpc", containerPort: 3001 }], readinessProbe: { tcpSocket: { port: 3001 } } });
    expect(checkContainers([deployment("grpc", [grpc])]).join()).toContain("native grpc probe");
    const probed = container({ ports: [{ name: "grpc", containerPort: 3001 }], readinessProbe: { grpc: { port: 3001 } } });
    expect(checkContainers([deployment("grpc", [probed])])).toEqual([]);
  });

  test("listen addresses: a service told a PORT but not HOST=0.0.0.0 is reported", () => {
    const listening = (env: { name: string; value: string }[]) => deployment("app", [container({ env })]);
    expect(
      checkListenAddresses([
        listening([
          { name: "PORT", value: "8000" },
          { name: "HOST", value: "0.0.0.0" },
        ]),
      ]),
    ).toEqual([]);
    expect(checkListenAddresses([listening([{ name: "PORT", value: "8000" }])]).join()).toContain("default 127.0.0.1");
    expect(
      checkListenAddresses([
        listening([
          { name: "PORT", value: "8000" },
          { name: "HOST", value: "127.0.0.1" },
        ]),
      ]).join(),
    ).toContain("listens on 127.0.0.1");
  });

  test("services: a selector matching no pods, or a targetPort no container has, is reported", () => {
    expect(checkServices([deployment("app"), service("app", { app: "app" })])).toEqual([]);
    expect(checkServices([deployment("app"), service("app", { app: "nobody" })]).join()).toContain("selects no workload");
    expect(checkServices([deployment("app"), service("app", { app: "app" }, "htpp")]).join()).toContain("targetPort htpp");
  });

  test("addresses: parsed out of URLs, broker lists and voter lists", () => {
    expect(addressesIn("mongodb://$(U):$(P)@mongodb:27017/?authSource=admin")).toEqual([{ host: "mongodb", port: 27017 }]);
    expect(addressesIn("kafka-0.kafka-headless:9092,kafka-1.kafka-headless:9092")).toHaveLength(2);
    expect(addressesIn("0@kafka-0.kafka-headless:9093")).toEqual([{ host: "kafka-0.kafka-headless", port: 9093 }]);
    expect(addressesIn("-Xms768m -Xmx768m")).toEqual([]);
  });

  test("addresses: an env var naming a missing Service, a wrong port or an empty loopback port is reported", () => {
    const client = (value: string) => deployment("client", [container({ env: [{ name: "UPSTREAM", value }] })]);
    const redis = [
      deployment("redis", [container({ ports: [{ name: "http", containerPort: 6379 }] })]),
      service("redis", { app: "redis" }, "http", 6379),
    ];
    expect(checkAddresses([client("redis://redis:6379"), ...redis], ns)).toEqual([]);
    expect(checkAddresses([client("redis://redis.marimba.svc.cluster.local:6379"), ...redis], ns)).toEqual([]);
    expect(checkAddresses([client("redis://cache:6379"), ...redis], ns).join()).toContain("no Service cache");
    expect(checkAddresses([client("redis://redis:6380"), ...redis], ns).join()).toContain("has no port 6380");
    expect(checkAddresses([client("redis://redis"), ...redis], ns).join()).toContain("no port");
    expect(checkAddresses([client("http://127.0.0.1:9999")], ns).join()).toContain("no container of the pod listens on 9999");
    expect(checkAddresses([client("http://127.0.0.1:8000")], ns)).toEqual([]);
  });

  test("references: a missing ConfigMap key, Secret or ServiceAccount is reported", () => {
    const env = [
      { name: "A", valueFrom: { configMapKeyRef: { name: "settings", key: "missing" } } },
      { name: "B", valueFrom: { secretKeyRef: { name: "credentials", key: "password" } } },
    ];
    const settings: Manifest = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "settings" }, data: { present: "1" } };
    const problems = checkReferences([deployment("app", [container({ env })], { serviceAccountName: "ghost" }), settings]).join("\n");
    expect(problems).toContain("ConfigMap settings has no key missing");
    expect(problems).toContain("Secret credentials has no key password");
    expect(problems).toContain("ServiceAccount ghost does not exist");
  });

  test("ingresses: a backend naming a missing Service or port is reported", () => {
    const ingress = (name: string, port: string): Manifest => ({
      apiVersion: "networking.k8s.io/v1",
      kind: "Ingress",
      metadata: { name: "edge" },
      spec: { rules: [{ http: { paths: [{ path: "/x", pathType: "Prefix", backend: { service: { name, port: { name: port } } } }] } }] },
    });
    const app = [deployment("app"), service("app", { app: "app" })];
    expect(checkIngresses([ingress("app", "http"), ...app])).toEqual([]);
    expect(checkIngresses([ingress("gone", "http"), ...app]).join()).toContain("no Service gone");
    expect(checkIngresses([ingress("app", "grpc"), ...app]).join()).toContain("has no port grpc");
  });

  test("network policies: opening a port name no selected pod has is reported", () => {
    const policy = (port: string): Manifest => ({
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name: "app" },
      spec: { podSelector: { matchLabels: { app: "app" } }, ingress: [{ ports: [{ port }] }] },
    });
    expect(checkNetworkPolicies([deployment("app"), policy("http")])).toEqual([]);
    expect(checkNetworkPolicies([deployment("app"), policy("htp")]).join()).toContain("opens port htp");
  });

  test("autoscaling: more consumers than partitions, or a missing HPA, is reported", () => {
    const consumer = deployment("consumer", [container({ env: [{ name: "KAFKA_TOPIC", value: "votes" }] })]);
    const hpa: Manifest = {
      apiVersion: "autoscaling/v2",
      kind: "HorizontalPodAutoscaler",
      metadata: { name: "consumer" },
      spec: {
        scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "consumer" },
        minReplicas: 2,
        maxReplicas: 5,
        metrics: [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 70 } } }],
        behavior: { scaleDown: { stabilizationWindowSeconds: 300 } },
      },
    };
    const topic = (partitions: number): Manifest => ({
      apiVersion: "kafka.strimzi.io/v1",
      kind: "KafkaTopic",
      metadata: { name: "votes" },
      spec: { partitions, replicas: 3 },
    });
    expect(checkAutoscaling([consumer, hpa, topic(6)], "consumer")).toEqual([]);
    expect(checkAutoscaling([consumer, hpa, topic(1)], "consumer").join()).toContain("1 partitions, fewer than the HPA's 5");
    expect(checkAutoscaling([consumer, hpa], "consumer").join()).toContain("nothing creates topic votes");
    expect(checkAutoscaling([consumer, topic(6)], "consumer").join()).toContain("no HorizontalPodAutoscaler");
  });

  test("namespaces: a namespaced object outside the namespace is reported, a Namespace is not", () => {
    const namespace: Manifest = { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } };
    expect(checkNamespaces([namespace, deployment("app")], ns)).toEqual([]);
    expect(checkNamespaces([{ ...deployment("app"), metadata: { name: "app" } }], ns).join()).toContain("namespace (none)");
  });

  test("schemas: a wrongly typed field or an unknown kind is reported", () => {
    expect(validateObject(deployment("app"))).toEqual([]);
    expect(validateObject(deployment("app", [container({ ports: [{ containerPort: "8000" }] })])).join()).toContain("must be integer");
    expect(validateObject({ apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w" } }).join()).toContain("no schema known");
    expect(validateObject({ apiVersion: "kafka.strimzi.io/v1", kind: "KafkaTopic", metadata: { name: "t" }, spec: {} }).join()).toContain(
      "partitions",
    );
  });

  test("grafana: a panel reading a key the consumer does not write, or with the wrong command, is reported", () => {
    const panel = { type: "stat", title: "Total" };
    const target = (keyName: string, command: string) => ({ refId: "A", datasource: { uid: "redis" }, type: "command", command, keyName });
    expect(problemsOfTarget(panel, target(tallyKeys.total, "get"), "redis", tallyKeys)).toEqual([]);
    expect(problemsOfTarget(panel, target(tallyKeys.band, "hgetall"), "redis", tallyKeys)).toEqual([]);
    expect(problemsOfTarget(panel, target("marimba:votes:bands", "hgetall"), "redis", tallyKeys).join()).toContain("does not write");
    expect(problemsOfTarget(panel, target(tallyKeys.total, "hgetall"), "redis", tallyKeys).join()).toContain("expected get");
    expect(problemsOfTarget(panel, target(tallyKeys.total, "get"), "other", tallyKeys).join()).toContain("data source");
  });

  test("dockerfiles: an unpinned base, another Bun version or a root user is reported", () => {
    const good =
      "FROM oven/bun:1.4.5-slim AS install\nRUN bun install\nFROM oven/bun:1.4.5-distroless\nCOPY --from=install /app /app\nUSER 65532:65532\n";
    expect(checkDockerfile(good, "1.4.5")).toEqual([]);
    expect(checkDockerfile(good.replace("1.4.5-slim", "latest"), "1.4.5").join()).toContain("not pinned");
    expect(checkDockerfile(good.replaceAll("1.4.5", "1.3.0"), "1.4.5").join()).toContain("not the project's Bun");
    expect(checkDockerfile(good.replace("USER 65532:65532\n", ""), "1.4.5").join()).toContain("runs as root");
    expect(checkDockerfile(good.replace("USER 65532:65532", "USER root"), "1.4.5").join()).toContain("runs as root");
    expect(checkDockerfile(`${good}FROM node\n`, "1.4.5").join()).toContain("FROM node is not pinned");
  });
});
