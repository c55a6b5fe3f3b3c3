// Checks over rendered manifests. Each returns the problems it found as sentences naming the
// object, so a failing test says what to fix; an empty list means the rule holds.
import type { IContainer } from "kubernetes-models/v1/Container";
import type { IEnvVar } from "kubernetes-models/v1/EnvVar";
import type { IPodSpec } from "kubernetes-models/v1/PodSpec";
import { containersOf, label, type Manifest, type Workload, workloads } from "./manifests.ts";

const CLUSTER_SCOPED = new Set([
  "Namespace",
  "ClusterRole",
  "ClusterRoleBinding",
  "CustomResourceDefinition",
  "PersistentVolume",
  "StorageClass",
  "IngressClass",
  "PriorityClass",
]);

/** `name:tag` or `name@sha256:…`, and never the moving `latest`. */
export function isPinnedImage(image: string | undefined): boolean {
  if (!image || /\s|\$/.test(image)) return false;
  if (/@sha256:[0-9a-f]{64}$/.test(image)) return true;
  const lastSegment = image.slice(image.lastIndexOf("/") + 1);
  const colon = lastSegment.lastIndexOf(":");
  if (colon === -1) return false;
  const tag = lastSegment.slice(colon + 1);
  return tag !== "" && tag !== "latest";
}

export function checkNamespaces(objects: Manifest[], namespace: string): string[] {
  return objects
    .filter((object) => !CLUSTER_SCOPED.has(object.kind) && object.metadata.namespace !== namespace)
    .map((object) => `${label(object)} is in namespace ${object.metadata.namespace ?? "(none)"}, not ${namespace}`);
}

function hasCpuAndMemory(resources: Record<string, unknown> | undefined): boolean {
  return resources?.cpu !== undefined && resources?.memory !== undefined;
}

/** Requests, limits, probes, a locked-down security context and a pinned image, for every container. */
export function checkContainers(objects: Manifest[]): string[] {
  const problems: string[] = [];
  for (const { object, pod, runsToCompletion } of workloads(objects)) {
    const podNonRoot = pod.securityContext?.runAsNonRoot === true;
    const podSeccomp = pod.securityContext?.seccompProfile?.type;
    for (const { container, init } of containersOf(pod)) {
      const where = `${label(object)} container ${container.name}`;
      const security = container.securityContext;
      if (!isPinnedImage(container.image)) problems.push(`${where}: image ${container.image} is not pinned to a tag or digest`);
      if (!hasCpuAndMemory(container.resources?.requests)) problems.push(`${where}: needs cpu and memory requests`);
      if (!hasCpuAndMemory(container.resources?.limits)) problems.push(`${where}: needs cpu and memory limits`);
      if (!(security?.runAsNonRoot ?? podNonRoot)) problems.push(`${where}: must set runAsNonRoot`);
      if (security?.readOnlyRootFilesystem !== true) problems.push(`${where}: must set readOnlyRootFilesystem`);
      if (security?.allowPrivilegeEscalation !== false) problems.push(`${where}: must set allowPrivilegeEscalation: false`);
      if (!security?.capabilities?.drop?.includes("ALL")) problems.push(`${where}: must drop ALL capabilities`);
      // The namespace enforces the "restricted" Pod Security Standard, which also wants this.
      if ((security?.seccompProfile?.type ?? podSeccomp) !== "RuntimeDefault")
        problems.push(`${where}: needs the RuntimeDefault seccomp profile`);
      // Init containers and Jobs run to completion; probes only make sense for what keeps running.
      if (init || runsToCompletion) continue;
      if (!container.readinessProbe) problems.push(`${where}: needs a readiness probe`);
      if (!container.livenessProbe) problems.push(`${where}: needs a liveness probe`);
      const servesGrpc = container.ports?.some((port) => port.name === "grpc");
      if (servesGrpc && !container.readinessProbe?.grpc)
        problems.push(`${where}: serves gRPC, so its readiness probe must be a native grpc probe`);
    }
  }
  return problems;
}

/**
 * A container told a PORT is told to listen on every interface: the services default to 127.0.0.1,
 * which neither kubelet probes nor Services (both use the pod IP) can reach.
 */
