// Runs the Kafka StatefulSet's own shell scripts (from the rendered kafka-config ConfigMap) the way
// each pod would, with the image's paths mapped into a temp folder and Kafka's tools stubbed, and
// judges what they produce: node ids, advertised listeners and quorum voters, readiness answers.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { IContainer } from "kubernetes-models/v1/Container";
import { addressesIn } from "./checks.ts";
import { find, label, type Manifest, NAMESPACE } from "./manifests.ts";

export interface ScriptRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** The file a container's command runs from a mounted ConfigMap, with every file of that ConfigMap. */
export function mountedScript(objects: Manifest[], sts: Manifest, words: string[]): { path: string; files: Record<string, string> } {
  const pod = sts.spec.template.spec;
  const container: IContainer = pod.containers[0];
  for (const mount of container.volumeMounts ?? []) {
    const volume = (pod.volumes ?? []).find((candidate: { name: string }) => candidate.name === mount.name);
    const configMap = volume?.configMap?.name && find(objects, "ConfigMap", volume.configMap.name);
    const path = words.find((word) => word.startsWith(`${mount.mountPath}/`));
    if (configMap && path) return { path, files: configMap.data ?? {} };
  }
  throw new Error(`${label(sts)}: ${words.join(" ")} runs no script from a mounted ConfigMap`);
}

/**
 * Runs `script` under bash with /etc/kafka-config, /tmp and /opt/kafka/bin mapped into a temp folder;
 * `tools` are the stubbed Kafka scripts by file name.
 */
export function runMapped(
  script: string,
  files: Record<string, string>,
  env: Record<string, string>,
  tools: Record<string, string>,
): ScriptRun {
  const root = mkdtempSync(join(tmpdir(), "marimba-kafka-script-"));
  try {
    // One pass, so the temp folder's own /tmp prefix is never mapped again.
    const targets: Record<string, string> = { "/etc/kafka-config": "etc/kafka-config", "/opt/kafka/bin": "bin", "/tmp": "tmp" };
    const map = (text: string) =>
      text.replace(/(?<![\w./-])(\/etc\/kafka-config|\/opt\/kafka\/bin|\/tmp)(?=\/|\s|"|'|$)/gm, (path) => `${root}/${targets[path]}`);
    for (const folder of ["etc/kafka-config", "bin", "tmp"]) mkdirSync(join(root, folder), { recursive: true });
    for (const [name, text] of Object.entries(files)) writeFileSync(join(root, "etc/kafka-config", name), text);
    for (const [name, text] of Object.entries(tools)) writeFileSync(join(root, "bin", name), `#!/bin/bash\n${text}\n`, { mode: 0o755 });
    const result = Bun.spawnSync(["/bin/bash", "-c", map(script)], {
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env },
      stdout: "pipe",
      stderr: "pipe",
      timeout: 10_000,
    });
    return { code: result.exitCode ?? 1, stdout: result.stdout.toString(), stderr: result.stderr.toString() };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

function properties(text: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const line of text.split("\n")) {
    const match = line.match(/^\s*([a-z][\w.-]*)\s*=\s*(.*?)\s*$/);
    if (match?.[1]) found.set(match[1], match[2] ?? "");
  }
  return found;
}

/** What the start-up script writes for the pod of each ordinal (`kafka-server-start.sh` prints its config). */
export function startedConfigs(objects: Manifest[]): { pod: string; run: ScriptRun; config: Map<string, string> }[] {
  const sts = find(objects, "StatefulSet", "kafka");
  if (!sts) return [];
  const container: IContainer = sts.spec.template.spec.containers[0];
  const { path, files } = mountedScript(objects, sts, [...(container.command ?? []), ...(container.args ?? [])]);
  const script = files[path.slice(path.lastIndexOf("/") + 1)] ?? "";
  return Array.from({ length: sts.spec.replicas ?? 1 }, (_, ordinal) => {
    const pod = `${sts.metadata.name}-${ordinal}`;
    const run = runMapped(
      script,
      files,
      { HOSTNAME: pod, POD_NAMESPACE: NAMESPACE, CLUSTER_ID: "dRqqCNAUSQCOp2vkwZ0EOA" },
      {
        "kafka-storage.sh": "exit 0",
        "kafka-server-start.sh": 'cat "$1"',
      },
    );
    return { pod, run, config: properties(run.stdout) };
  });
}

/**
 * Each pod gets node id = its ordinal (0..N-1, once each), advertises its own per-pod DNS name,
 * and the voters are exactly those ids at those pods' controller port.
 */
export function checkKafkaNodes(objects: Manifest[]): string[] {
  const sts = find(objects, "StatefulSet", "kafka");
  if (!sts) return [];
  const problems: string[] = [];
  const headless = sts.spec.serviceName;
  const controllerPort = sts.spec.template.spec.containers[0].ports?.find(
    (port: { name?: string }) => port.name === "controller",
  )?.containerPort;
  for (const [ordinal, { pod, run, config }] of startedConfigs(objects).entries()) {
    if (run.code !== 0) {
      problems.push(`${pod}: the start-up script exits ${run.code}: ${run.stderr.trim().slice(0, 300)}`);
      continue;
    }
    const nodeId = config.get("node.id");
    if (nodeId !== String(ordinal)) problems.push(`${pod}: node.id=${nodeId ?? "(unset)"}, expected its ordinal ${ordinal}`);
    const advertised = config.get("advertised.listeners") ?? "";
    const [listener] = addressesIn(advertised.replace(/^[A-Z_]+:\/\//, ""));
    if (!listener?.host.startsWith(`${pod}.${headless}.`))
      problems.push(`${pod}: advertises ${advertised}, not its own name ${pod}.${headless}`);
    if (!(config.get("process.roles") ?? "").split(",").includes("controller")) problems.push(`${pod}: is not a controller`);
    const voters = (config.get("controller.quorum.voters") ?? "").split(",").filter(Boolean);
    const expected = Array.from(
      { length: sts.spec.replicas ?? 1 },
      (_, id) => `${id}@${sts.metadata.name}-${id}.${headless}:${controllerPort}`,
    );
    const normalized = voters.map((voter) =>
      voter.replace(/\.svc(\.cluster\.local)?(?=:)/, "").replace(`.${headless}.${NAMESPACE}:`, `.${headless}:`),
    );
    if (normalized.join(",") !== expected.join(","))
      problems.push(`${pod}: controller.quorum.voters=${voters.join(",")}, expected ${expected.join(",")}`);
  }
  return problems;
}

/** The readiness script's answer for a broker, given what `kafka-topics.sh --under-replicated-partitions` prints. */
export function readiness(objects: Manifest[], pod: string, topicsOutput: string, topicsExit = 0): ScriptRun {
  const sts = find(objects, "StatefulSet", "kafka");
  if (!sts) throw new Error("no Kafka StatefulSet rendered");
  const command: string[] = sts.spec.template.spec.containers[0].readinessProbe?.exec?.command ?? [];
  const { path, files } = mountedScript(objects, sts, command);
  const script = files[path.slice(path.lastIndexOf("/") + 1)] ?? "";
  return runMapped(
    script,
    files,
    { HOSTNAME: pod, TOPICS_OUTPUT: topicsOutput },
    {
      "kafka-topics.sh": `printf '%s' "$TOPICS_OUTPUT"; exit ${topicsExit}`,
    },
  );
}
