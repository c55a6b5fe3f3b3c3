// Kafka's share of a vote for each codec, without the HTTP or gRPC pair around it: this process's
// VotePublisher sends the same votes in produce requests of one size, then a consumer with the
// consumer service's fetch settings reads them back; codecs take turns (a warm-up turn each, then A B C, C B A, …), and each
// phase is charged this process's CPU and the broker's.
// `bun load/src/bench/codecs.ts [--votes 30000] [--batch 40] [--rounds 4] [--codecs none,lz4,zstd]`
import { join } from "node:path";
import {
  acceptVote,
  COMPRESSION_TYPES,
  createLogger,
  type EncodedVote,
  encodeVote,
  KAFKA_COMPRESSIONS,
  type KafkaCompression,
  type VoteInput,
  VotePublisher,
  waitFor,
} from "@marimba/shared";
import { ROOT } from "@marimba/stack";
import { CompressionCodecs } from "kafkajs";
import { ArgumentError, parseFlags, runTool, usage } from "../args.ts";
import { median } from "../stats.ts";
import { readVotesFile } from "../votes-file.ts";
import { cpuTicks } from "./cpu.ts";
import { benchKafka, createTopic, deleteTopic } from "./kafka.ts";
import { runningPid } from "./stack.ts";

const FLAGS = {
  votes: { type: "integer", min: 1000, max: 1_000_000, default: 30_000, help: "votes per codec per turn" },
  batch: { type: "integer", min: 1, max: 5000, default: 40, help: "votes per produce request" },
  rounds: { type: "integer", min: 1, max: 50, default: 4, help: "turns per codec" },
  codecs: { type: "string", default: "none,lz4,zstd", help: `codecs to compare, from ${KAFKA_COMPRESSIONS.join(", ")}` },
} as const;

/** Produce requests kept waiting behind the one in flight, so each request is exactly one batch. */
const WINDOW = 4;

const silent = createLogger("bench-codecs");
silent.level = "silent";

interface Phase {
  /** This process, then the broker, in clock ticks. */
  own: number;
  kafka: number;
}

async function measured(kafka: number, work: () => Promise<void>): Promise<Phase> {
  const cpu = process.cpuUsage();
  const broker = cpuTicks(kafka);
  await work();
  const used = process.cpuUsage(cpu);
  return { own: (used.user + used.system) / 10_000, kafka: cpuTicks(kafka) - broker };
}

async function produce(topic: string, compression: KafkaCompression, batches: EncodedVote[][], kafkaPid: number): Promise<Phase> {
  const publisher = new VotePublisher(
    benchKafka("marimba-bench-codecs"),
    { topic, compression, maxBatchVotes: batches[0]?.length ?? 1 },
    silent,
  );
  await publisher.start();
  try {
    return await measured(kafkaPid, async () => {
      let next = 0;
      const worker = async () => {
        while (next < batches.length) await publisher.publishEncoded(batches[next++] as EncodedVote[]);
      };
      await Promise.all(Array.from({ length: WINDOW }, worker));
    });
  } finally {
    await publisher.stop();
  }
}