export function checkListenAddresses(objects: Manifest[]): string[] {
  const problems: string[] = [];
  for (const { object, pod } of workloads(objects)) {
    for (const container of pod.containers) {
      const env = environment(objects, container);
      if (!env.some((variable) => variable.name === "PORT")) continue;
      const host = env.find((variable) => variable.name === "HOST")?.value;
      if (host !== "0.0.0.0" && host !== "::")
        problems.push(`${label(object)} ${container.name}: sets PORT but listens on ${host ?? "the default 127.0.0.1"}`);
    }
  }
  return problems;
}

function podSelects(selector: Record<string, string>, podLabels: Record<string, string>): boolean {
  return Object.entries(selector).every(([key, value]) => podLabels[key] === value);
}

function containerPorts(pod: IPodSpec): { name?: string; containerPort: number }[] {
  return pod.containers.flatMap((container) => container.ports ?? []);
}

/** Every Service selects pods of some workload, and each targetPort exists on those pods. */
export function checkServices(objects: Manifest[]): string[] {
  const problems: string[] = [];
  const all = workloads(objects);
  for (const service of objects.filter((object) => object.kind === "Service")) {
    const selector: Record<string, string> | undefined = service.spec?.selector;
    if (!selector || Object.keys(selector).length === 0) {
      problems.push(`${label(service)} has no selector`);
      continue;
    }
    const selected = all.filter((workload) => podSelects(selector, workload.podLabels));
    if (selected.length === 0) {
      problems.push(`${label(service)} selects no workload's pods (${JSON.stringify(selector)})`);
      continue;
    }
    for (const port of service.spec?.ports ?? []) {
      const target: string | number = port.targetPort ?? port.port;
      const exists = selected.some((workload) =>
        containerPorts(workload.pod).some((candidate) =>
          typeof target === "string" ? candidate.name === target : candidate.containerPort === target,
        ),
      );
      if (!exists)
        problems.push(`${label(service)} port ${port.name ?? port.port}: targetPort ${target} is no container port of the pods it selects`);
    }
  }
  return problems;
}

