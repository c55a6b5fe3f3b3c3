/**
 * `/api/tally` of two dashboard servers side by side (two builds against the same Redis), in
 * alternating turns so both see the same machine: p50 and p99 of 50 concurrent clients each.
 *
 *   bun web/bench/tally-compare.ts --a http://127.0.0.1:8199 --b http://127.0.0.1:8188 [--rounds 6] [--clients 50] [--each 20]
 */
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    a: { type: "string" },
    b: { type: "string" },
    rounds: { type: "string", default: "6" },
    clients: { type: "string", default: "50" },
    each: { type: "string", default: "20" },
  },
});
if (!values.a || !values.b) throw new Error("give both servers: --a URL --b URL");
const clients = Number(values.clients);
const each = Number(values.each);

async function turn(base: string): Promise<number[]> {
  const ms: number[] = [];
  await Promise.all(
    Array.from({ length: clients }, async () => {
      for (let i = 0; i < each; i++) {
        const started = performance.now();
        const response = await fetch(`${base}/api/tally`, { signal: AbortSignal.timeout(10_000) });
        await response.arrayBuffer();
        if (!response.ok) throw new Error(`${base}/api/tally answered ${response.status}`);
        ms.push(performance.now() - started);
      }
    }),
  );
  return ms;
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
const all: Record<"a" | "b", number[]> = { a: [], b: [] };
await turn(values.a);
await turn(values.b);
for (let round = 0; round < Number(values.rounds); round++) {
  const order: ("a" | "b")[] = round % 2 === 0 ? ["a", "b"] : ["b", "a"];
  for (const side of order) all[side].push(...(await turn(values[side] as string)));
}
for (const side of ["a", "b"] as const) {
  const sorted = all[side].sort((x, y) => x - y);
  console.log(
    `${side} ${values[side]}: ${sorted.length} requests at ${clients} clients, p50 ${percentile(sorted, 50).toFixed(1)} ms, p99 ${percentile(sorted, 99).toFixed(1)} ms`,
  );
}
