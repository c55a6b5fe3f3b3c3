import { createRequire } from "node:module";
import { zstdCompressSync, zstdDecompressSync } from "node:zlib";
import { CompressionCodecs, CompressionTypes } from "kafkajs";
import { z } from "zod";

/** The codecs a publisher may write with; every Kafka client of the project reads them all. */
export const KAFKA_COMPRESSIONS = ["none", "gzip", "lz4", "zstd"] as const;
export type KafkaCompression = (typeof KAFKA_COMPRESSIONS)[number];

export const COMPRESSION_TYPES: Record<KafkaCompression, CompressionTypes> = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
  lz4: CompressionTypes.LZ4,
  zstd: CompressionTypes.ZSTD,
};

/** `KAFKA_COMPRESSION`: one of the codec names, case-insensitive. */
export const compressionSetting = (fallback: KafkaCompression) =>
  z
    .string()
    .trim()
    .toLowerCase()
    .default(fallback)
    .pipe(z.enum(KAFKA_COMPRESSIONS, { error: `must be one of ${KAFKA_COMPRESSIONS.join(", ")}` }));

interface Lz4Frames {
  compressFrameSync(data: Buffer): Buffer;
  decompressFrameSync(data: Buffer): Buffer;
}

let lz4: Lz4Frames | null = null;
/** The native LZ4 addon is loaded by the first batch that needs it, not by every process that starts. */
function lz4Frames(): Lz4Frames {
  lz4 ??= createRequire(import.meta.url)("lz4-napi") as Lz4Frames;
  return lz4;
}

// kafkajs hands a codec the encoded records (`encoder.buffer`) and awaits the bytes for the batch.
// Kafka's LZ4 is the LZ4 frame format (KIP-57) and its zstd a plain zstd frame; the sync calls
// are cheaper per batch than a round trip through the thread pool at these sizes (tens of KB).
const lz4Codec = {
  async compress(encoder: { buffer: Buffer }) {
    return lz4Frames().compressFrameSync(encoder.buffer);
  },
  async decompress(buffer: Buffer) {
    return lz4Frames().decompressFrameSync(buffer);
  },
};

const zstdCodec = {
  async compress(encoder: { buffer: Buffer }) {
    return zstdCompressSync(encoder.buffer);
  },
  async decompress(buffer: Buffer) {
    return zstdDecompressSync(buffer);
  },
};

/** Teaches kafkajs (one codec table per process) to write and read LZ4 and zstd batches; gzip is built in. */
export function registerCompressionCodecs(): void {
  CompressionCodecs[CompressionTypes.LZ4] = () => lz4Codec;
  CompressionCodecs[CompressionTypes.ZSTD] = () => zstdCodec;
}