/** `host:port` pairs in a value: a URL, a broker list, a KRaft voter list (`0@host:9093`). */
export function addressesIn(value: string): { host: string; port: number }[] {
  const found: { host: string; port: number }[] = [];
  for (const part of value.split(",")) {
    const match = part.trim().match(/^(?:[a-z][a-z0-9+.-]*:\/\/)?(?:[^@/\s]*@)?([A-Za-z0-9_$().-]+):(\d{1,5})(?:[/?#].*)?$/);
    if (match?.[1] && match[2]) found.push({ host: match[1], port: Number(match[2]) });
  }
  return found;
}

/** Services an operator creates from a rendered custom resource (Strimzi's bootstrap Service). */
function generatedServices(objects: Manifest[]): Map<string, number[]> {
  const services = new Map<string, number[]>();
  for (const kafka of objects.filter((object) => object.kind === "Kafka" && object.apiVersion.startsWith("kafka.strimzi.io/"))) {
    const ports = (kafka.spec?.kafka?.listeners ?? []).map((listener: { port: number }) => listener.port);
    services.set(`${kafka.metadata.name}-kafka-bootstrap`, ports);
  }
  return services;
}

const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1"]);

/** Why `host:port`, used from a pod, reaches nothing; undefined when it names a real endpoint. */
export function unresolvedAddress(objects: Manifest[], pod: IPodSpec, host: string, port: number, namespace: string): string | undefined {
  if (LOOPBACK.has(host)) {
    return containerPorts(pod).some((candidate) => candidate.containerPort === port)
      ? undefined
      : `no container of the pod listens on ${port}`;
  }
  const labels = host.replace(/\.svc(\.cluster\.local)?$/, "").split(".");
  if (labels.length > 1 && labels.at(-1) === namespace) labels.pop();
  const servicePorts = (name: string) =>
    objects
      .find((object) => object.kind === "Service" && object.metadata.name === name)
      ?.spec?.ports?.map((p: { port: number }) => p.port) ?? generatedServices(objects).get(name);
  if (labels.length === 1 && labels[0]) {
    const ports = servicePorts(labels[0]);
    if (!ports) return `there is no Service ${labels[0]}`;
    return ports.includes(port) ? undefined : `Service ${labels[0]} has no port ${port}`;
  }
  if (labels.length === 2 && labels[0] && labels[1]) {
    // <pod>.<headless service>: a StatefulSet pod's own DNS name.
    const [podName, serviceName] = labels;
    const service = objects.find((object) => object.kind === "Service" && object.metadata.name === serviceName);
    if (service?.spec?.clusterIP !== "None") return `there is no headless Service ${serviceName}`;
    const owner = objects.find(
      (object) =>
        object.kind === "StatefulSet" &&
        object.spec?.serviceName === serviceName &&
        podName.startsWith(`${object.metadata.name}-`) &&
        Number(podName.slice(object.metadata.name.length + 1)) < (object.spec?.replicas ?? 1),
    );
    if (!owner) return `no StatefulSet of Service ${serviceName} has a pod ${podName}`;
    return containerPorts(owner.spec.template.spec).some((candidate) => candidate.containerPort === port)
      ? undefined
      : `pod ${podName} does not listen on ${port}`;
  }
  return `cannot tell what ${host} names`;
}

/** The value of an environment variable, following configMapKeyRef into the rendered ConfigMaps. */
function envValue(objects: Manifest[], variable: IEnvVar): string | undefined {
  if (variable.value !== undefined) return variable.value;
  const reference = variable.valueFrom?.configMapKeyRef;
  if (!reference) return undefined;
  return objects.find((object) => object.kind === "ConfigMap" && object.metadata.name === reference.name)?.data?.[reference.key];
}

/** A container's variables whose values the rendering knows (literal, or from a ConfigMap). */
export function environment(objects: Manifest[], container: IContainer): { name: string; value: string }[] {
  const values: { name: string; value: string }[] = [];
  for (const source of container.envFrom ?? []) {
    const data = objects.find((object) => object.kind === "ConfigMap" && object.metadata.name === source.configMapRef?.name)?.data ?? {};
    values.push(...Object.entries(data).map(([name, value]) => ({ name, value })));
  }
  for (const variable of container.env ?? []) {
    const value = envValue(objects, variable);
    if (value !== undefined) values.push({ name: variable.name, value });
  }
  return values;
}

/** Every address in an environment variable names an existing Service (or pod) and port. */
export function checkAddresses(objects: Manifest[], namespace: string): string[] {
  const problems: string[] = [];
  for (const { object, pod } of workloads(objects)) {
    for (const { container } of containersOf(pod)) {
      for (const { name, value } of environment(objects, container)) {
        if (/^[a-z][a-z0-9+.-]*:\/\/[^/:]+(\/.*)?$/.test(value))
          problems.push(`${label(object)} ${container.name} ${name}=${value}: the URL has no port`);
        for (const { host, port } of addressesIn(value)) {
          const why = unresolvedAddress(objects, pod, host, port, namespace);
          if (why) problems.push(`${label(object)} ${container.name} ${name}=${value}: ${why}`);
        }
      }
    }
  }
  return problems;
}

/** ConfigMaps, Secrets and ServiceAccounts that pods and bindings refer to all exist. */
export function checkReferences(objects: Manifest[]): string[] {
  const problems: string[] = [];
  const byName = (kind: string, name: string | undefined) =>
    objects.find((object) => object.kind === kind && object.metadata.name === name);
  const keyExists = (kind: "ConfigMap" | "Secret", name: string, key: string) => {
    const object = byName(kind, name);
    return object?.data?.[key] !== undefined || (object?.stringData as Record<string, string> | undefined)?.[key] !== undefined;
  };
  for (const { object, pod } of workloads(objects)) {
    const where = label(object);
    if (pod.serviceAccountName && !byName("ServiceAccount", pod.serviceAccountName)) {
      problems.push(`${where}: ServiceAccount ${pod.serviceAccountName} does not exist`);
    }
    for (const volume of pod.volumes ?? []) {
      if (volume.configMap && !byName("ConfigMap", volume.configMap.name))
        problems.push(`${where}: volume ${volume.name} needs ConfigMap ${volume.configMap.name}`);
      if (volume.secret && !byName("Secret", volume.secret.secretName))
        problems.push(`${where}: volume ${volume.name} needs Secret ${volume.secret.secretName}`);
    }
    for (const { container } of containersOf(pod)) {
      const volumes = new Set((pod.volumes ?? []).map((volume) => volume.name));
      for (const mount of container.volumeMounts ?? []) {
        const claimed = object.spec?.volumeClaimTemplates?.some((claim: Manifest) => claim.metadata.name === mount.name);
        if (!volumes.has(mount.name) && !claimed) problems.push(`${where} ${container.name}: mounts unknown volume ${mount.name}`);
      }
      for (const source of container.envFrom ?? []) {
        if (source.configMapRef && !byName("ConfigMap", source.configMapRef.name))
          problems.push(`${where} ${container.name}: envFrom ConfigMap ${source.configMapRef.name} does not exist`);
        if (source.secretRef && !byName("Secret", source.secretRef.name))
          problems.push(`${where} ${container.name}: envFrom Secret ${source.secretRef.name} does not exist`);
      }
      for (const variable of container.env ?? []) {
        const configMap = variable.valueFrom?.configMapKeyRef;
        if (configMap && !configMap.optional && !keyExists("ConfigMap", configMap.name ?? "", configMap.key)) {
          problems.push(`${where} ${container.name} ${variable.name}: ConfigMap ${configMap.name} has no key ${configMap.key}`);
        }
        const secret = variable.valueFrom?.secretKeyRef;
        if (secret && !secret.optional && !keyExists("Secret", secret.name ?? "", secret.key)) {
          problems.push(`${where} ${container.name} ${variable.name}: Secret ${secret.name} has no key ${secret.key}`);
        }
      }
    }
  }
  for (const binding of objects.filter((object) => object.kind === "RoleBinding")) {
    const role = binding.roleRef as { kind: string; name: string };
    if (!byName(role.kind, role.name)) problems.push(`${label(binding)}: ${role.kind} ${role.name} does not exist`);
    for (const subject of (binding.subjects as { kind: string; name: string }[]) ?? []) {
      if (!byName(subject.kind, subject.name)) problems.push(`${label(binding)}: subject ${subject.kind}/${subject.name} does not exist`);
    }
  }
  return problems;
}

/** Every Ingress backend names an existing Service and one of its ports. */
export function checkIngresses(objects: Manifest[]): string[] {
  const problems: string[] = [];
  for (const ingress of objects.filter((object) => object.kind === "Ingress")) {
    for (const rule of ingress.spec?.rules ?? []) {
      for (const path of rule.http?.paths ?? []) {
        const backend = path.backend?.service;
        const service = objects.find((object) => object.kind === "Service" && object.metadata.name === backend?.name);
        if (!service) {
          problems.push(`${label(ingress)} ${path.path}: there is no Service ${backend?.name}`);
          continue;
        }
        const ports: { name?: string; port: number }[] = service.spec?.ports ?? [];
        const wanted = backend.port;
        if (!ports.some((port) => (wanted.name !== undefined ? port.name === wanted.name : port.port === wanted.number))) {
          problems.push(`${label(ingress)} ${path.path}: Service ${service.metadata.name} has no port ${wanted.name ?? wanted.number}`);
        }
      }
    }
  }
  return problems;
}

/** Every named port a NetworkPolicy opens exists on a pod it selects (a typo would block traffic). */
export function checkNetworkPolicies(objects: Manifest[]): string[] {
  const problems: string[] = [];
  const all = workloads(objects);
  for (const policy of objects.filter((object) => object.kind === "NetworkPolicy")) {
    const selector: Record<string, string> = policy.spec?.podSelector?.matchLabels ?? {};
    const selected = all.filter((workload) => podSelects(selector, workload.podLabels));
    for (const rule of policy.spec?.ingress ?? []) {
      for (const { port } of rule.ports ?? []) {
        if (typeof port !== "string") continue;
        if (!selected.some((workload) => containerPorts(workload.pod).some((candidate) => candidate.name === port))) {
          problems.push(`${label(policy)} opens port ${port}, which no pod it selects has`);
        }
      }
    }
  }
  return problems;
}

/** The partition count of a topic, as the rendered topic Job or Strimzi KafkaTopic sets it. */
export function topicPartitions(objects: Manifest[], topic: string): number | undefined {
  const strimzi = objects.find((object) => object.kind === "KafkaTopic" && (object.spec?.topicName ?? object.metadata.name) === topic);
  if (strimzi) return strimzi.spec?.partitions;
  for (const { object, pod } of workloads(objects).filter((workload) => workload.runsToCompletion)) {
    for (const container of pod.containers) {
      const env = environment(objects, container);
      const creates = env.find((variable) => variable.name === "KAFKA_TOPIC")?.value === topic;
      const partitions = env.find((variable) => variable.name === "TOPIC_PARTITIONS")?.value;
      if (creates && partitions !== undefined && object.metadata.name.includes("topic")) return Number(partitions);
    }
  }
  return undefined;
}

/** The consumer's HPA: targets its Deployment, 2–5 replicas on CPU, never more than the partitions. */
export function checkAutoscaling(objects: Manifest[], deploymentName: string): string[] {
  const problems: string[] = [];
  const hpa = objects.find((object) => object.kind === "HorizontalPodAutoscaler" && object.spec?.scaleTargetRef?.name === deploymentName);
  if (!hpa) return [`no HorizontalPodAutoscaler targets ${deploymentName}`];
  const target = hpa.spec.scaleTargetRef;
  const deployment = objects.find((object) => object.kind === target.kind && object.metadata.name === target.name);
  if (target.kind !== "Deployment" || !deployment) return [`${label(hpa)} targets ${target.kind}/${target.name}, which does not exist`];
  if (hpa.spec.minReplicas !== 2 || hpa.spec.maxReplicas !== 5)
    problems.push(`${label(hpa)} scales ${hpa.spec.minReplicas}–${hpa.spec.maxReplicas}, not 2–5`);
  if (!hpa.spec.metrics?.some((metric: { resource?: { name: string } }) => metric.resource?.name === "cpu"))
    problems.push(`${label(hpa)} does not scale on CPU`);
  if (hpa.spec.behavior?.scaleDown?.stabilizationWindowSeconds === undefined)
    problems.push(`${label(hpa)} has no scale-down stabilization window`);
  if (deployment.spec?.replicas !== undefined)
    problems.push(`${label(deployment)} sets replicas, which every apply would reset under the HPA`);
  const pod: IPodSpec = deployment.spec.template.spec;
  for (const container of pod.containers) {
    if (!container.resources?.requests?.cpu)
      problems.push(`${label(deployment)} ${container.name}: the HPA's CPU target needs a CPU request`);
  }
  // The consumer finishes its batch within 10 s of SIGTERM (docs/ARCHITECTURE.md); the grace period must cover it.
  if ((pod.terminationGracePeriodSeconds ?? 30) < 20)
    problems.push(`${label(deployment)}: terminationGracePeriodSeconds is too short for a clean shutdown`);
  const topic = environment(objects, pod.containers[0] as IContainer).find((variable) => variable.name === "KAFKA_TOPIC")?.value;
  if (!topic) return [...problems, `${label(deployment)} has no KAFKA_TOPIC`];
  const partitions = topicPartitions(objects, topic);
  if (partitions === undefined) problems.push(`nothing creates topic ${topic}`);
  else if (partitions < hpa.spec.maxReplicas)
    problems.push(`topic ${topic} has ${partitions} partitions, fewer than the HPA's ${hpa.spec.maxReplicas} replicas`);
  return problems;
}

/** Workloads whose pods carry the given `app` label. */
export function workloadsOf(objects: Manifest[], app: string): Workload[] {
  return workloads(objects).filter((workload) => workload.podLabels.app === app);
}

/**
 * Every emptyDir is capped (a chatty process must not fill the node's disk), and StatefulSets'
 * volumeClaimTemplates carry no labels: they cannot change after creation, so a later change to a
 * shared label would make every apply fail on them.
 */
export function checkVolumes(objects: Manifest[]): string[] {
  const problems: string[] = [];
  for (const { object, pod } of workloads(objects)) {
    for (const volume of pod.volumes ?? []) {
      if (volume.emptyDir && volume.emptyDir.sizeLimit === undefined)
        problems.push(`${label(object)}: emptyDir ${volume.name} has no sizeLimit`);
    }
    for (const claim of object.spec?.volumeClaimTemplates ?? []) {
      if (Object.keys(claim.metadata?.labels ?? {}).length > 0)
        problems.push(`${label(object)}: volumeClaimTemplate ${claim.metadata.name} has labels ${JSON.stringify(claim.metadata.labels)}`);
    }
  }
  return problems;
}
