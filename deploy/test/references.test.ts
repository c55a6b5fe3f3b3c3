import { describe, expect, test } from "bun:test";
import {
  addressesIn,
  checkAddresses,
  checkAutoscaling,
  checkIngresses,
  checkNetworkPolicies,
  checkReferences,
  checkServices,
  unresolvedAddress,
} from "./lib/checks.ts";
import { find, findGenerated, NAMESPACE, render, renderings } from "./lib/manifests.ts";

describe("cross-references", () => {
  for (const { name, objects } of renderings()) {
    describe(name, () => {
      test("every Service selects a workload's pods and targets one of their ports", () => {
        expect(checkServices(objects)).toEqual([]);
      });
      test("every address in an environment variable names an existing Service and port", () => {
        expect(checkAddresses(objects, NAMESPACE)).toEqual([]);
      });
      test("every ConfigMap, Secret, ServiceAccount and volume referred to exists", () => {
        expect(checkReferences(objects)).toEqual([]);
      });
      test("every Ingress backend exists", () => {
        expect(checkIngresses(objects)).toEqual([]);
      });
      test("every port a NetworkPolicy opens exists on the pods it selects", () => {
        expect(checkNetworkPolicies(objects)).toEqual([]);
      });
      test("the HPA scales the consumer 2–5 on CPU and the topic has a partition for each replica", () => {
        expect(checkAutoscaling(objects, "consumer")).toEqual([]);
      });
    });
  }

  test("the Ingress keeps the old clients' paths on their routes", () => {
    const paths = find(render(), "Ingress", "marimba")?.spec.rules[0].http.paths ?? [];
    const routes = Object.fromEntries(
      paths.map((path: { path: string; backend: { service: { name: string } } }) => [path.path, path.backend.service.name]),
    );
    expect(routes).toEqual({ "/rust": "producer-http", "/http": "producer-http", "/grpc": "producer-grpc" });
  });

  test("Kafka's controller voters are the StatefulSet's own pods on the controller port", () => {
    const objects = render();
    const properties = findGenerated(objects, "ConfigMap", "kafka-config")?.data?.["server.properties"] ?? "";
    const voters = properties.match(/^controller\.quorum\.voters=(.+)$/m)?.[1] ?? "";
    const addresses = addressesIn(voters);
    expect(addresses).toHaveLength(find(objects, "StatefulSet", "kafka")?.spec.replicas);
    const pod = find(objects, "StatefulSet", "kafka")?.spec.template.spec;
    for (const { host, port } of addresses) expect(unresolvedAddress(objects, pod, host, port, NAMESPACE)).toBeUndefined();
  });

  test("the topic Job creates the topic with replication 3 and min.insync.replicas 2", () => {
    const env = find(render(), "Job", "kafka-topic")?.spec.template.spec.containers[0].env ?? [];
    const value = (name: string) => env.find((variable: { name: string }) => variable.name === name)?.value;
    expect(value("TOPIC_REPLICATION_FACTOR")).toBe("3");
    expect(value("TOPIC_MIN_INSYNC_REPLICAS")).toBe("2");
  });
});