/** Reads the topic from the start in a fresh group until `count` votes came; charged from the group join on. */
async function consume(topic: string, count: number, kafkaPid: number): Promise<Phase> {
  const consumer = benchKafka("marimba-bench-codecs").consumer({
    groupId: `${topic}-${crypto.randomUUID()}`,
    // The consumer service's fetch settings (consumer/src/consumer.ts).
    minBytes: 64 * 1024,
    maxWaitTimeInMs: 100,
    maxBytesPerPartition: 1024 * 1024,
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let seen = 0;
  const joined: { at?: { cpu: NodeJS.CpuUsage; kafka: number } } = {};
  consumer.on(consumer.events.GROUP_JOIN, () => {
    joined.at = { cpu: process.cpuUsage(), kafka: cpuTicks(kafkaPid) };
  });
  try {
    await consumer.run({
      eachBatch: async ({ batch }) => {
        for (const message of batch.messages) if (message.value) seen++;
      },
    });
    await waitFor(`${count} votes read back`, () => seen >= count, 120_000, 20);
    const start = joined.at;
    if (!start) throw new Error("the consumer never joined its group");
    const used = process.cpuUsage(start.cpu);
    return { own: (used.user + used.system) / 10_000, kafka: cpuTicks(kafkaPid) - start.kafka };
  } finally {
    await consumer.disconnect();
  }
}

/** The codec alone, in process, on one request's keys and values: compressed size and µs per vote each way. */
async function codecAlone(codec: KafkaCompression, batch: readonly EncodedVote[]): Promise<string> {
  const records = Buffer.from(batch.map((vote) => vote.key + vote.value).join(""));
  if (codec === "none") return `${records.length} B`;
  const { compress, decompress } = CompressionCodecs[COMPRESSION_TYPES[codec] as keyof typeof CompressionCodecs]();
  const times = Math.max(200, Math.round(400_000 / batch.length));
  let compressed: Buffer = await compress({ buffer: records });
  for (let i = 0; i < 50; i++) await decompress(await compress({ buffer: records }));
  let started = performance.now();
  for (let i = 0; i < times; i++) compressed = await compress({ buffer: records });
  const compressing = ((performance.now() - started) * 1000) / times / batch.length;
  started = performance.now();
  for (let i = 0; i < times; i++) await decompress(compressed);
  const decompressing = ((performance.now() - started) * 1000) / times / batch.length;
  return `${compressed.length} B, compress ${compressing.toFixed(2)} and decompress ${decompressing.toFixed(2)} µs/vote`;
}

async function main(argv: string[]): Promise<number> {
  const flags = parseFlags(FLAGS, argv);
  if (flags.help) {
    console.log(usage("bun load/src/bench/codecs.ts", FLAGS));
    return 0;
  }
  const codecs = flags.codecs.split(",").map((name) => name.trim()) as KafkaCompression[];
  for (const codec of codecs)
    if (!KAFKA_COMPRESSIONS.includes(codec)) throw new ArgumentError(`--codecs: '${codec}' is not one of ${KAFKA_COMPRESSIONS.join(", ")}`);
  const kafkaPid = runningPid("kafka");
  if (kafkaPid === null) throw new ArgumentError("the local stack's Kafka is not running at this port offset: npm run up");
  const sample = readVotesFile(join(ROOT, "data", "votes.json"));
  const votes = Array.from({ length: flags.votes }, (_, i) => encodeVote(acceptVote(sample[i % sample.length] as VoteInput, "http")));
  const batches = Array.from({ length: Math.ceil(votes.length / flags.batch) }, (_, i) =>
    votes.slice(i * flags.batch, (i + 1) * flags.batch),
  );
  const totals = new Map(
    codecs.map((codec) => [codec, { produce: { own: 0, kafka: 0 }, consume: { own: 0, kafka: 0 }, votes: 0, turnSums: [] as number[] }]),
  );
  for (const codec of codecs)
    console.log(`  ${codec} alone, one request of ${batches[0]?.length} votes: ${await codecAlone(codec, batches[0] ?? [])}`);
  const kafka = benchKafka("marimba-bench-codecs");
  // Turn 0 of each codec warms the JIT and the broker up and is not counted.
  for (let round = 0; round <= flags.rounds; round++) {
    for (const codec of round % 2 === 1 ? codecs : [...codecs].reverse()) {
      const topic = `bench-codecs-${codec}-${crypto.randomUUID()}`;
      await createTopic(kafka, topic, 6);
      try {
        const produced = await produce(topic, codec, batches, kafkaPid);
        const consumed = await consume(topic, votes.length, kafkaPid);
        const per = (ticks: number) => ((ticks * 10_000) / votes.length).toFixed(1);
        console.log(
          `  ${codec} ${round === 0 ? "warm-up" : `round ${round}`}: produce ${per(produced.own)} + broker ${per(produced.kafka)}, consume ${per(consumed.own)} + broker ${per(consumed.kafka)} µs/vote`,
        );
        if (round === 0) continue;
        const total = totals.get(codec) as NonNullable<ReturnType<typeof totals.get>>;
        for (const [sum, phase] of [
          [total.produce, produced],
          [total.consume, consumed],
        ] as const) {
          sum.own += phase.own;
          sum.kafka += phase.kafka;
        }
        total.votes += votes.length;
        total.turnSums.push(((produced.own + produced.kafka + consumed.own + consumed.kafka) * 10_000) / votes.length);
      } finally {
        await deleteTopic(kafka, topic);
      }
    }
  }
  console.log(`\n${flags.votes} votes per codec per turn, ${flags.batch} votes per produce request, ${flags.rounds} turns\n`);
  console.log(
    "| codec | publisher µs/vote | broker (produce) µs/vote | consumer µs/vote | broker (fetch) µs/vote | sum µs/vote | median turn's sum |",
  );
  console.log("|---|---|---|---|---|---|---|");
  for (const [codec, total] of totals) {
    const cells = [total.produce.own, total.produce.kafka, total.consume.own, total.consume.kafka].map(
      (ticks) => (ticks * 10_000) / Math.max(1, total.votes),
    );
    console.log(
      `| ${codec} | ${cells.map((value) => value.toFixed(1)).join(" | ")} | ${cells.reduce((a, b) => a + b, 0).toFixed(1)} | ${median(total.turnSums).toFixed(1)} |`,
    );
  }
  return 0;
}

runTool(main);
