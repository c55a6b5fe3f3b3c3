import type { Registry } from "@marimba/shared";
import { Counter, Gauge, Histogram } from "prom-client";
import type { ConsumerObserver } from "./consumer.ts";
import type { CounterRepairDeps } from "./counter-repair.ts";
import type { HeartbeatObserver } from "./heartbeat.ts";
import type { NewestVotesObserver } from "./newest.ts";
import type { VoteLogObserver } from "./vote-log.ts";

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

export function heartbeatMetrics(registry: Registry): HeartbeatObserver {
  const beats = new Counter({
    name: "marimba_consumer_heartbeats_total",
    help: "Heartbeats written to Redis for the dashboard, by outcome (ok, failed)",
    labelNames: ["outcome"],
    registers: [registry],
  });
  return { beat: (ok) => beats.inc({ outcome: ok ? "ok" : "failed" }) };
}

export function newestVotesMetrics(registry: Registry): NewestVotesObserver {
  const dropped = new Counter({
    name: "marimba_newest_votes_writes_dropped_total",
    help: "Writes of the newest-votes document dropped after losing the race with other consumers too often",
    registers: [registry],
  });
  return { gaveUp: () => dropped.inc() };
}

/** Buckets of `marimba_vote_store_lag_seconds`: fine below a second, where the pipeline should be. */
export const STORE_LAG_BUCKETS = [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 30, 60];

export function voteLogMetrics(registry: Registry): VoteLogObserver {
  const lag = new Histogram({
    name: "marimba_vote_store_lag_seconds",
    help: "From the edge accepting a vote to its document being written (storedAt − acceptedAt)",
    buckets: STORE_LAG_BUCKETS,
    registers: [registry],
  });
  return {
    stored(lagSeconds) {
      for (const seconds of lagSeconds) lag.observe(seconds);
    },
  };
}
