// `bun load/src/grow-store-cli.ts --votes N`: grows the running stack's vote store by N votes, as a
// bench run leaves it, so the stack tests can be run against a store that is not fresh.
//
// The votes go into the stack's own topic and its own consumer stores and counts them: Kafka's
// committed offsets then prove them applied, so after a Redis loss the consumer's repair counts
// them again. (The scale benchmark's preload writes for a topic Kafka never held; a repair could
// not count those, and the fault tests that empty Redis would see them vanish from the counters.)
import { createLogger, tallyKeys, waitUntil } from "@marimba/shared";
import { createRedis } from "@marimba/shared/storage";
import { ArgumentError, type FlagSpecs, parseFlags, usage } from "./args.ts";
import { wireVotes } from "./bench/drain.ts";
import { benchKafka, consumerLag, produceVotes } from "./bench/kafka.ts";
import { stackEnv } from "./bench/stack.ts";

const FLAGS = {
  votes: { type: "integer", min: 1, max: 10_000_000, default: 300_000, help: "votes to add to the store" },
  slice: { type: "integer", min: 1000, max: 1_000_000, default: 50_000, help: "votes produced before waiting for the consumer" },
} as const satisfies FlagSpecs;

const log = createLogger("grow-store");

try {
  const flags = parseFlags(FLAGS, process.argv.slice(2));
  if (flags.help) {
    console.log(usage("bun load/src/grow-store-cli.ts", FLAGS));
    process.exit(0);
  }
  const kafka = benchKafka("marimba-grow-store");
  const redis = createRedis(stackEnv.REDIS_URL);
  const started = performance.now();
  const startTotal = Number((await redis.get(tallyKeys.total)) ?? 0);
  for (let done = 0; done < flags.votes; ) {
    const size = Math.min(flags.slice, flags.votes - done);
    await produceVotes(kafka, stackEnv.KAFKA_TOPIC, wireVotes(size, startTotal + done + 1));
    done += size;
    // A backlog of one slice at a time: the consumer never holds more than that in memory.
    const drained = await waitUntil(async () => (await consumerLag(kafka, stackEnv.KAFKA_TOPIC)) === 0, 600_000, 500);
    if (!drained) throw new Error(`the consumer did not catch up within 10 minutes after ${done} votes`);
    const seconds = (performance.now() - started) / 1000;
    console.log(`grew the store by ${done.toLocaleString("en-US")} votes (${Math.round(done / seconds).toLocaleString("en-US")}/s)`);
  }
  const total = Number((await redis.get(tallyKeys.total)) ?? 0);
  console.log(`the counters now say ${total.toLocaleString("en-US")} votes (${stackEnv.MONGO_DB} on ${stackEnv.MONGO_URL})`);
  redis.disconnect();
} catch (error) {
  if (!(error instanceof ArgumentError)) {
    log.error({ err: error }, "could not grow the store");
    process.exit(1);
  }
  console.error(`grow-store: ${error.message}`);
  process.exit(2);
}
