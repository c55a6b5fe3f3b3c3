import { type Route, VOTES_COLLECTION, waitUntil } from "@marimba/shared";
import { createMongo } from "@marimba/shared/storage";
import { readTallies } from "@marimba/stack";
import { fireVotes, type RouteResult } from "../fire.ts";
import { ROUTE_PATHS, type Shot } from "../routes.ts";
import { round, Samples, summarize } from "../stats.ts";
import { waitForConsumer } from "./ingest.ts";
import { stackEnv, urls } from "./stack.ts";

const SLICES = 10;
/** Lookups by id in flight at once while the run's votes are read back. */
const LOOKUPS_IN_FLIGHT = 8;

export interface EndToEndOptions {
  /** Votes per second in total, shared evenly by the routes. */
  rate: number;
  durationSeconds: number;
  connections: number;
  routes: readonly Route[];
  bodies: readonly Buffer[];
  timeoutMs?: number;
  log: (line: string) => void;
}

export interface EndToEndResult {
  rate: number;
  durationSeconds: number;
  routes: RouteResult[];
  accepted: number;
  /** Accepted votes found in MongoDB: must equal `accepted`. */
  stored: number;
  achievedRate: number;
  /** `storedAt − acceptedAt` of the run's votes, in ms. */
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
}

/**
 * End-to-end latency: a steady rate through the routes (autocannon `overallRate`), then
 * `storedAt − acceptedAt` of exactly the votes this run had accepted, read back from MongoDB.
 */
export async function runEndToEnd(options: EndToEndOptions): Promise<EndToEndResult> {
  const timeoutMs = options.timeoutMs ?? 120_000;
  await waitForConsumer(timeoutMs, options.log);
  const before = (await readTallies()).total;
  // autocannon paces `overallRate` per connection per second (each sends its share, then waits),
  // so the load is cut into slices started a tenth of a second apart: ten small bursts a second.
  const shots: Shot[] = [];
  for (let slice = 0; slice < SLICES; slice++) {
    for (const route of options.routes) {
      shots.push({
        origin: urls[route],
        routes: [{ route, origin: urls[route], path: ROUTE_PATHS[route].canonical }],
        connections: Math.max(1, Math.round(options.connections / (options.routes.length * SLICES))),
        rate: Math.max(1, Math.round(options.rate / (options.routes.length * SLICES))),
        startDelayMs: (slice * 1000) / SLICES,
      });
    }
  }
  const accepted = new Set<string>();
  let unreadable = 0;
  options.log(`  ${options.rate} votes/s for ${options.durationSeconds} s through ${options.routes.join(" and ")}`);
  const routes = await fireVotes({
    shots,
    bodies: options.bodies,
    duration: options.durationSeconds,
    onResponse: (_route, status, body) => {
      if (status !== 202) return;
      try {
        accepted.add((JSON.parse(body) as { id: string }).id);
      } catch {
        unreadable++;
      }
    },
  });
  if (unreadable > 0) options.log(`  ${unreadable} accepted votes came back without a readable id and are not timed`);
  const sent = performance.now();
  const counted = await waitUntil(async () => (await readTallies()).total >= before + accepted.size + unreadable, timeoutMs, 200);
  if (!counted) options.log("  not every accepted vote was counted in time; reporting those stored");
  else options.log(`  every accepted vote was counted ${((performance.now() - sent) / 1000).toFixed(1)} s after the load stopped`);

  const reading = performance.now();
  const mongo = createMongo(stackEnv.MONGO_URL);
  const latency = new Samples();
  try {
    // One lookup per accepted id, served by the _id index: a range on acceptedAt reads every
    // document on FerretDB (41.8 s for the smoke run's votes with 300,000 stored, 4.6 s fresh).
    const votes = mongo.db(stackEnv.MONGO_DB).collection<{ _id: string; acceptedAt: Date; storedAt: Date }>(VOTES_COLLECTION);
    const unread = new Set(accepted);
    const ids = [...accepted];
    let next = 0;
    await Promise.all(
      Array.from({ length: LOOKUPS_IN_FLIGHT }, async () => {
        while (next < ids.length) {
          const id = ids[next++] as string;
          const vote = await votes.findOne({ _id: id }, { projection: { acceptedAt: 1, storedAt: 1 } });
          if (!vote) continue;
          unread.delete(id);
          latency.push(vote.storedAt.getTime() - vote.acceptedAt.getTime());
        }
      }),
    );
    if (unread.size > 0) options.log(`  ${unread.size} accepted votes are not in MongoDB: ${[...unread].slice(0, 20).join(", ")}`);
  } finally {
    await mongo.close();
  }
  options.log(`  read ${latency.length} of the run's votes back from MongoDB in ${((performance.now() - reading) / 1000).toFixed(1)} s`);
  const summary = summarize(latency.values());
  const achieved = routes.reduce((sum, route) => sum + route.accepted, 0) / Math.max(1, options.durationSeconds);
  return {
    rate: options.rate,
    durationSeconds: options.durationSeconds,
    routes,
    accepted: accepted.size,
    stored: latency.length,
    achievedRate: round(achieved),
    latencyMs: {
      p50: round(summary.p50),
      p90: round(summary.p90),
      p99: round(summary.p99),
      max: round(summary.max),
      mean: round(summary.mean),
    },
  };
}
