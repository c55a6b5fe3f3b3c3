// Kafka's start-up and readiness scripts, run as each pod would run them (lib/kafka.ts).
import { describe, expect, test } from "bun:test";
import { checkKafkaNodes, readiness, startedConfigs } from "./lib/kafka.ts";
import { find, render } from "./lib/manifests.ts";

const objects = render();
const line = (partition: number, replicas: string, isr: string) =>
  `\tTopic: votes\tTopicId: 5bB1\tPartition: ${partition}\tLeader: 1\tReplicas: ${replicas}\tIsr: ${isr}\tElr: \tLastKnownElr: \n`;

describe("Kafka start-up script", () => {
  test("each pod gets its ordinal as node id, advertises its own name, and the voters are those pods", () => {
    expect(startedConfigs(objects).map(({ config }) => config.get("node.id"))).toEqual(["0", "1", "2"]);
    expect(checkKafkaNodes(objects)).toEqual([]);
  });

  test("the log directories are on the data volume, not the image's /tmp default", () => {
    const [first] = startedConfigs(objects);
    const mount = find(objects, "StatefulSet", "kafka")?.spec.template.spec.containers[0].volumeMounts.find(
      (candidate: { name: string }) => candidate.name === "data",
    );
    expect(first?.config.get("log.dirs")?.startsWith(`${mount.mountPath}/`)).toBe(true);
  });
});

describe("Kafka readiness", () => {
  test("a broker in the ISR of every partition it holds is ready, however far behind the others are", () => {
    const run = readiness(objects, "kafka-0", line(0, "0,1,2", "0,1") + line(1, "1,2,0", "1,0"));
    expect(run.code).toBe(0);
  });

  test("a broker missing from the ISR of a partition it holds is not ready, and says which", () => {
    const run = readiness(objects, "kafka-2", line(0, "0,1,2", "0,1") + line(4, "2,0,1", "0,1,2") + line(5, "2,1,0", ""));
    expect(run.code).toBe(1);
    expect(run.stdout).toContain("broker 2 is not in sync yet for: votes-0 votes-5");
  });

  test("a broker that does not answer on its own listener is not ready", () => {
    expect(readiness(objects, "kafka-1", "", 1).code).not.toBe(0);
  });

  test("broker ids are matched whole: broker 1 is not in sync because 10 or 21 are", () => {
    expect(readiness(objects, "kafka-1", line(0, "10,21,1", "10,21")).code).toBe(1);
  });
});
