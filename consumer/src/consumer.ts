import { backoffMs, type Logger, sleep } from "@marimba/shared";
import type { Consumer, Kafka } from "kafkajs";
import { type ApplyDeps, type ApplyResult, applyBatch } from "./apply.ts";
import type { CounterRepair } from "./counter-repair.ts";
import { CountersBehindError, type Dependency, DependencyError } from "./failures.ts";

export const CONSUMER_GROUP = "marimba-consumer";

export interface ConsumerObserver {
  applied?(partition: number, result: ApplyResult, seconds: number): void;
  /** An attempt to store and count a batch failed on `dependency` and will be retried. */
  failed?(partition: number, dependency: Dependency | "unknown"): void;
  /** Batches started or stopped waiting for a dependency. */
  waiting?(dependency: Dependency | "unknown", active: boolean): void;
  /** A partition is read again from an earlier offset: its counters were restored to it. */
  reread?(partition: number): void;
  /** kafkajs stopped the consumer on an error it does not retry, and it was started again. */
  restarted?(): void;
}

export interface VoteConsumerOptions {
  topic: string;
  /** Partitions of this replica worked on at once. */
  concurrency: number;
  /** Most messages stored and counted in one step. */
  sliceSize: number;
  /** The consumer group; every replica of the service shares `CONSUMER_GROUP`. */
  groupId?: string;
}

/** How often a batch held back (counters being rebuilt) looks again, heartbeating meanwhile. */
const HOLD_POLL_MS = 250;

/** How often a running attempt heartbeats (the session times out after 10 s). */
const ATTEMPT_HEARTBEAT_MS = 3000;

/** A dependency a batch is failing on: what, since when, and the last error. */
interface Failing {
  since: number;
  message: string;
}

/**
 * Reads the votes topic in batches and applies each partition's batch exactly once.
 * A batch that cannot be stored (MongoDB or Redis away) is retried with backoff while
 * heartbeating, and its offset is neither resolved nor committed until it is applied.
 */
export class VoteConsumer {
  private readonly consumer: Consumer;
  private joined = false;
  /** Dependencies the last attempt of some partition's batch failed on; cleared by a success. */
  private readonly failing = new Map<Dependency | "unknown", Failing>();
  private stopping = false;
  /** Restarts since the consumer last joined its group: the backoff grows with them. */
  private restarts = 0;
  private restart: { timer: ReturnType<typeof setTimeout> | null; running: Promise<void> | null } = { timer: null, running: null };

  constructor(
    kafka: Kafka,
    private readonly options: VoteConsumerOptions,
    private readonly deps: ApplyDeps,
    private readonly logger: Logger,
    private readonly observer: ConsumerObserver = {},
    private readonly repair?: CounterRepair,
  ) {
    this.consumer = kafka.consumer({
      groupId: options.groupId ?? CONSUMER_GROUP,
      // A crashed replica's partitions move after this long: short, so recovery is quick.
      sessionTimeout: 10_000,
      heartbeatInterval: 1000,
      // Under live load a fetch waits up to 100 ms for 64 KB (~400 votes): fewer, larger batches
      // cost MongoDB and Redis far less per vote than many small ones.
      minBytes: 64 * 1024,
      maxWaitTimeInMs: 100,
      // ~4,000 votes per partition per fetch: a backlog still drains in slices of 1,000, and the
      // fetched-but-unapplied messages of six partitions stay a few MB instead of tens.
      maxBytesPerPartition: 1024 * 1024,
      retry: { retries: 8, initialRetryTime: 300, maxRetryTime: 5000 },
    });
    const { GROUP_JOIN, CRASH, DISCONNECT, STOP } = this.consumer.events;
    this.consumer.on(GROUP_JOIN, ({ payload }) => {
      this.joined = true;
      this.restarts = 0;
      logger.info({ assigned: payload.memberAssignment }, "joined the consumer group");
    });
    for (const event of [CRASH, DISCONNECT, STOP]) this.consumer.on(event, () => (this.joined = false));
    // kafkajs restarts after most errors, but gives up for good on those it deems non-retriable,
    // such as finding no group coordinator while the broker restarts (tulios/kafkajs#1445, #1630):
    // the process would live on, consuming nothing. Those restarts are ours.
    this.consumer.on(CRASH, ({ payload }) => {
      if (!payload.restart) this.scheduleRestart(payload.error);
    });
  }

  /** Ready: a member of the group, no batch failing, counting. */
  get ready(): boolean {
    return this.joined && this.failing.size === 0 && (this.repair?.counting ?? true);
  }

  /** A member of the consumer group, with partitions to read. */
  get member(): boolean {
    return this.joined;
  }

  /** Why batches are failing on `dependency` ("failing for 12 s: …"), or null when they are not. */
  failingOn(dependency: Dependency | "unknown"): string | null {
    const failing = this.failing.get(dependency);
    if (!failing) return null;
    return `batches failing for ${((performance.now() - failing.since) / 1000).toFixed(0)} s: ${failing.message}`;
  }

  private noteFailure(dependency: Dependency | "unknown", error: unknown): void {
    const message =
      error instanceof DependencyError
        ? String((error.cause as Error)?.message ?? error.cause)
        : String((error as Error)?.message ?? error);
    const known = this.failing.get(dependency);
    if (!known) this.observer.waiting?.(dependency, true);
    this.failing.set(dependency, { since: known?.since ?? performance.now(), message });
  }

