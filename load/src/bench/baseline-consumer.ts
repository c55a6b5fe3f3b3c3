import type { Vote } from "@marimba/shared";
import type { Redis } from "ioredis";
import type { Consumer, Kafka } from "kafkajs";
import type { Collection } from "mongodb";

/** Where the baseline writes, apart from the real counters and vote log. */
export interface BaselineSinks {
  votes: Collection<{ _id: string } & Record<string, unknown>>;
  redis: Redis;
  totalKey: string;
  bandKey: string;
}

const DUPLICATE_KEY = 11000;

/**
 * The old system's way of storing votes, kept only as the drain benchmark's baseline: one
 * MongoDB insert and one Redis increment per band and per total for every message, each awaited
 * before the next message. It is not exactly-once and must never count real votes.
 */
export class PerMessageConsumer {
  private readonly consumer: Consumer;

  constructor(
    kafka: Kafka,
    private readonly options: { topic: string; groupId: string; concurrency: number },
    private readonly sinks: BaselineSinks,
  ) {
    this.consumer = kafka.consumer({ groupId: options.groupId, maxWaitTimeInMs: 100 });
    this.consumer.on(this.consumer.events.CRASH, ({ payload }) => {
      this.crash = payload.error;
    });
  }

  private crash: Error | null = null;

  /** Why the consumer stopped on its own (e.g. MongoDB refused a write), or null while it works. */
  get failure(): Error | null {
    return this.crash;
  }

  async start(): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.options.topic, fromBeginning: true });
    await this.consumer.run({
      partitionsConsumedConcurrently: this.options.concurrency,
      eachMessage: async ({ message }) => {
        const { id, acceptedAt, ...fields } = JSON.parse(message.value?.toString() ?? "null") as Vote;
        try {
          await this.sinks.votes.insertOne({ _id: id, ...fields, acceptedAt: new Date(acceptedAt), storedAt: new Date() });
        } catch (error) {
          if ((error as { code?: number }).code !== DUPLICATE_KEY) throw error;
        }
        await this.sinks.redis.incr(this.sinks.totalKey);
        await this.sinks.redis.hincrby(this.sinks.bandKey, fields.name, 1);
      },
    });
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
  }
}
