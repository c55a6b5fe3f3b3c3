import { describe, expect, test } from "bun:test";
import { CompressionCodecs, CompressionTypes } from "kafkajs";
import { registerCompressionCodecs } from "../src/compression.ts";
import { ConfigError, loadConfig } from "../src/config.ts";
import { DEFAULT_PUBLISHER_OPTIONS } from "../src/publisher.ts";
import { publisherEnv } from "../src/publishing.ts";

describe("the publisher's settings", () => {
  test("unset, they are the publisher's defaults", () => {
    expect(loadConfig(publisherEnv, {})).toEqual({
      KAFKA_COMPRESSION: DEFAULT_PUBLISHER_OPTIONS.compression,
      KAFKA_LINGER_MS: DEFAULT_PUBLISHER_OPTIONS.lingerMs,
      KAFKA_BATCH_VOTES: DEFAULT_PUBLISHER_OPTIONS.maxBatchVotes,
    });
  });

  test("a codec is named in any case; a linger of 0 sends at the next turn of the event loop", () => {
    const config = loadConfig(publisherEnv, { KAFKA_COMPRESSION: " LZ4 ", KAFKA_LINGER_MS: "0", KAFKA_BATCH_VOTES: "250" });
    expect(config).toEqual({ KAFKA_COMPRESSION: "lz4", KAFKA_LINGER_MS: 0, KAFKA_BATCH_VOTES: 250 });
    expect(loadConfig(publisherEnv, { KAFKA_COMPRESSION: "zstd" }).KAFKA_COMPRESSION).toBe("zstd");
  });

  test("an unknown codec or a bad number stops start-up naming the variable and what it takes", () => {
    expect(() => loadConfig(publisherEnv, { KAFKA_COMPRESSION: "snappy" })).toThrow(ConfigError);
    expect(() => loadConfig(publisherEnv, { KAFKA_COMPRESSION: "snappy" })).toThrow(
      /KAFKA_COMPRESSION="snappy": must be one of none, gzip, lz4, zstd/,
    );
    expect(() => loadConfig(publisherEnv, { KAFKA_LINGER_MS: "-1" })).toThrow(/KAFKA_LINGER_MS="-1"/);
    expect(() => loadConfig(publisherEnv, { KAFKA_BATCH_VOTES: "0" })).toThrow(/KAFKA_BATCH_VOTES="0"/);
  });
});

describe("the LZ4 and zstd codecs", () => {
  registerCompressionCodecs();
  const records = Buffer.from(
    Array.from({ length: 300 }, (_, i) =>
      JSON.stringify({ name: "Alux Nahual", album: "Alux Nahual", year: "1980", rank: String(i) }),
    ).join(""),
  );

  for (const [name, type, magic] of [
    ["lz4", CompressionTypes.LZ4, "04224d18"], // the LZ4 frame format Kafka reads (KIP-57)
    ["zstd", CompressionTypes.ZSTD, "28b52ffd"],
  ] as const) {
    test(`${name} writes its frame format, smaller than the records, and reads it back byte for byte`, async () => {
      const codec = CompressionCodecs[type]();
      const compressed: Buffer = await codec.compress({ buffer: records });
      expect(compressed.subarray(0, 4).toString("hex")).toBe(magic);
      expect(compressed.length).toBeLessThan(records.length / 4);
      expect(Buffer.compare(await codec.decompress(compressed), records)).toBe(0);
    });
  }
});
