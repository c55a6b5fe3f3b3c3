import type { Registry } from "@marimba/shared";
import { Counter, Gauge } from "prom-client";
import type { PipelineStatus } from "../contract.ts";
import type { LiveObserver } from "./live.ts";

/** Live-feed metrics: browsers connected and refused, reads, reads that failed, and the pipeline's lag. */
export function liveMetrics(registry: Registry): LiveObserver {
  const clients = new Gauge({ name: "marimba_dashboard_stream_clients", help: "Browsers connected to /api/stream", registers: [registry] });
  const refused = new Counter({
    name: "marimba_dashboard_stream_refused_total",
    help: "Streams refused because the instance already serves its maximum",
    registers: [registry],
  });
  const snapshots = new Counter({
    name: "marimba_dashboard_snapshots_total",
    help: "Reads of the tallies pushed to the browsers",
    registers: [registry],
  });
  const failures = new Counter({
    name: "marimba_dashboard_read_failures_total",
    help: "Live-feed reads of MongoDB or Redis that failed, by store and by how (timeout or unreachable)",
    labelNames: ["store", "reason"] as const,
    registers: [registry],
  });
  return {
    clients: (count) => clients.set(count),
    refused: () => refused.inc(),
    snapshotRead: () => snapshots.inc(),
    readFailed: (store, reason) => failures.inc({ store, reason }),
  };
}

/**
 * `marimba_pipeline_lag_votes`: accepted votes not yet counted (Kafka end offsets − applied
 * offsets), read afresh at every scrape, so it is current whether or not a browser watches.
 */
export function pipelineMetrics(registry: Registry, read: () => Promise<PipelineStatus>): void {
  let latest: Promise<PipelineStatus> | null = null;
  // Both gauges are collected in one scrape: they share one read.
  const status = () => {
    latest ??= read().finally(() => setTimeout(() => (latest = null), 100));
    return latest;
  };
  new Gauge({
    name: "marimba_pipeline_lag_votes",
    help: 'Votes in Kafka not yet in the counters, per partition and in total (partition="all"); absent while unknown',
    labelNames: ["partition"] as const,
    registers: [registry],
    async collect() {
      const { lag } = await status();
      this.reset();
      if (lag.total === null) return;
      this.set({ partition: "all" }, lag.total);
      for (const partition of lag.partitions) this.set({ partition: String(partition.partition) }, partition.lag);
    },
  });
  new Gauge({
    name: "marimba_consumer_last_seen_seconds",
    help: "Unix time of the newest consumer heartbeat (any replica); absent when none is known",
    registers: [registry],
    async collect() {
      const { consumer } = await status();
      this.reset();
      if (consumer.lastSeenAt) this.set(Date.parse(consumer.lastSeenAt) / 1000);
    },
  });
}
