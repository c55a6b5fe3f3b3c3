import type { Admin, Kafka } from "kafkajs";
import type { EndOffsets } from "./pipeline.ts";

/** Kafka's end offsets of the votes topic, through one admin client kept connected. */
export class KafkaEndOffsets implements EndOffsets {
  private readonly admin: Admin;
  private connected: Promise<void> | null = null;

  constructor(
    kafka: Kafka,
    private readonly topic: string,
  ) {
    // No retries inside kafkajs: the caller's deadline decides, and the next read tries again.
    this.admin = kafka.admin({ retry: { retries: 0 } });
  }

  async endOffsets(): Promise<Map<number, number>> {
    this.connected ??= this.admin.connect().catch((error) => {
      this.connected = null;
      throw error;
    });
    await this.connected;
    const offsets = await this.admin.fetchTopicOffsets(this.topic);
    return new Map(offsets.map((entry) => [entry.partition, Number(entry.high)]));
  }

  async close(): Promise<void> {
    await this.admin.disconnect().catch(() => {});
  }
}
