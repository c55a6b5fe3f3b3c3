import type { Registry } from "@marimba/shared";
import { Counter, Gauge, Histogram } from "prom-client";
import type { ConsumerObserver } from "./consumer.ts";
import type { CounterRepairDeps } from "./counter-repair.ts";

/** Consumer metrics; the repair observer goes to the CounterRepair. */
export function consumerMetrics(registry: Registry): ConsumerObserver & { repair: NonNullable<CounterRepairDeps["observer"]> } {
  const counted = new Counter({ name: "marimba_votes_counted_total", help: "Votes stored and counted", registers: [registry] });
  const skipped = new Counter({
    name: "marimba_votes_redelivered_total",
    help: "Messages delivered again after they were counted, and skipped",
    registers: [registry],
  });
  const invalid = new Counter({
    name: "marimba_messages_invalid_total",
    help: "Messages that are not a valid vote",
    registers: [registry],
  });
  const duplicates = new Counter({
    name: "marimba_votes_duplicate_total",
    help: "Votes whose id was already stored from another Kafka message, not counted again",
    registers: [registry],
  });
  const failures = new Counter({
    name: "marimba_batch_failures_total",
    help: "Attempts to store a batch that failed and were retried, by the dependency that failed",
    labelNames: ["dependency"],
    registers: [registry],
  });
  const waiting = new Gauge({
    name: "marimba_consumer_waiting",
    help: "1 while batches wait for this dependency (mongo, redis, kafka) or for the counters' repair (counters)",
    labelNames: ["on"],
    registers: [registry],
  });
  const rereads = new Counter({
    name: "marimba_partition_rereads_total",
    help: "Times a partition was read again from its applied offset after the counters were restored",
    registers: [registry],
  });
  const repairs = new Histogram({
    name: "marimba_counters_repair_seconds",
    help: "Time to rebuild the counters from MongoDB after Redis lost them",
    buckets: [0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
    registers: [registry],
  });
  const restarts = new Counter({
    name: "marimba_consumer_restarts_total",
    help: "Times the Kafka consumer was started again after kafkajs gave up on an error",
    registers: [registry],
  });
  const seconds = new Histogram({
    name: "marimba_batch_apply_seconds",
    help: "Time to store and count one partition's batch",
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  return {
    applied(_partition, result, took) {
      counted.inc(result.counted);
      skipped.inc(result.skipped);
      invalid.inc(result.invalid);
      duplicates.inc(result.duplicates);
      seconds.observe(took);
    },
    failed(_partition, dependency) {
      failures.inc({ dependency });
    },
    waiting(dependency, active) {
      waiting.set({ on: dependency }, active ? 1 : 0);
    },
    reread() {
      rereads.inc();
    },
    repair: {
      repairing(active) {
        waiting.set({ on: "counters" }, active ? 1 : 0);
      },
      repaired(seconds) {
        repairs.observe(seconds);
      },
    },
    restarted() {
      restarts.inc();
    },
  };
}
