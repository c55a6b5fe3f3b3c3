import type { Kafka, Message, PartitionerArgs, Producer } from "kafkajs";
import { backoffMs } from "./backoff.ts";
import { COMPRESSION_TYPES, type KafkaCompression } from "./compression.ts";
import type { Logger } from "./log.ts";
import { type EncodedVote, encodeVote, type Vote } from "./vote.ts";

export interface PublisherOptions {
  topic: string;
  /** Most votes in one Kafka produce request. */
  maxBatchVotes: number;
  /** How long the first vote of a batch waits for company before the batch is sent. */
  lingerMs: number;
  /** The codec of each produce request's record batch (see BENCHMARKS.md for why the default). */
  compression: KafkaCompression;
  /** Most votes waiting for Kafka at once; beyond it callers are refused at once (back-pressure). */
  maxQueuedVotes: number;
  /** A vote not yet sent after this long is refused: a caller is never left hanging. */
  queueTimeoutMs: number;
  /**
   * How long a batch Kafka did not acknowledge is sent again, with the same producer id and
   * sequence numbers, before its callers are refused. Kept below the edges' 25 s deadline.
   */
  deliveryTimeoutMs: number;
  /**
   * False while Kafka is known to be unreachable: new votes are then refused at once instead of
   * waiting behind a batch that is being sent again (see `send`).
   */
  kafkaReachable?: () => boolean;
}

export const DEFAULT_PUBLISHER_OPTIONS: Omit<PublisherOptions, "topic"> = {
  maxBatchVotes: 1000,
  lingerMs: 2,
  compression: "none",
  maxQueuedVotes: 20_000,
  queueTimeoutMs: 5000,
  deliveryTimeoutMs: 22_000,
};

/** Why a vote could not be made durable; edges map it to 503 (unavailable) or 429/503 (overloaded). */
export class PublishError extends Error {
  constructor(
    readonly reason: "unavailable" | "overloaded" | "stopped",
    message: string,
  ) {
    super(message);
  }
}

export interface PublisherObserver {
  batchSent?(votes: number, seconds: number): void;
  batchFailed?(votes: number): void;
  queueDepth?(votes: number): void;
}

/**
 * Sends all the votes of one produce request to one partition and the next request's to the
 * next, like the Java client's sticky partitioner: one record batch per request instead of one
 * per partition, and no murmur2 hash of every vote's key (kafkajs' default partitioner took 17%
 * of a server's CPU under load). A request kafkajs retries stays on its partition, so the
 * idempotent producer's sequence numbers still match and the broker drops a duplicate.
 */
export class StickyPartitioner {
  private turn = 0;
  private current: number | null = null;

  /** The next produce request goes to the next partition. */
  rotate(): void {
    this.current = null;
  }

  /** The kafkajs partitioner: called for every message of a request, answers the same partition. */
  readonly partition = ({ partitionMetadata }: PartitionerArgs): number => {
    if (this.current === null) {
      const led = partitionMetadata.filter((partition) => partition.leader >= 0);
      const choices = led.length > 0 ? led : partitionMetadata;
      this.current = (choices[this.turn++ % choices.length] as (typeof choices)[number]).partitionId;
    }
    return this.current;
  };
}

interface Pending {
  messages: readonly Message[];
  enqueuedAt: number;
  resolve: () => void;
  reject: (error: PublishError) => void;
}

/**
 * One long-lived idempotent Kafka producer per process with micro-batching: votes from
 * many callers share one produce request (acks = all), and each caller's promise settles
 * only when Kafka acknowledged its batch. One batch is in flight at a time, so the
 * idempotent producer's sequence numbers stay in order and batches grow under load (two
 * producers side by side, each with a batch in flight, were measured slower: smaller batches
 * cost Kafka and the server more per vote); each batch goes to one partition.
 */
export class VotePublisher {
  private readonly options: PublisherOptions;
  private queue: Pending[] = [];
  private queuedVotes = 0;
  private producer: Producer | null = null;
  private connecting: Promise<Producer> | null = null;
  private inFlight: Promise<void> | null = null;
  private lingerTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly sweepTimer: ReturnType<typeof setInterval>;
  private healthy = false;
  private stopped = false;
  private readonly partitioner = new StickyPartitioner();

  constructor(
    private readonly kafka: Kafka,
    options: Partial<PublisherOptions> & Pick<PublisherOptions, "topic">,
    private readonly log: Logger,
    private readonly observer: PublisherObserver = {},
  ) {
    this.options = { ...DEFAULT_PUBLISHER_OPTIONS, ...options };
    this.sweepTimer = setInterval(() => this.expireWaiting(), Math.min(250, this.options.queueTimeoutMs));
    this.sweepTimer.unref?.();
  }

  /** Connects the producer; failure is logged, not thrown: the publisher reconnects on demand. */
  async start(): Promise<void> {
    try {
      await this.connectedProducer();
    } catch (error) {
      this.log.warn({ err: error }, "Kafka is not reachable yet; will retry on the first vote");
    }
  }

  /** True while the last attempt to reach Kafka succeeded. */
  get ready(): boolean {
    return this.healthy && !this.stopped;
  }

  /** Resolves once every vote is acknowledged by Kafka; rejects with a PublishError otherwise. */
  publish(votes: readonly Vote[]): Promise<void> {
    return this.publishEncoded(votes.map(encodeVote));
  }

