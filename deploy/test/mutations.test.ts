// Seeds one known mistake at a time into a copy of deploy/ and asserts the offline suite (lib/suite.ts)
// fails on it in the test that should catch it: a check that cannot fail here would let it through.
// The faults only a real API server sees (unknown fields, selectors) are in apiserver.test.ts.
import { afterAll, describe, expect, test } from "bun:test";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deployDir, render } from "./lib/manifests.ts";
import { SUITE } from "./lib/suite.ts";

interface Fault {
  name: string;
  file: string;
  from: string | RegExp;
  to: string;
  /** Components switched on for the rendering the fault shows in. */
  components?: string[];
  caughtBy: string;
}

const FAULTS: Fault[] = [
  // The five faults of issue #15.
  {
    name: "the consumer's PORT set to 9999 (probes still on 9101)",
    file: "consumer.yaml",
    from: '- name: PORT\n              value: "9101"',
    to: '- name: PORT\n              value: "9999"',
    caughtBy: "containers.test.ts › our containers set only",
  },
  {
    name: "MONGO_URL renamed MONGO_URI (the consumer would fall back to 127.0.0.1)",
    file: "consumer.yaml",
    from: "- name: MONGO_URL",
    to: "- name: MONGO_URI",
    caughtBy: "containers.test.ts › our containers set only",
  },
  {
    name: "the consumer removed from the MongoDB and Kafka NetworkPolicies",
    file: "network-policies.yaml",
    from: /values: \[producer-http, producer-grpc, consumer, kafka-topic, kafka\]([\s\S]*?)values: \[consumer, web\]/,
    to: "values: [producer-http, producer-grpc, kafka-topic, kafka]$1values: [web]",
    caughtBy: "network.test.ts › every needed flow",
  },
  {
    name: "Kafka's node.id computed from the wrong part of the hostname",
    file: "kafka/start.sh",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not a template.
    from: "ordinal=${HOSTNAME##*-}",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not a template.
    to: "ordinal=${HOSTNAME%%-*}",
    caughtBy: "kafka.test.ts › each pod gets its ordinal",
  },
  {
    name: "a misspelled Grafana query field (command)",
    file: "grafana/marimba.json",
    from: '"command"',
    to: '"comand"',
    caughtBy: "grafana.test.ts › every panel",
  },
  // More of the same kind.
  {
    name: "a misspelled keyName in a Grafana panel",
    file: "grafana/marimba.json",
    from: '"keyName"',
    to: '"keyname"',
    caughtBy: "grafana.test.ts › every panel",
  },
  {
    name: "a readiness probe on a path the edge does not serve (/ready)",
    file: "producer-http.yaml",
    from: "path: /readyz",
    to: "path: /ready",
    caughtBy: "containers.test.ts › our containers set only",
  },
  {
    name: "the HTTP server's containerPort moved off the port it listens on",
    file: "producer-http.yaml",
    from: "containerPort: 8080",
    to: "containerPort: 8081",
    caughtBy: "containers.test.ts › our containers set only",
  },
  {
    name: "HOST left out of the consumer (it would listen on 127.0.0.1 only)",
    file: "consumer.yaml",
    from: / {12}# The services listen on 127\.0\.0\.1 by default[^\n]*\n {12}- name: HOST\n {14}value: 0\.0\.0\.0\n/,
    to: "",
    caughtBy: "containers.test.ts › our containers set only",
  },
  {
    name: "egress opened again for Grafana (it could reach the metadata server and the internet)",
    file: "network-policies.yaml",
    from: /(name: grafana[\s\S]*?egress:\n)/,
    to: "$1    - {}\n",
    caughtBy: "network.test.ts › every needed flow",
  },
  {
    name: "the internal load balancers' ipBlock widened to 10.0.0.0/8 (pods of any namespace reach Redis)",
    file: "components/cloudrun-backends/internal-load-balancers.yaml",
    from: /cidr: 10\.8\.0\.0\/26/g,
    to: "cidr: 10.0.0.0/8",
    components: ["cloudrun-backends"],
    caughtBy: "network.test.ts › every needed flow",
  },
  {
    name: "a Kafka voter with the wrong id",
    file: "kafka/server.properties",
    from: "2@kafka-2.kafka-headless:9093",
    to: "3@kafka-2.kafka-headless:9093",
    caughtBy: "kafka.test.ts › each pod gets its ordinal",
  },
  {
    name: "labels written into the volumeClaimTemplates again (includeTemplates)",
    file: "kustomization.yaml",
    from: / {4}fields:\n( {6}- kind: \w+\n {8}path: [^\n]+\n {8}create: true\n)+/,
    to: "    includeTemplates: true\n",
    caughtBy: "containers.test.ts › every emptyDir is capped",
  },
  {
    name: "a log emptyDir without its sizeLimit",
    file: "kafka.yaml",
    from: "emptyDir:\n            sizeLimit: 1Gi",
    to: "emptyDir: {}",
    caughtBy: "containers.test.ts › every emptyDir is capped",
  },
  {
    name: "the topic created with fewer partitions than the HPA's maximum",
    file: "kafka-topic.yaml",
    from: '- name: TOPIC_PARTITIONS\n              value: "6"',
    to: '- name: TOPIC_PARTITIONS\n              value: "4"',
    caughtBy: "references.test.ts › the HPA scales",
  },
];

const copies: string[] = [];
afterAll(() => {
  for (const copy of copies) rmSync(copy, { recursive: true, force: true });
});

/** A copy of deploy/ (manifests only) with one text change applied. */
function seed(fault: Fault): string {
  const copy = mkdtempSync(join(tmpdir(), "marimba-deploy-mutant-"));
  copies.push(copy);
  cpSync(deployDir, copy, {
    recursive: true,
    filter: (path) => !/\/(test|apiserver|node_modules)(\/|$)/.test(path.slice(deployDir.length)),
  });
  const path = join(copy, fault.file);
  const before = readFileSync(path, "utf8");
  const after = typeof fault.from === "string" ? before.replace(fault.from, fault.to) : before.replace(fault.from, fault.to);
  if (after === before) throw new Error(`fault "${fault.name}" changed nothing in ${fault.file}: update its pattern`);
  writeFileSync(path, after);
  return copy;
}

function failing(objects: ReturnType<typeof render>): { test: string; problems: string[] }[] {
  return SUITE.map(({ test, check }) => ({ test, problems: check(objects) })).filter(({ problems }) => problems.length > 0);
}

describe("seeded faults", () => {
  test("an unchanged copy of deploy/ passes every check, so each failure below is the fault's", () => {
    const copy = seed({ name: "none", file: "kustomization.yaml", from: /$/, to: "\n", caughtBy: "" });
    expect(failing(render([], copy))).toEqual([]);
    expect(failing(render(["cloudrun-backends"], copy))).toEqual([]);
  });

  for (const fault of FAULTS) {
    test(`${fault.name}: caught by ${fault.caughtBy}…`, () => {
      const objects = render(fault.components ?? [], seed(fault));
      const failed = failing(objects);
      const caught = failed.find(({ test }) => test.startsWith(fault.caughtBy));
      expect(failed.map(({ test }) => test)).toContainEqual(expect.stringContaining(fault.caughtBy));
      expect(caught?.problems.length).toBeGreaterThan(0);
    });
  }
});
