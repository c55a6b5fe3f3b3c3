import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { PublisherObserver } from "./publisher.ts";

/** A Prometheus registry per service, with process metrics and the service's name as a label. */
export function createRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  return registry;
}

/** Counts HTTP answers by route and status, and their latency. */
export function httpMetrics(registry: Registry) {
  const requests = new Counter({
    name: "marimba_http_requests_total",
    help: "HTTP requests answered, by path and status",
    labelNames: ["path", "status"],
    registers: [registry],
  });
  const seconds = new Histogram({
    name: "marimba_http_request_seconds",
    help: "Time to answer an HTTP request",
    labelNames: ["path"],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  return {
    observe(path: string, status: number, startedAt: number) {
      requests.inc({ path, status });
      seconds.observe({ path }, (performance.now() - startedAt) / 1000);
    },
  };
}

/** Publisher metrics: votes written, batches failed, batch latency and queue depth. */
export function publisherMetrics(registry: Registry): PublisherObserver {
  const published = new Counter({
    name: "marimba_votes_published_total",
    help: "Votes acknowledged by Kafka",
    registers: [registry],
  });
  const failed = new Counter({
    name: "marimba_votes_publish_failed_total",
    help: "Votes in batches Kafka did not acknowledge",
    registers: [registry],
  });
  const batchSeconds = new Histogram({
    name: "marimba_publish_batch_seconds",
    help: "Time for Kafka to acknowledge one batch",
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
    registers: [registry],
  });
  const batchVotes = new Histogram({
    name: "marimba_publish_batch_votes",
    help: "Votes per Kafka produce request",
    buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000],
    registers: [registry],
  });
  const queued = new Gauge({
    name: "marimba_publish_queue_votes",
    help: "Votes waiting for Kafka",
    registers: [registry],
  });
  return {
    batchSent(votes, seconds) {
      published.inc(votes);
      batchVotes.observe(votes);
      batchSeconds.observe(seconds);
    },
    batchFailed(votes) {
      failed.inc(votes);
    },
    queueDepth(votes) {
      queued.set(votes);
    },
  };
}
export type { Registry } from "prom-client";
