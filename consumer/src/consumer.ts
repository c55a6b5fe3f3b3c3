import { backoffMs, type Logger, sleep } from "@marimba/shared";
import type { Consumer, Kafka } from "kafkajs";
import { type ApplyDeps, type ApplyResult, applyBatch } from "./apply.ts";

export const CONSUMER_GROUP = "marimba-consumer";

export interface ConsumerObserver {
  applied?(partition: number, result: ApplyResult, seconds: number): void;
  failed?(partition: number): void;
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

/**
 * Reads the votes topic in batches and applies each partition's batch exactly once.
 * A batch that cannot be stored (MongoDB or Redis away) is retried with backoff while
 * heartbeating, and its offset is neither resolved nor committed until it is applied.
 */
export class VoteConsumer {
  private readonly consumer: Consumer;
  private joined = false;
  private lastApplyFailed = false;
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

  /** Ready: a member of the group, and the last batch was stored. */
  get ready(): boolean {
    return this.joined && !this.lastApplyFailed;
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

  private async applyWithRetry(
    batch: Parameters<typeof applyBatch>[1],
    heartbeat: () => Promise<void>,
    stillOwned: () => boolean,
  ): Promise<ApplyResult | null> {
    for (let attempt = 0; stillOwned(); attempt++) {
      try {
        const result = await applyBatch(this.deps, batch, heartbeat);
        this.lastApplyFailed = false;
        return result;
      } catch (error) {
        this.lastApplyFailed = true;
        this.observer.failed?.(batch.partition);
        const wait = backoffMs(attempt, 250, 5000);
        this.logger.error({ err: error, partition: batch.partition, retryInMs: wait }, "could not store a batch; retrying");
        await sleep(wait);
        await heartbeat();
      }
    }
    return null;
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
    if (this.restart.timer) clearTimeout(this.restart.timer);
    await this.restart.running;
    await this.consumer.disconnect();
  }
}
