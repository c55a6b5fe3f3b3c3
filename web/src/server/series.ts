import { VOTE_SERIES_KEY } from "@marimba/shared";
import type { Redis } from "ioredis";
import { SERIES_WINDOW_SECONDS, type VoteSeries } from "../contract.ts";

type StreamEntry = [id: string, fields: string[]];

/** Every route the consumer counts, always present in a series so the page draws both lines. */
const ROUTES = ["http", "grpc"];

/** Buckets the consumer's per-batch stream entries into per-second counts per route (pure). */
export function bucketSeries(entries: readonly StreamEntry[], start: number, seconds: number, readAt: Date): VoteSeries {
  const routes: Record<string, number[]> = Object.fromEntries(ROUTES.map((route) => [route, new Array<number>(seconds).fill(0)]));
  let total = 0;
  for (const [id, fields] of entries) {
    const index = Math.floor((Number(id.split("-", 1)[0]) - start) / 1000);
    if (index < 0 || index >= seconds) continue;
    for (let i = 0; i + 1 < fields.length; i += 2) {
      const field = fields[i] as string;
      // `total` is the counter after the entry; `source` marks a recount's correction.
      if (field === "total" || field === "source") continue;
      const count = Number(fields[i + 1]);
      if (!Number.isFinite(count)) continue;
      routes[field] ??= new Array<number>(seconds).fill(0);
      (routes[field] as number[])[index] = ((routes[field] as number[])[index] ?? 0) + count;
      total += count;
    }
  }
  return { start, stepMs: 1000, routes, total, readAt: readAt.toISOString() };
}

/** Reads the votes-over-time stream the consumer writes with the counters (`VOTE_SERIES_KEY`). */
export class SeriesReader {
  constructor(private readonly redis: Pick<Redis, "xrange">) {}

  /** The last `seconds` whole seconds (the current one included), per route. */
  async read(seconds = SERIES_WINDOW_SECONDS, now = new Date()): Promise<VoteSeries> {
    const start = (Math.floor(now.getTime() / 1000) - seconds + 1) * 1000;
    const entries = (await this.redis.xrange(VOTE_SERIES_KEY, String(start), "+")) as StreamEntry[];
    return bucketSeries(entries, start, seconds, now);
  }
}

/** Reads `seconds` from a query string: absent means the whole window; otherwise 1 to the window. */
export function parseSeconds(query: URLSearchParams): { ok: true; value: number } | { ok: false; message: string } {
  const raw = query.get("seconds");
  if (raw === null) return { ok: true, value: SERIES_WINDOW_SECONDS };
  if (!/^\d{1,4}$/.test(raw.trim())) return { ok: false, message: `must be a whole number from 1 to ${SERIES_WINDOW_SECONDS}` };
  const value = Number(raw.trim());
  if (value < 1 || value > SERIES_WINDOW_SECONDS) return { ok: false, message: `must be from 1 to ${SERIES_WINDOW_SECONDS}; got ${value}` };
  return { ok: true, value };
}
