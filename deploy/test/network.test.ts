// The NetworkPolicies, evaluated (lib/network.ts) against the flows the pipeline needs (NEEDED):
// each one allowed, nothing else among our pods, DNS, the metadata server, the internet and the
// pods and nodes outside the namespace.
import { describe, expect, test } from "bun:test";
import { render, renderings } from "./lib/manifests.ts";
import { allowedFlows, checkFlows, connections, OUTSIDE } from "./lib/network.ts";

describe("NetworkPolicies", () => {
  for (const { name, objects } of renderings()) {
    test(`${name}: every needed flow is allowed and nothing else is`, () => {
      expect(checkFlows(objects)).toEqual([]);
    });
  }

  test("no pod of the base reaches the metadata server or the internet", () => {
    const objects = render();
    const allowed = allowedFlows(objects);
    const outward = connections(objects).filter(
      ({ source, destination }) => source.podLabels && (destination.peer === OUTSIDE.metadata || destination.peer === OUTSIDE.internet),
    );
    expect(outward.length).toBeGreaterThan(10);
    expect(outward.map(({ flow }) => flow).filter((flow) => allowed.has(flow))).toEqual([]);
  });
});