  /** `publish` for votes already encoded as Kafka holds them: their text goes to Kafka as it is. */
  publishEncoded(messages: readonly EncodedVote[]): Promise<void> {
    if (this.stopped) return Promise.reject(new PublishError("stopped", "the service is shutting down"));
    if (this.options.kafkaReachable?.() === false) {
      return Promise.reject(new PublishError("unavailable", "Kafka is unreachable; retry shortly"));
    }
    if (this.queuedVotes + messages.length > this.options.maxQueuedVotes) {
      return Promise.reject(new PublishError("overloaded", "too many votes are waiting for Kafka; retry shortly"));
    }
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ messages, enqueuedAt: performance.now(), resolve, reject });
      this.queuedVotes += messages.length;
      this.observer.queueDepth?.(this.queuedVotes);
      this.schedule();
    });
  }

  /** Sends what is queued, waits for it, and disconnects. New votes are refused from now on. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.sweepTimer);
    while (this.queue.length > 0 || this.inFlight) {
      if (this.inFlight) await this.inFlight;
      else await this.flush();
    }
    await this.producer?.disconnect().catch(() => {});
    this.producer = null;
  }

  private schedule(): void {
    if (this.inFlight) return; // the batch in flight sends the queue when it returns
    if (this.queuedVotes >= this.options.maxBatchVotes) {
      void this.flush();
    } else if (!this.lingerTimer) {
      this.lingerTimer = setTimeout(() => void this.flush(), this.options.lingerMs);
    }
  }

  private takeBatch(): Pending[] {
    const batch: Pending[] = [];
    let votes = 0;
    while (this.queue.length > 0) {
      const next = this.queue[0] as Pending;
      if (batch.length > 0 && votes + next.messages.length > this.options.maxBatchVotes) break;
      batch.push(next);
      votes += next.messages.length;
      this.queue.shift();
    }
    this.queuedVotes -= votes;
    this.observer.queueDepth?.(this.queuedVotes);
    return batch;
  }

  private flush(): Promise<void> {
    if (this.lingerTimer) {
      clearTimeout(this.lingerTimer);
      this.lingerTimer = null;
    }
    if (this.inFlight || this.queue.length === 0) return this.inFlight ?? Promise.resolve();
    const batch = this.takeBatch();
    this.inFlight = this.send(batch).finally(() => {
      this.inFlight = null;
      if (this.queue.length > 0) void this.flush();
    });
    return this.inFlight;
  }

  /**
   * A batch whose produce request failed may still have been written: the broker can append it
   * and go away before its answer arrives. So it is sent again with the same producer, partition
   * and sequence numbers, and the broker answers a copy it already holds with the original
   * offsets: a Kafka outage shorter than `deliveryTimeoutMs` ends in a 202 and one copy, never in
   * a 503 for a vote that is in Kafka. Only a batch that never reached a producer is refused at once.
   */
  private async send(batch: Pending[]): Promise<void> {
    const messages = batch.flatMap((pending) => pending.messages);
    const started = performance.now();
    let producer: Producer;
    try {
      producer = await this.connectedProducer();
    } catch (error) {
      return this.refuse(batch, error, "the vote could not be written to Kafka; retry shortly");
    }
    this.partitioner.rotate();
    const compression = COMPRESSION_TYPES[this.options.compression];
    for (let attempt = 0; ; attempt++) {
      try {
        await producer.send({ topic: this.options.topic, acks: -1, compression, messages });
        this.healthy = true;
        this.observer.batchSent?.(messages.length, (performance.now() - started) / 1000);
        for (const pending of batch) pending.resolve();
        return;
      } catch (error) {
        this.healthy = false;
        const wait = backoffMs(attempt, 250, 1000);
        if (performance.now() - started + wait >= this.options.deliveryTimeoutMs) {
          // A fresh producer gets a new producer id, so its sequence numbers cannot collide with
          // those of this batch, whose outcome stays unknown.
          await this.discardProducer();
          return this.refuse(batch, error, "Kafka did not acknowledge the vote in time; retry shortly");
        }
        this.log.warn({ err: error, votes: messages.length, retryInMs: wait }, "Kafka did not acknowledge a batch; sending it again");
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }
  }

  private refuse(batch: Pending[], error: unknown, message: string): void {
    const votes = batch.reduce((sum, pending) => sum + pending.messages.length, 0);
    this.observer.batchFailed?.(votes);
    this.log.error({ err: error, votes }, "a batch of votes could not be written to Kafka");
    const failure = new PublishError("unavailable", message);
    for (const pending of batch) pending.reject(failure);
  }

  private expireWaiting(): void {
    const limit = performance.now() - this.options.queueTimeoutMs;
    if (this.queue.length === 0 || (this.queue[0] as Pending).enqueuedAt > limit) return;
    const expired = this.queue.filter((pending) => pending.enqueuedAt <= limit);
    this.queue = this.queue.filter((pending) => pending.enqueuedAt > limit);
    const failure = new PublishError("unavailable", "Kafka did not accept the vote in time; retry shortly");
    for (const pending of expired) {
      this.queuedVotes -= pending.messages.length;
      pending.reject(failure);
    }
    this.observer.queueDepth?.(this.queuedVotes);
  }

  private connectedProducer(): Promise<Producer> {
    if (this.producer) return Promise.resolve(this.producer);
    this.connecting ??= (async () => {
      const producer = this.kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        createPartitioner: () => this.partitioner.partition,
        // One quick retry inside a send (each attempt stays short); `send` above re-sends a failed batch.
        retry: { retries: 1, initialRetryTime: 200, maxRetryTime: 1000 },
      });
      try {
        await producer.connect();
        this.producer = producer;
        this.healthy = true;
        return producer;
      } catch (error) {
        this.healthy = false;
        await producer.disconnect().catch(() => {});
        throw error;
      } finally {
        this.connecting = null;
      }
    })();
    return this.connecting;
  }

  private async discardProducer(): Promise<void> {
    const producer = this.producer;
    this.producer = null;
    await producer?.disconnect().catch(() => {});
  }
}
