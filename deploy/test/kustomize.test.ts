import { describe, expect, test } from "bun:test";
import { checkNamespaces } from "./lib/checks.ts";
import { COMPONENTS, find, label, NAMESPACE, render, renderings } from "./lib/manifests.ts";

describe("kubectl kustomize deploy", () => {
  test("renders the base with every part of the pipeline and no custom resource", () => {
    const objects = render();
    const names = new Set(objects.map(label));
    for (const expected of [
      "Namespace/marimba",
      "StatefulSet/kafka",
      "Service/kafka",
      "Service/kafka-headless",
      "Job/kafka-topic",
      "StatefulSet/mongodb",
      "StatefulSet/redis",
      "Deployment/producer-http",
      "Deployment/producer-grpc",
      "Deployment/consumer",
      "HorizontalPodAutoscaler/consumer",
      "Ingress/marimba",
      "Deployment/grafana",
      "NetworkPolicy/default-deny",
    ]) {
      expect(names).toContain(expected);
    }
    // One apply on a fresh cluster: nothing may need an operator's CRDs.
    expect(objects.filter((object) => object.apiVersion.includes("strimzi"))).toEqual([]);
  });

  test("Kafka is a 3-node KRaft StatefulSet that can start all its controllers at once", () => {
    const objects = render();
    const kafka = find(objects, "StatefulSet", "kafka");
    expect(kafka?.spec.replicas).toBe(3);
    expect(kafka?.spec.podManagementPolicy).toBe("Parallel");
    expect(kafka?.spec.volumeClaimTemplates?.[0]?.metadata.name).toBe("data");
    const headless = find(objects, "Service", kafka?.spec.serviceName);
    expect(headless?.spec.clusterIP).toBe("None");
    expect(headless?.spec.publishNotReadyAddresses).toBe(true);
  });

  test("each producer pod runs its client and its server side by side", () => {
    const objects = render();
    for (const name of ["producer-http", "producer-grpc"]) {
      const containers = find(objects, "Deployment", name)?.spec.template.spec.containers ?? [];
      expect(containers.map((container: { name: string }) => container.name)).toEqual(["client", "server"]);
    }
  });

  test("Redis keeps its counters in an append-only file on a volume", () => {
    const redis = find(render(), "StatefulSet", "redis");
    expect(redis?.spec.template.spec.containers[0].args.join(" ")).toContain("--appendonly yes");
    expect(redis?.spec.volumeClaimTemplates?.[0]?.metadata.name).toBe("data");
  });

  for (const component of COMPONENTS) {
    test(`component ${component} renders on its own on top of the base`, () => {
      const base = new Set(render().map(label));
      const added = render([component]).filter((object) => !base.has(label(object)));
      expect(added.length).toBeGreaterThan(0);
    });
  }

  test("the strimzi component swaps the Kafka StatefulSet and topic Job for Strimzi resources", () => {
    const objects = render(["strimzi"]);
    const names = new Set(objects.map(label));
    expect(names).not.toContain("StatefulSet/kafka");
    expect(names).not.toContain("Job/kafka-topic");
    expect(names).toContain("Kafka/marimba");
    expect(names).toContain("KafkaNodePool/dual-role");
    expect(names).toContain("KafkaTopic/votes");
  });

  test("the dashboard component serves the page at the Ingress root and keeps the vote paths", () => {
    const paths = find(render(["dashboard"]), "Ingress", "marimba")?.spec.rules[0].http.paths ?? [];
    const routes = Object.fromEntries(
      paths.map((path: { path: string; backend: { service: { name: string } } }) => [path.path, path.backend.service.name]),
    );
    expect(routes).toEqual({ "/rust": "producer-http", "/http": "producer-http", "/grpc": "producer-grpc", "/": "web" });
  });

  for (const { name, objects } of renderings()) {
    test(`${name}: every namespaced object lands in the ${NAMESPACE} namespace`, () => {
      expect(checkNamespaces(objects, NAMESPACE)).toEqual([]);
    });
  }
});
