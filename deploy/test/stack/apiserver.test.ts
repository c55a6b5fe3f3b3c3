// The server-side dry run on a real kube-apiserver (deploy/apiserver, built once into the cache):
// schemas with unknown fields refused, defaults and immutable-field rules applied, admission run,
// Pod Security judged by the namespace's own labels. Any error or warning fails.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type ControlPlane, startControlPlane } from "../lib/apiserver.ts";
import { find, type Manifest, NAMESPACE, render, renderings } from "../lib/manifests.ts";

let cluster: ControlPlane | undefined;

/** A v1 List as JSON, which kubectl unpacks; YAML re-written here could be misread by its YAML 1.1 reader (`yes`). */
function asList(objects: Manifest[]): string {
  return JSON.stringify({ apiVersion: "v1", kind: "List", items: objects });
}

/** What a strict server-side dry run says about the objects: every error and warning line. */
function dryRun(objects: Manifest[]): string[] {
  if (!cluster) throw new Error("the control plane did not start");
  const result = cluster.kubectl(["apply", "--dry-run=server", "--validate=strict", "-f", "-"], asList(objects));
  const problems = result.stderr
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "");
  if (result.code !== 0 && problems.length === 0) problems.push(`kubectl exited ${result.code}`);
  return problems;
}

/** Strimzi's kinds need its CRDs, which only its operator's install brings. */
function withoutCustomResources(objects: Manifest[]): Manifest[] {
  return objects.filter((object) => !object.apiVersion.includes("strimzi.io/"));
}

beforeAll(async () => {
  const started = await startControlPlane();
  cluster = started;
  try {
    // No controllers run here: create the namespace (with its Pod Security labels) and its default
    // ServiceAccount by hand, as a cluster would have them before the dry run.
    const namespace = find(render(), "Namespace", NAMESPACE);
    if (!namespace) throw new Error(`the base renders no Namespace ${NAMESPACE}`);
    const created = started.kubectl(["apply", "-f", "-"], asList([namespace]));
    if (created.code !== 0) throw new Error(`creating namespace ${NAMESPACE}: ${created.stderr}`);
    const account = started.kubectl(["-n", NAMESPACE, "create", "serviceaccount", "default"]);
    if (account.code !== 0 && !account.stderr.includes("AlreadyExists"))
      throw new Error(`creating ServiceAccount default: ${account.stderr}`);
  } catch (error) {
    // Stopped here as well, should the runner skip afterAll after a failed beforeAll.
    await started.stop();
    cluster = undefined;
    throw error;
  }
}, 35 * 60_000);

afterAll(async () => {
  await cluster?.stop();
});

describe("kube-apiserver: kubectl apply --dry-run=server --validate=strict", () => {
  test("the namespace enforces and warns on the restricted Pod Security Standard", () => {
    const labels = JSON.parse(cluster?.kubectl(["get", "namespace", NAMESPACE, "-o", "json"]).stdout ?? "{}").metadata?.labels ?? {};
    expect(labels["pod-security.kubernetes.io/enforce"]).toBe("restricted");
    expect(labels["pod-security.kubernetes.io/warn"]).toBe("restricted");
  });

  for (const { name, objects } of renderings()) {
    const custom = objects.length - withoutCustomResources(objects).length;
    const title = custom > 0 ? `${name} (its ${custom} Strimzi resources aside: no CRDs here)` : name;
    test(`${title}: accepted with no error and no Pod Security warning`, () => {
      expect(dryRun(withoutCustomResources(objects))).toEqual([]);
    });
  }
});

describe("kube-apiserver: faults only a real API server sees", () => {
  const consumer = () => structuredClone(find(render(), "Deployment", "consumer") as Manifest);

  test("a misspelled field (periodSecond) is refused by strict validation", () => {
    const deployment = consumer();
    deployment.spec.template.spec.containers[0].readinessProbe.periodSecond = 10;
    expect(dryRun([deployment]).join("\n")).toMatch(/containers\[0\]\.readinessProbe.*unknown field \\?"periodSecond\\?"/);
  });

  test("a selector that does not match its template's labels is refused", () => {
    const deployment = consumer();
    deployment.spec.selector.matchLabels.app = "consumers";
    expect(dryRun([deployment]).join("\n")).toMatch(/selector.*does not match template `labels`/);
  });

  test("a container that may escalate privileges draws a Pod Security warning", () => {
    const deployment = consumer();
    deployment.spec.template.spec.containers[0].securityContext.allowPrivilegeEscalation = true;
    expect(dryRun([deployment]).join("\n")).toMatch(/would violate PodSecurity "restricted:latest": allowPrivilegeEscalation != false/);
  });

  test("a label added to a StatefulSet's volumeClaimTemplates later is refused, which is why they carry none", () => {
    if (!cluster) throw new Error("the control plane did not start");
    const redis = structuredClone(find(render(), "StatefulSet", "redis") as Manifest);
    const created = cluster.kubectl(["apply", "-f", "-"], asList([redis]));
    expect(created.stderr).toBe("");
    try {
      redis.spec.volumeClaimTemplates[0].metadata.labels = { "app.kubernetes.io/version": "2" };
      expect(dryRun([redis]).join("\n")).toMatch(/updates to statefulset spec for fields other than .* are forbidden/);
    } finally {
      cluster.kubectl(["-n", NAMESPACE, "delete", "statefulset", "redis", "--wait=false"]);
    }
  });
});
