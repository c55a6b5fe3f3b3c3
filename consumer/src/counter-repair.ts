import { backoffMs, type Logger, SharedRead, withDeadline } from "@marimba/shared";
import type { Admin } from "kafkajs";
import type { TallyCounters } from "./counters.ts";
import { RecountBusyError } from "./recount.ts";

export interface CounterRepairDeps {
  admin: Admin;
  counters: TallyCounters;
  topic: string;
  groupId: string;
  /** Rebuilds every counter from MongoDB up to the applied offsets (`recount` of recount.ts). */
  recount: () => Promise<unknown>;
  /** True while someone holds the recount lock. */
  recountRunning: () => Promise<boolean>;
  logger: Logger;
  observer?: { repaired?(seconds: number): void; repairing?(active: boolean): void };
}

/** Longest the Kafka side of a check (the group's committed offsets, the log's start offsets) may take. */
const KAFKA_DEADLINE_MS = 10_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Notices that Redis lost counters (a FLUSHALL, or a restart of a Redis without persistence) and
 * repairs them. Kafka's committed offsets are the proof: the consumer commits only after a batch is
 * stored and counted, so a partition's applied offset is never below its committed offset minus one
 * (nor below the first offset Kafka still holds, minus one) unless Redis lost it. Then counting
 * stops, the applied offsets are raised back to what Kafka proves was applied, and the counters are
 * rebuilt from MongoDB with the recount; batches wait meanwhile, and counting resumes after it.
 */
export class CounterRepair {
  /** Checks asked for while one runs share it. */
  private readonly checks = new SharedRead(() => this.checkNow());
  private timer: ReturnType<typeof setInterval> | undefined;
  /** Why counting is stopped; null while counting. */
  reason: string | null = null;
  repairs = 0;

  constructor(private readonly deps: CounterRepairDeps) {}

  get counting(): boolean {
    return this.reason === null;
  }

  /** Checks every `everyMs` in the background, so a wipe is noticed even with no votes arriving. */
  watch(everyMs = 3000): this {
    this.timer = setInterval(() => {
      this.check().catch((error: Error) => this.deps.logger.debug({ err: error }, "could not check the counters against Kafka"));
    }, everyMs);
    this.timer.unref?.();
    return this;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Compares the applied offsets with what Kafka proves was applied, and repairs when they lost some. */
  check(): Promise<void> {
    return this.checks.get();
  }

  /** Per partition, the offset Kafka proves was applied: below the committed one, and below the log's start. */
  private async provenApplied(): Promise<Record<string, string>> {
    const { admin, topic, groupId } = this.deps;
    return withDeadline(KAFKA_DEADLINE_MS, "Kafka: reading the group's committed offsets", async () => {
      const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
      const starts = await admin.fetchTopicOffsets(topic);
      const proven: Record<string, string> = {};
      for (const { partition, low } of starts) {
        const commit = BigInt(committed?.partitions.find((p) => p.partition === partition)?.offset ?? "-1");
        const floor = (commit > BigInt(low) ? commit : BigInt(low)) - 1n;
        if (floor >= 0n) proven[String(partition)] = String(floor);
      }
      return proven;
    });
  }

  private async checkNow(): Promise<void> {
    // Kafka first: an offset committed after this read was applied after it too, so it cannot look lost.
    const proven = await this.provenApplied();
    const applied = await this.deps.counters.appliedOffsets(this.deps.topic);
    const lost = Object.keys(proven).filter((partition) => BigInt(applied[partition] ?? "-1") < BigInt(proven[partition] as string));
    if (lost.length === 0) return;
    await this.repair(lost, proven);
  }

  private async repair(lost: string[], proven: Record<string, string>): Promise<void> {
    const started = performance.now();
    const { counters, topic, logger } = this.deps;
    this.reason = `Redis lost the counters of partition${lost.length > 1 ? "s" : ""} ${lost.join(", ")}; rebuilding them from MongoDB`;
    this.deps.observer?.repairing?.(true);
    logger.error(
      { partitions: lost, provenApplied: proven },
      "the counters lost data Kafka says was applied: stopped counting to rebuild them",
    );
    for (let attempt = 0; ; attempt++) {
      try {
        await counters.raiseAppliedOffsets(topic, proven);
        // Another recount (a replica's, or `npm run recount`) may have read the offsets before they
        // were raised: wait for it to end, then count again.
        while (true) {
          try {
            await this.deps.recount();
            break;
          } catch (error) {
            if (!(error instanceof RecountBusyError)) throw error;
            logger.warn("another recount holds the counters; recounting after it");
            while (await this.deps.recountRunning()) await sleep(500);
          }
        }
        break;
      } catch (error) {
        const wait = backoffMs(attempt, 500, 10_000);
        logger.error({ err: error, retryInMs: wait }, "could not rebuild the counters; retrying");
        await sleep(wait);
      }
    }
    const seconds = (performance.now() - started) / 1000;
    this.repairs++;
    this.reason = null;
    this.deps.observer?.repairing?.(false);
    this.deps.observer?.repaired?.(seconds);
    logger.info({ partitions: lost, seconds }, "counters rebuilt from MongoDB; counting again");
  }
}
