import { describe, expect, test } from "bun:test";
import { renderings } from "./lib/manifests.ts";
import { validateObjects } from "./lib/schema.ts";

describe("Kubernetes schemas", () => {
  for (const { name, objects } of renderings()) {
    test(`${name}: every rendered object validates against its schema`, () => {
      expect(validateObjects(objects)).toEqual([]);
    });
  }
});
