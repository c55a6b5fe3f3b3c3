import { describe, expect, test } from "bun:test";
import { checkContainers, checkListenAddresses } from "./lib/checks.ts";
import { renderings } from "./lib/manifests.ts";

describe("containers", () => {
  for (const { name, objects } of renderings()) {
    test(`${name}: every container has requests, limits, probes, a locked-down security context and a pinned image`, () => {
      expect(checkContainers(objects)).toEqual([]);
    });
    test(`${name}: every service listens on all interfaces, where probes and Services can reach it`, () => {
      expect(checkListenAddresses(objects)).toEqual([]);
    });
  }
});
