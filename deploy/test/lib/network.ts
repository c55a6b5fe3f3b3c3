// A NetworkPolicy evaluator over the rendered objects (networking.k8s.io/v1 semantics): which
// connections between the namespace's pods and a few stand-ins for the world outside it are allowed.
// Pods get addresses in a typical GKE pod range, so an ipBlock wide enough to cover it is seen doing so.
import { label, type Manifest, NAMESPACE, workloads } from "./manifests.ts";

type Labels = Record<string, string>;

/** A source or destination of a connection. */
export interface Peer {
  /** How flows name it: an `app` label for our pods, a short name for the rest. */
  name: string;
  namespace?: string;
  namespaceLabels?: Labels;
  podLabels?: Labels;
  ip: string;
  /** Named ports of a pod, for policies that open `port: http`. */
  ports?: { name?: string; port: number; protocol: string }[];
}

export interface Destination {
  peer: Peer;
  port: number;
  protocol: string;
}

/** What stands for the world outside the namespace. */
export const OUTSIDE = {
  dns: { name: "kube-dns", namespace: "kube-system", podLabels: { "k8s-app": "kube-dns" }, ip: "10.4.0.10" },
  otherNamespacePod: { name: "pod-in-another-namespace", namespace: "tenant", podLabels: { app: "consumer" }, ip: "10.4.3.7" },
  ingressController: { name: "ingress-controller", namespace: "ingress-nginx", podLabels: { app: "ingress-nginx" }, ip: "10.4.2.9" },
  internet: { name: "internet", ip: "203.0.113.10" },
  metadata: { name: "metadata-server", ip: "169.254.169.254" },
  node: { name: "a-node", ip: "10.128.0.5" },
  cloudRun: { name: "cloud-run-subnet", ip: "10.8.0.5" },
} satisfies Record<string, Peer>;

const ipToNumber = (ip: string) => ip.split(".").reduce((sum, octet) => sum * 256 + Number(octet), 0);

export function inCidr(ip: string, cidr: string): boolean {
  const [base = "", bits = "32"] = cidr.split("/");
  if (base.includes(":")) return false;
  const size = 2 ** (32 - Number(bits));
  return Math.floor(ipToNumber(ip) / size) === Math.floor(ipToNumber(base) / size);
}

