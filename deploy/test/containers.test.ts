import { describe, expect, test } from "bun:test";
import { checkContainers, checkListenAddresses, checkVolumes } from "./lib/checks.ts";
import { renderings } from "./lib/manifests.ts";
import { checkServiceContainers, checkServiceTargets } from "./lib/service-checks.ts";

describe("containers", () => {
  for (const { name, objects } of renderings()) {
    test(`${name}: every container has requests, limits, probes, a locked-down security context and a pinned image`, () => {
      expect(checkContainers(objects)).toEqual([]);
    });
    test(`${name}: every service listens on all interfaces, where probes and Services can reach it`, () => {
      expect(checkListenAddresses(objects)).toEqual([]);
    });
    test(`${name}: our containers set only variables their code reads, every address, and probe the ports and paths it serves`, () => {
      expect(checkServiceContainers(objects)).toEqual([]);
    });
    test(`${name}: every emptyDir is capped and no volumeClaimTemplate carries labels`, () => {
      expect(checkVolumes(objects)).toEqual([]);
    });
    test(`${name}: every Service port reaches a port its pods' code listens on`, () => {
      expect(checkServiceTargets(objects)).toEqual([]);
    });
  }
});
