// Checks of our own containers against what their code reads (service-config.ts): every variable set
// is one the service reads, every address is given, the ports it listens on are the ports declared,
// probed and targeted, and every probe path is a route it serves.
import type { IContainer } from "kubernetes-models/v1/Container";
import type { IProbe } from "kubernetes-models/v1/Probe";
import { environment } from "./checks.ts";
import { label, type Manifest, workloads } from "./manifests.ts";
import { type ServiceConfig, serviceConfig } from "./service-config.ts";

/** The entry file a container of one of our images runs (`args: ["consumer/src/index.ts"]`). */
export function entryOf(container: IContainer): string | undefined {
  return [...(container.command ?? []), ...(container.args ?? [])].find((word) => word.endsWith(".ts"));
}

/** The ports the service will listen on: each `env.port` variable's value, or its default. */
function listenPorts(config: ServiceConfig, values: Map<string, string>): Map<number, string> {
  const ports = new Map<number, string>();
  for (const variable of config.variables.values()) {
    if (variable.defaultPort === undefined) continue;
    const value = values.get(variable.name);
    const port = value === undefined ? variable.defaultPort : Number(value);
    ports.set(port, value === undefined ? `${variable.name} unset, default ${port}` : `${variable.name}=${value}`);
  }
  return ports;
}

function probes(container: IContainer): [string, IProbe][] {
  return (
    [
      ["readiness", container.readinessProbe],
      ["liveness", container.livenessProbe],
      ["startup", container.startupProbe],
    ] as [string, IProbe | undefined][]
  ).filter((entry): entry is [string, IProbe] => entry[1] !== undefined);
}

/**
 * Problems of one of our containers. `platformEnv` holds what the platform sets itself (Cloud Run's
 * PORT); `objects` resolves ConfigMap references.
 */
export function problemsOfServiceContainer(
  where: string,
  container: IContainer,
  objects: Manifest[],
  platformEnv: Record<string, string> = {},
): string[] {
  const entry = entryOf(container);
  // No entry file, or a script mounted from a ConfigMap (the load Job's): not a service of ours.
  if (!entry || entry.startsWith("/")) return [];
  const config = serviceConfig(entry);
  if (!config) return [`${where}: runs ${entry}, which reads no configuration with loadConfig (is the path right?)`];
  const problems: string[] = [];
  const values = new Map<string, string>(Object.entries(platformEnv));
  for (const { name, value } of environment(objects, container)) values.set(name, value);
  const names = new Set([...Object.keys(platformEnv), ...(container.env ?? []).map((variable) => variable.name), ...[...values.keys()]]);
  // A variable only there to be expanded into another (`$(MONGO_PASSWORD)` in MONGO_URL) is used.
  const expanded = new Set(
    (container.env ?? []).flatMap((variable) => [...(variable.value ?? "").matchAll(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g)].map((m) => m[1])),
  );
  for (const name of names) {
    if (!config.variables.has(name) && !expanded.has(name))
      problems.push(`${where}: sets ${name}, which ${config.entry} does not read (it reads ${[...config.variables.keys()].join(", ")})`);
  }
  for (const variable of config.variables.values()) {
    if (variable.loopbackDefault !== undefined && !names.has(variable.name))
      problems.push(
        `${where}: leaves ${variable.name} unset, so ${config.entry} would use its local default ${JSON.stringify(variable.loopbackDefault)}, the pod itself`,
      );
  }

  const listening = listenPorts(config, values);
  const declared = container.ports ?? [];
  for (const port of declared) {
    if (!listening.has(port.containerPort))
      problems.push(
        `${where}: containerPort ${port.containerPort}${port.name ? ` (${port.name})` : ""} is not a port ${config.entry} listens on (${[...listening.values()].join(", ")})`,
      );
  }
  for (const [port, why] of listening) {
    if (!declared.some((candidate) => candidate.containerPort === port))
      problems.push(`${where}: ${config.entry} listens on ${port} (${why}), which no containerPort declares`);
  }
  for (const [kind, probe] of probes(container)) {
    const target = probe.httpGet?.port ?? probe.grpc?.port ?? probe.tcpSocket?.port;
    if (target === undefined) continue;
    const port = typeof target === "number" ? target : declared.find((candidate) => candidate.name === target)?.containerPort;
    if (port === undefined) problems.push(`${where}: the ${kind} probe's port ${target} is no port of the container`);
    else if (!listening.has(port)) problems.push(`${where}: the ${kind} probe checks port ${port}, where ${config.entry} does not listen`);
    const path = probe.httpGet?.path;
    if (path !== undefined && !config.getRoutes.has(path.split("?")[0] as string))
      problems.push(`${where}: the ${kind} probe asks for ${path}, a path ${config.entry}'s code does not serve`);
  }
  return problems;
}

/** Every container of ours, in every workload rendered. */
export function checkServiceContainers(objects: Manifest[]): string[] {
  const problems: string[] = [];
  for (const { object, pod } of workloads(objects)) {
    for (const container of pod.containers) {
      problems.push(...problemsOfServiceContainer(`${label(object)} ${container.name}`, container, objects));
    }
  }
  return problems;
}

/** Every Service port reaches a port its pods' service actually listens on (not only a declared one). */
export function checkServiceTargets(objects: Manifest[]): string[] {
  const problems: string[] = [];
  const all = workloads(objects);
  for (const service of objects.filter((object) => object.kind === "Service")) {
    const selector: Record<string, string> = service.spec?.selector ?? {};
    const pods = all.filter((workload) => Object.entries(selector).every(([key, value]) => workload.podLabels[key] === value));
    for (const port of service.spec?.ports ?? []) {
      const target: string | number = port.targetPort ?? port.port;
      for (const { pod } of pods) {
        for (const container of pod.containers) {
          const declared = (container.ports ?? []).find((candidate) =>
            typeof target === "string" ? candidate.name === target : candidate.containerPort === target,
          );
          const entry = entryOf(container);
          const config = entry ? serviceConfig(entry) : undefined;
          if (!declared || !config) continue;
          const values = new Map(environment(objects, container).map(({ name, value }) => [name, value]));
          if (!listenPorts(config, values).has(declared.containerPort))
            problems.push(
              `${label(service)} port ${port.name ?? port.port} → ${container.name}:${declared.containerPort}, where ${config.entry} does not listen`,
            );
        }
      }
    }
  }
  return problems;
}
