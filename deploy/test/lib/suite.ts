// The offline checks the deploy tests run over a rendering, by the test that runs each, so the
// mutation test (mutations.test.ts) can say which test a seeded fault trips.

import { tallyKeys, VOTE_SERIES_KEY } from "@marimba/shared";
import { parse } from "yaml";
import {
  checkAddresses,
  checkAutoscaling,
  checkContainers,
  checkIngresses,
  checkListenAddresses,
  checkNetworkPolicies,
  checkReferences,
  checkServices,
  checkVolumes,
} from "./checks.ts";
import { type Dashboard, dashboardTargets, problemsOfTarget } from "./grafana.ts";
import { checkKafkaNodes } from "./kafka.ts";
import { findGenerated, type Manifest, NAMESPACE } from "./manifests.ts";
import { checkFlows } from "./network.ts";
import { validateObjects } from "./schema.ts";
import { checkServiceContainers, checkServiceTargets } from "./service-checks.ts";

/** The Grafana dashboard's panels against the consumer's keys and the provisioned data source. */
export function checkGrafanaDashboard(objects: Manifest[]): string[] {
  const file = (name: string, key: string) => findGenerated(objects, "ConfigMap", name)?.data?.[key];
  const dashboard = file("grafana-dashboards", "marimba.json");
  const datasources = file("grafana-datasources", "datasources.yaml");
  if (!dashboard || !datasources) return ["the Grafana dashboard or data source ConfigMap is missing"];
  const uid = parse(datasources).datasources[0].uid;
  return dashboardTargets(JSON.parse(dashboard) as Dashboard).flatMap(({ panel, target }) =>
    problemsOfTarget(panel, target, uid, { ...tallyKeys, series: VOTE_SERIES_KEY }),
  );
}

export const SUITE: { test: string; check: (objects: Manifest[]) => string[] }[] = [
  { test: "schema.test.ts › every rendered object validates against its schema", check: validateObjects },
  { test: "references.test.ts › every Service selects a workload's pods and targets one of their ports", check: checkServices },
  {
    test: "references.test.ts › every address in an environment variable names an existing Service and port",
    check: (o) => checkAddresses(o, NAMESPACE),
  },
  { test: "references.test.ts › every ConfigMap, Secret, ServiceAccount and volume referred to exists", check: checkReferences },
  { test: "references.test.ts › every Ingress backend exists", check: checkIngresses },
  { test: "references.test.ts › every port a NetworkPolicy opens exists on the pods it selects", check: checkNetworkPolicies },
  {
    test: "references.test.ts › the HPA scales the consumer 2–5 on CPU and the topic has a partition for each replica",
    check: (o) => checkAutoscaling(o, "consumer"),
  },
  {
    test: "containers.test.ts › every container has requests, limits, probes, a locked-down security context and a pinned image",
    check: checkContainers,
  },
  { test: "containers.test.ts › every service listens on all interfaces", check: checkListenAddresses },
  {
    test: "containers.test.ts › our containers set only variables their code reads, every address, and probe the ports and paths it serves",
    check: checkServiceContainers,
  },
  { test: "containers.test.ts › every Service port reaches a port its pods' code listens on", check: checkServiceTargets },
  { test: "containers.test.ts › every emptyDir is capped and no volumeClaimTemplate carries labels", check: checkVolumes },
  { test: "network.test.ts › every needed flow is allowed and nothing else is", check: checkFlows },
  {
    test: "kafka.test.ts › each pod gets its ordinal as node id, advertises its own name, and the voters are those pods",
    check: checkKafkaNodes,
  },
  {
    test: "grafana.test.ts › every panel queries a Redis key the consumer writes, with the command its type needs",
    check: checkGrafanaDashboard,
  },
];
