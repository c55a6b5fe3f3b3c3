import { probes, type ReadinessChecks, type Registry } from "@marimba/shared";
import { Elysia } from "elysia";

/** The consumer's HTTP side: probes and metrics only; the work happens in VoteConsumer. */
export function createProbeApp(registry: Registry, checks: ReadinessChecks) {
  return new Elysia().use(probes(registry, checks));
}
