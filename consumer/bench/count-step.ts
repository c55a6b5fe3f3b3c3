/**
 * The counters' script on its own: Redis CPU and wall time per vote for batches of new ids and for
 * batches whose every id is counted already (second copies). Runs against the stack's Redis in a
 * database of its own (db 8), emptied before and after.
 *
 *   bun consumer/bench/count-step.ts [--batches 100] [--size 1000]
 */
import { parseArgs } from "node:util";
import { acceptVote, type Vote } from "@marimba/shared";
import { createRedis } from "@marimba/shared/storage";
import { stackEnv } from "@marimba/testkit";
import { TallyCounters } from "../src/counters.ts";

const { values } = parseArgs({ options: { batches: { type: "string", default: "100" }, size: { type: "string", default: "1000" } } });
const batches = Number(values.batches);
const size = Number(values.size);
const redis = createRedis(`${stackEnv.REDIS_URL}/8`);
const counters = new TallyCounters(redis);
const bands = ["Alux Nahual", "Bohemia Suburbana", "Malacates Trébol Shop", "Viernes Verde", "Tijuana Love"];

const redisCpuSeconds = async () => {
  const info = await redis.info("cpu");
  return Number(/used_cpu_sys:([\d.]+)/.exec(info)?.[1]) + Number(/used_cpu_user:([\d.]+)/.exec(info)?.[1]);
};

async function measure(what: string, topic: string, work: Vote[][]): Promise<void> {
  const cpu = await redisCpuSeconds();
  const started = performance.now();
  for (const [k, votes] of work.entries()) {
    await counters.apply(
      topic,
      0,
      String(k * size - 1),
      String(k * size + size - 1),
      votes.map((vote) => ({ vote, stored: true })),
    );
  }
  const wall = performance.now() - started;
  const votes = batches * size;
  console.log(
    `${what}: ${votes.toLocaleString("en")} votes in batches of ${size.toLocaleString("en")}: ` +
      `${((wall * 1000) / votes).toFixed(2)} µs wall, ${((((await redisCpuSeconds()) - cpu) * 1e6) / votes).toFixed(2)} µs of Redis CPU per vote`,
  );
}

await redis.flushdb();
try {
  const work = Array.from({ length: batches }, () =>
    Array.from({ length: size }, (_, i) =>
      acceptVote({ name: bands[i % 5] as string, album: "Demo", year: "2026", rank: String(1 + (i % 5)) }, i % 2 ? "http" : "grpc"),
    ),
  );
  await measure("new ids", `count-step-${crypto.randomUUID()}`, work);
  await measure("second copies", `count-step-${crypto.randomUUID()}`, work);
} finally {
  await redis.flushdb();
  redis.disconnect();
}
