// Renders the kustomization with the machine's kubectl (or a standalone kustomize) and gives the
// tests typed views of what it rendered: objects, workloads and their pod templates.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import type { IContainer } from "kubernetes-models/v1/Container";
import type { IPodSpec } from "kubernetes-models/v1/PodSpec";
import { parseAllDocuments } from "yaml";

export const deployDir = fileURLToPath(new URL("../..", import.meta.url));
export const repoRoot = join(deployDir, "..");
export const NAMESPACE = "marimba";

/** Every optional component; each must render on top of the base on its own. */
export const COMPONENTS = ["dashboard", "load-generator", "cloudrun-backends", "strimzi"] as const;

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  // biome-ignore lint/suspicious/noExplicitAny: the shape depends on kind; checkers narrow it.
  spec?: any;
  data?: Record<string, string>;
  [field: string]: unknown;
}

/** The command that turns a kustomization directory into YAML on stdout. */
export function kustomizeCommand(): string[] {
  if (Bun.which("kubectl")) return ["kubectl", "kustomize"];
  if (Bun.which("kustomize")) return ["kustomize", "build"];
  throw new Error("neither kubectl nor kustomize is on PATH: install one (apt-get install kubectl) to render deploy/");
}

export function parseManifests(text: string): Manifest[] {
  return parseAllDocuments(text)
    .map((document) => {
      if (document.errors.length > 0) throw new Error(`invalid YAML: ${document.errors[0]?.message}`);
      return document.toJS() as Manifest | null;
    })
    .filter((object): object is Manifest => object !== null);
}

function kustomize(directory: string): string {
  const result = Bun.spawnSync([...kustomizeCommand(), directory], { stderr: "pipe" });
  if (result.exitCode !== 0) throw new Error(`kustomize ${directory} failed: ${result.stderr.toString()}`);
  return result.stdout.toString();
}

const rendered = new Map<string, Manifest[]>();

/**
 * The base with the given components switched on, rendered through a throw-away overlay, the way a
 * user adds a component. Kustomize refuses absolute paths and overlays inside the base's folder,
 * so the overlay lives in the temp folder and points back with relative paths. `base` is deploy/
 * unless a test renders a changed copy of it.
 */
export function render(components: readonly string[] = [], base = deployDir): Manifest[] {
  const key = `${base}:${components.join(",")}`;
  const cached = rendered.get(key);
  if (cached) return cached;
  let objects: Manifest[];
  if (components.length === 0) {
    objects = parseManifests(kustomize(base));
  } else {
    const overlay = mkdtempSync(join(tmpdir(), "marimba-overlay-"));
    try {
      const path = (to: string) => relative(overlay, to);
      const lines = [
        "apiVersion: kustomize.config.k8s.io/v1beta1",
        "kind: Kustomization",
        `namespace: ${NAMESPACE}`,
        "resources:",
        `  - ${path(base)}`,
        "components:",
        ...components.map((name) => `  - ${path(join(base, "components", name))}`),
      ];
      writeFileSync(join(overlay, "kustomization.yaml"), `${lines.join("\n")}\n`);
      objects = parseManifests(kustomize(overlay));
    } finally {
      rmSync(overlay, { recursive: true, force: true });
    }
  }
  rendered.set(key, objects);
  return objects;
}

/** Every rendering the project supports: the base, each component alone, and all of them at once. */
export function renderings(): { name: string; objects: Manifest[] }[] {
  return [
    { name: "base", objects: render() },
    ...COMPONENTS.map((component) => ({ name: `base + ${component}`, objects: render([component]) })),
    { name: "base + every component", objects: render(COMPONENTS) },
  ];
}

export interface Workload {
  object: Manifest;
  pod: IPodSpec;
  podLabels: Record<string, string>;
  /** Jobs run to completion: probes do not apply to them. */
  runsToCompletion: boolean;
}

export function workloads(objects: Manifest[]): Workload[] {
  const found: Workload[] = [];
  for (const object of objects) {
    let template: { metadata?: { labels?: Record<string, string> }; spec: IPodSpec } | undefined;
    if (["Deployment", "StatefulSet", "DaemonSet", "Job", "ReplicaSet"].includes(object.kind)) template = object.spec?.template;
    if (object.kind === "CronJob") template = object.spec?.jobTemplate?.spec?.template;
    if (object.kind === "Pod") template = { metadata: object.metadata, spec: object.spec };
    if (!template) continue;
    found.push({
      object,
      pod: template.spec,
      podLabels: template.metadata?.labels ?? {},
      runsToCompletion: object.kind === "Job" || object.kind === "CronJob",
    });
  }
  return found;
}

export function containersOf(pod: IPodSpec): { container: IContainer; init: boolean }[] {
  return [
    ...(pod.initContainers ?? []).map((container) => ({ container, init: true })),
    ...pod.containers.map((container) => ({ container, init: false })),
  ];
}

export function find(objects: Manifest[], kind: string, name: string): Manifest | undefined {
  return objects.find((object) => object.kind === kind && object.metadata.name === name);
}

/** Generated ConfigMaps and Secrets carry a content hash suffix (`kafka-client-fh66f5hf47`). */
export function findGenerated(objects: Manifest[], kind: "ConfigMap" | "Secret", name: string): Manifest | undefined {
  return objects.find((object) => object.kind === kind && new RegExp(`^${name}(-[a-z0-9]{10})?$`).test(object.metadata.name));
}

export function label(object: Manifest): string {
  return `${object.kind}/${object.metadata.name}`;
}
