import { describe, expect, test } from "bun:test";
import { kafkaClient, silentLogger, waitFor } from "@marimba/testkit";
import { CompressionCodecs } from "kafkajs";
import { COMPRESSION_TYPES, KAFKA_COMPRESSIONS } from "../../src/compression.ts";
import { VotePublisher } from "../../src/publisher.ts";
import { acceptVote, type Vote } from "../../src/vote.ts";

const votes = (count: number) =>
  Array.from({ length: count }, (_, i) =>
    acceptVote({ name: "Compression Test", album: `Códec ${i % 7}`, year: "2026", rank: String(1 + (i % 9)) }, "grpc"),
  );

/** Counts the lookups of a codec (kafkajs looks one up per batch it compresses or decompresses). */
function countUses(codec: keyof typeof CompressionCodecs): { uses: number; restore: () => void } {
  const original = CompressionCodecs[codec];
  const counter = { uses: 0, restore: () => (CompressionCodecs[codec] = original) };
  CompressionCodecs[codec] = () => {
    counter.uses++;
    return original();
  };
  return counter;
}

describe("compressed produce requests (real Kafka)", () => {
  for (const compression of KAFKA_COMPRESSIONS.filter((name) => name !== "none")) {
    test(`a batch written with ${compression} is accepted by the broker and read back vote for vote`, async () => {
      const kafka = kafkaClient(`compression-test-${compression}`);
      const topic = `compression-test-${compression}-${crypto.randomUUID()}`;
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
      const codec = countUses(COMPRESSION_TYPES[compression] as keyof typeof CompressionCodecs);
      const consumer = kafka.consumer({ groupId: topic });
      try {
        const sent = votes(600);
        const publisher = new VotePublisher(kafka, { topic, compression, maxBatchVotes: 250 }, silentLogger);
        await Promise.all([0, 1, 2, 3, 4, 5].map((i) => publisher.publish(sent.slice(i * 100, (i + 1) * 100))));
        await publisher.stop();
        const written = codec.uses;
        expect(written).toBeGreaterThanOrEqual(3); // 600 votes from six callers, in batches of at most 250, each compressed

        const seen: { key: string | undefined; value: Vote }[] = [];
        await consumer.connect();
        await consumer.subscribe({ topic, fromBeginning: true });
        void consumer.run({
          eachMessage: async ({ message }) => {
            seen.push({ key: message.key?.toString(), value: JSON.parse(message.value?.toString() ?? "null") });
          },
        });
        await waitFor(`${sent.length} votes read back`, () => seen.length >= sent.length, 20_000, 50);
        expect(seen).toEqual(sent.map((vote) => ({ key: vote.id, value: vote })));
        expect(codec.uses).toBeGreaterThan(written); // the fetched batches were decompressed, so the broker kept the codec
      } finally {
        codec.restore();
        await consumer.disconnect();
        await admin.deleteTopics({ topics: [topic] });
        await admin.disconnect();
      }
    }, 40_000);
  }
});
