import type { Registry } from "@marimba/shared";
import { Counter, Gauge } from "prom-client";
import type { LiveObserver } from "./live.ts";

/** Live-feed metrics: browsers connected, snapshots read, reads that failed. */
export function liveMetrics(registry: Registry): LiveObserver {
  const clients = new Gauge({ name: "marimba_dashboard_stream_clients", help: "Browsers connected to /api/stream", registers: [registry] });
  const snapshots = new Counter({
    name: "marimba_dashboard_snapshots_total",
    help: "Snapshots of the tallies and newest votes read and pushed",
    registers: [registry],
  });
  const failures = new Counter({
    name: "marimba_dashboard_read_failures_total",
    help: "Live-feed reads of MongoDB or Redis that failed",
    registers: [registry],
  });
  return {
    clients: (count) => clients.set(count),
    snapshotRead: () => snapshots.inc(),
    readFailed: () => failures.inc(),
  };
}