  private clearFailures(): void {
    for (const dependency of this.failing.keys()) this.observer.waiting?.(dependency, false);
    this.failing.clear();
  }

  async start(): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.options.topic, fromBeginning: true });
    await this.consumer.run({
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.options.concurrency,
      eachBatch: async ({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale }) => {
        // A backlog arrives as one huge batch: apply it in slices, each stored, counted and resolved.
        for (let start = 0; start < batch.messages.length; start += this.options.sliceSize) {
          const messages = batch.messages.slice(start, start + this.options.sliceSize);
          const started = performance.now();
          const result = await this.applyWithRetry(
            { topic: batch.topic, partition: batch.partition, messages },
            heartbeat,
            () => isRunning() && !isStale(),
          );
          if (!result) return; // partition lost or shutting down: the next owner re-reads it
          this.observer.applied?.(batch.partition, result, (performance.now() - started) / 1000);
          resolveOffset((messages.at(-1) as { offset: string }).offset);
          await heartbeat();
        }
        await commitOffsetsIfNecessary();
      },
    });
  }

  /**
   * Applies a batch, retrying with backoff until it succeeds or the partition is no longer this
   * replica's. Every step of an attempt has a deadline, so an attempt ends — stored and counted, or
   * failed and retried from the top (the applied offset read again, the batch re-filtered).
   */
  private async applyWithRetry(
    batch: Parameters<typeof applyBatch>[1],
    heartbeat: () => Promise<void>,
    stillOwned: () => boolean,
  ): Promise<ApplyResult | null> {
    for (let attempt = 0; stillOwned(); attempt++) {
      if (this.repair && !this.repair.counting) {
        // The counters are being rebuilt: nothing is counted on top of them until that ends.
        await sleep(HOLD_POLL_MS);
        await heartbeat();
        attempt = -1;
        continue;
      }
      // A slow attempt still heartbeats, so the group does not hand the partition to another replica meanwhile.
      const beating = setInterval(() => heartbeat().catch(() => {}), ATTEMPT_HEARTBEAT_MS);
      try {
        const result = await applyBatch(this.deps, batch, heartbeat);
        this.clearFailures();
        return result;
      } catch (error) {
        if (error instanceof CountersBehindError) {
          if (await this.countersBehind(error)) return null;
          continue;
        }
        const dependency = error instanceof DependencyError ? error.dependency : "unknown";
        this.noteFailure(dependency, error);
        this.observer.failed?.(batch.partition, dependency);
        const wait = backoffMs(attempt, 250, 5000);
        this.logger.error(
          {
            error: (error as Error)?.message ?? String(error),
            dependency,
            partition: batch.partition,
            attempt: attempt + 1,
            retryInMs: wait,
          },
          "could not store a batch; retrying",
        );
        await this.sleepUnlessStopping(wait);
        await heartbeat();
      } finally {
        clearInterval(beating);
      }
    }
    return null;
  }

  /**
   * The counters do not include messages before this batch: have them repaired (when Redis lost
   * data), then read the partition again from the offset after the applied one. True when the
   * partition was sent back (the batch is dropped; Kafka redelivers from there).
   */
  private async countersBehind(error: CountersBehindError): Promise<boolean> {
    const { topic, partition, firstOffset } = error;
    this.logger.warn({ partition, appliedOffset: error.appliedOffset, firstOffset }, "the counters are behind this batch");
    try {
      await this.repair?.check();
      const applied = BigInt(await this.deps.counters.appliedOffset(topic, partition));
      if (BigInt(firstOffset) - 1n <= applied) return false;
      const from = String(applied + 1n);
      this.consumer.seek({ topic, partition, offset: from });
      this.observer.reread?.(partition);
      this.logger.warn({ partition, from }, "reading the partition again from the offset after the applied one");
      return true;
    } catch (failure) {
      this.noteFailure(failure instanceof DependencyError ? failure.dependency : "kafka", failure);
      this.logger.error({ err: failure, partition }, "could not check the counters against Kafka; retrying");
      await this.sleepUnlessStopping(1000);
      return false;
    }
  }

  private async sleepUnlessStopping(ms: number): Promise<void> {
    const until = performance.now() + ms;
    while (!this.stopping && performance.now() < until) await sleep(Math.min(HOLD_POLL_MS, until - performance.now()));
  }

  private scheduleRestart(error: Error): void {
    if (this.stopping || this.restart.timer) return;
    const wait = backoffMs(this.restarts++, 1000, 15_000);
    this.logger.error({ err: error, restartInMs: wait }, "the Kafka consumer stopped on an error kafkajs does not retry; restarting it");
    this.restart.timer = setTimeout(() => {
      this.restart.timer = null;
      if (this.stopping) return;
      this.restart.running = this.start()
        .then(() => this.observer.restarted?.())
        .catch((failure: Error) => this.scheduleRestart(failure))
        .finally(() => (this.restart.running = null));
    }, wait);
  }

  /** Stops fetching, lets the batch in hand finish and commit, and leaves the group. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.repair?.stop();
    if (this.restart.timer) clearTimeout(this.restart.timer);
    await this.restart.running;
    await this.consumer.disconnect();
  }
}
