import { status } from "@grpc/grpc-js";
import type { Registry } from "@marimba/shared";
import { Counter, Histogram } from "prom-client";

/** Counts gRPC calls by method and status code, their latency, and the votes they carried. */
export function grpcMetrics(registry: Registry) {
  const calls = new Counter({
    name: "marimba_grpc_calls_total",
    help: "gRPC calls answered, by method and status code",
    labelNames: ["method", "code"],
    registers: [registry],
  });
  const seconds = new Histogram({
    name: "marimba_grpc_call_seconds",
    help: "Time to answer a gRPC call",
    labelNames: ["method"],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const votes = new Counter({
    name: "marimba_grpc_votes_total",
    help: "Votes received over gRPC, by outcome",
    labelNames: ["outcome"],
    registers: [registry],
  });
  return {
    observe(method: string, code: status, startedAt: number, voteCount: number) {
      calls.inc({ method, code: status[code] ?? String(code) });
      seconds.observe({ method }, (performance.now() - startedAt) / 1000);
      votes.inc({ outcome: code === status.OK ? "accepted" : "refused" }, voteCount);
    },
  };
}

export type GrpcMetrics = ReturnType<typeof grpcMetrics>;