interface Selector {
  matchLabels?: Labels;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

export function selects(selector: Selector | undefined, labels: Labels | undefined): boolean {
  if (!selector) return true;
  const have = labels ?? {};
  const byLabel = Object.entries(selector.matchLabels ?? {}).every(([key, value]) => have[key] === value);
  const byExpression = (selector.matchExpressions ?? []).every(({ key, operator, values = [] }) => {
    if (operator === "In") return key in have && values.includes(have[key] as string);
    if (operator === "NotIn") return !(key in have) || !values.includes(have[key] as string);
    if (operator === "Exists") return key in have;
    if (operator === "DoesNotExist") return !(key in have);
    throw new Error(`unknown selector operator ${operator}`);
  });
  return byLabel && byExpression;
}

interface PolicyPeer {
  podSelector?: Selector;
  namespaceSelector?: Selector;
  ipBlock?: { cidr: string; except?: string[] };
}

function peerMatches(rule: PolicyPeer, peer: Peer, policyNamespace: string): boolean {
  if (rule.ipBlock) return inCidr(peer.ip, rule.ipBlock.cidr) && !(rule.ipBlock.except ?? []).some((cidr) => inCidr(peer.ip, cidr));
  if (!peer.podLabels) return false;
  const namespaceOk = rule.namespaceSelector
    ? selects(rule.namespaceSelector, peer.namespaceLabels ?? { "kubernetes.io/metadata.name": peer.namespace ?? "" })
    : peer.namespace === policyNamespace;
  return namespaceOk && selects(rule.podSelector, peer.podLabels);
}

interface PolicyPort {
  port?: number | string;
  endPort?: number;
  protocol?: string;
}

function portMatches(rules: PolicyPort[] | undefined, destination: Destination): boolean {
  if (!rules || rules.length === 0) return true;
  return rules.some((rule) => {
    if ((rule.protocol ?? "TCP") !== destination.protocol) return false;
    if (rule.port === undefined) return true;
    if (typeof rule.port === "string")
      return (destination.peer.ports ?? []).some(
        (port) => port.name === rule.port && port.port === destination.port && port.protocol === destination.protocol,
      );
    return rule.endPort === undefined ? rule.port === destination.port : rule.port <= destination.port && destination.port <= rule.endPort;
  });
}

function policiesFor(policies: Manifest[], peer: Peer, type: "Ingress" | "Egress"): Manifest[] {
  if (peer.namespace !== NAMESPACE || !peer.podLabels) return [];
  return policies.filter((policy) => {
    const types: string[] = policy.spec?.policyTypes ?? (policy.spec?.egress ? ["Ingress", "Egress"] : ["Ingress"]);
    return types.includes(type) && selects(policy.spec?.podSelector, peer.podLabels);
  });
}

/** Whether a connection from `source` to `destination` gets through every policy on both ends. */
export function allowed(policies: Manifest[], source: Peer, destination: Destination): boolean {
  const egress = policiesFor(policies, source, "Egress");
  const egressOk =
    egress.length === 0 ||
    egress.some((policy) =>
      (policy.spec?.egress ?? []).some(
        (rule: { to?: PolicyPeer[]; ports?: PolicyPort[] }) =>
          (!rule.to || rule.to.length === 0 || rule.to.some((to) => peerMatches(to, destination.peer, NAMESPACE))) &&
          portMatches(rule.ports, destination),
      ),
    );
  const ingress = policiesFor(policies, destination.peer, "Ingress");
  const ingressOk =
    ingress.length === 0 ||
    ingress.some((policy) =>
      (policy.spec?.ingress ?? []).some(
        (rule: { from?: PolicyPeer[]; ports?: PolicyPort[] }) =>
          (!rule.from || rule.from.length === 0 || rule.from.some((from) => peerMatches(from, source, NAMESPACE))) &&
          portMatches(rule.ports, destination),
      ),
    );
  return egressOk && ingressOk;
}

/** Our pods, one peer per workload, with addresses in the pod range. */
export function podsOf(objects: Manifest[]): Peer[] {
  return workloads(objects).map(({ object, pod, podLabels }, index) => ({
    name: podLabels.app ?? label(object),
    namespace: NAMESPACE,
    namespaceLabels: { "kubernetes.io/metadata.name": NAMESPACE },
    podLabels,
    ip: `10.4.1.${index + 10}`,
    ports: pod.containers.flatMap((container) =>
      (container.ports ?? []).map((port) => ({ name: port.name, port: port.containerPort, protocol: port.protocol ?? "TCP" })),
    ),
  }));
}

export interface Connection {
  source: Peer;
  destination: Destination;
  /** `consumer → mongodb:27017`, `producer-http → kube-dns:53/UDP`. */
  flow: string;
}

/**
 * Every connection worth asking about: from each of our pods and each stand-in outside to each
 * declared port of our pods, and from our pods to DNS, the metadata server, the internet (80, 443)
 * and a pod of another namespace.
 */
export function connections(objects: Manifest[]): Connection[] {
  const pods = podsOf(objects);
  const outside = Object.values(OUTSIDE) as Peer[];
  const destinations: Destination[] = [
    ...pods.flatMap((peer) => (peer.ports ?? []).map((port) => ({ peer, port: port.port, protocol: port.protocol }))),
    { peer: OUTSIDE.dns, port: 53, protocol: "UDP" },
    { peer: OUTSIDE.dns, port: 53, protocol: "TCP" },
    { peer: OUTSIDE.metadata, port: 80, protocol: "TCP" },
    { peer: OUTSIDE.internet, port: 80, protocol: "TCP" },
    { peer: OUTSIDE.internet, port: 443, protocol: "TCP" },
    { peer: OUTSIDE.otherNamespacePod, port: 9101, protocol: "TCP" },
  ];
  const found: Connection[] = [];
  for (const source of [...pods, ...outside]) {
    for (const destination of destinations) {
      // Outside to outside is no business of this namespace's policies (pod to same workload is: replicas).
      if (source.namespace !== NAMESPACE && destination.peer.namespace !== NAMESPACE) continue;
      const protocol = destination.protocol === "TCP" ? "" : `/${destination.protocol}`;
      found.push({ source, destination, flow: `${source.name} → ${destination.peer.name}:${destination.port}${protocol}` });
    }
  }
  return found;
}

/** The flows the policies allow. */
export function allowedFlows(objects: Manifest[]): Set<string> {
  const policies = objects.filter((object) => object.kind === "NetworkPolicy");
  return new Set(
    connections(objects)
      .filter(({ source, destination }) => allowed(policies, source, destination))
      .map(({ flow }) => flow),
  );
}

/** A flow the pipeline needs. `from`: pods' `app` labels or OUTSIDE names, all of `outside`, or all our `pods`. */
export interface NeededFlow {
  from: string[] | "outside" | "pods";
  to: string;
  port: number;
  protocol?: "TCP" | "UDP";
  why: string;
}

const KAFKA_CLIENTS = ["producer-http", "producer-grpc", "consumer", "kafka-topic", "kafka"];

/** The design's diagram as flows; those whose ends a rendering lacks do not apply to it. */
export const NEEDED: NeededFlow[] = [
  { from: "outside", to: "producer-http", port: 8000, why: "votes reach the HTTP edge through the Ingress" },
  { from: "outside", to: "producer-grpc", port: 3000, why: "votes reach the gRPC route's edge through the Ingress" },
  { from: "outside", to: "web", port: 8088, why: "the dashboard is public (components/dashboard)" },
  { from: "outside", to: "grafana", port: 3000, why: "people open Grafana (port-forward)" },
  {
    from: KAFKA_CLIENTS,
    to: "kafka",
    port: 9092,
    why: "servers publish, the consumer reads, the Job creates the topic, brokers replicate",
  },
  { from: ["kafka"], to: "kafka", port: 9093, why: "the KRaft controllers form their quorum" },
  { from: ["consumer", "web"], to: "mongodb", port: 27017, why: "the consumer logs votes in MongoDB; the dashboard reads them" },
  { from: ["consumer", "web", "grafana"], to: "redis", port: 6379, why: "the consumer counts in Redis; dashboard and Grafana read" },
  { from: ["cloud-run-subnet"], to: "mongodb", port: 27017, why: "the Cloud Run dashboard reads (components/cloudrun-backends)" },
  { from: ["cloud-run-subnet"], to: "redis", port: 6379, why: "the Cloud Run dashboard reads (components/cloudrun-backends)" },
  { from: ["load-generator"], to: "internet", port: 80, why: "the load Job sends votes to the Ingress's public address" },
  { from: ["load-generator"], to: "internet", port: 443, why: "the load Job reads the Ingress's address from the API server" },
  { from: "pods", to: "kube-dns", port: 53, protocol: "UDP", why: "every pod resolves Service names" },
  { from: "pods", to: "kube-dns", port: 53, protocol: "TCP", why: "every pod resolves Service names (large answers)" },
];

function needs(rule: NeededFlow, { source, destination }: Connection, cloudRunBackends: boolean): boolean {
  if (rule.to !== destination.peer.name || rule.port !== destination.port || (rule.protocol ?? "TCP") !== destination.protocol)
    return false;
  if (rule.from === "outside") return source.namespace !== NAMESPACE;
  if (rule.from === "pods") return source.namespace === NAMESPACE && source.podLabels !== undefined;
  if (source === OUTSIDE.cloudRun && !cloudRunBackends) return false;
  return rule.from.includes(source.name);
}

/** The needed flows among a rendering's pods and the stand-ins outside. */
export function neededFlows(objects: Manifest[]): Set<string> {
  const cloudRunBackends = objects.some((object) => object.kind === "Service" && object.metadata.name.endsWith("-internal"));
  return new Set(
    connections(objects)
      .filter((connection) => NEEDED.some((rule) => needs(rule, connection, cloudRunBackends)))
      .map(({ flow }) => flow),
  );
}

/** Needed flows the policies deny, and allowed flows nothing needs. */
export function checkFlows(objects: Manifest[]): string[] {
  const allowed = allowedFlows(objects);
  const needed = neededFlows(objects);
  return [
    ...[...needed].filter((flow) => !allowed.has(flow)).map((flow) => `needed but denied: ${flow}`),
    ...[...allowed].filter((flow) => !needed.has(flow)).map((flow) => `allowed but not needed: ${flow}`),
  ];
}
