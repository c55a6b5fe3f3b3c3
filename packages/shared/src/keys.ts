import { ROUTES, type Route, type Vote } from "./vote.ts";

/** The Redis keys Grafana and the dashboard read; the consumer writes exactly these. */
export const tallyKeys = {
  total: "marimba:votes:total",
  band: "marimba:votes:band",
  album: "marimba:votes:album",
  rank: "marimba:votes:rank",
  route: "marimba:votes:route",
} as const;

/** The hash field names of `marimba:votes:*`, by counter. */
export type TallyHash = Exclude<keyof typeof tallyKeys, "total">;
export const TALLY_HASHES: readonly TallyHash[] = ["band", "album", "rank", "route"];

/**
 * Redis stream of counted batches, written in the same script step as the counters: one entry per
 * batch, its id the Redis time it was counted, fields `total` (the counter after it) and one count
 * per route. A recount that changes the counters adds one entry with the change per route (which
 * may be negative) and `source` = `recount`, so the series always sums to what the counters
 * gained. Trimmed to `VOTE_SERIES_RETENTION_MS`; read with XRANGE by the dashboard and Grafana.
 */
export const VOTE_SERIES_KEY = "marimba:votes:series";
/** How long the series keeps entries: the dashboard's 15 minutes and a minute to spare. */
export const VOTE_SERIES_RETENTION_MS = 16 * 60 * 1000;

/** Lua that appends one entry (its fields a Lua argument list) to the series at `key`, dropping entries past the retention. */
export function appendToSeriesLua(key: string, fields: string): string {
  return `local now = redis.call('TIME')
local oldest = string.format('%d', tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000) - ${VOTE_SERIES_RETENTION_MS})
redis.call('XADD', ${key}, 'MINID', '~', oldest, '*', ${fields})`;
}

/**
 * Sorted set replica → the Redis time (ms) it last beat: every consumer replica writes its own
 * member every `CONSUMER_HEARTBEAT_MS`; members older than `CONSUMER_SEEN_RETENTION_MS` are
 * dropped, and the key expires once no replica has beaten for that long.
 */
export const CONSUMERS_SEEN_KEY = "marimba:consumers:seen";
export const CONSUMER_HEARTBEAT_MS = 1000;
export const CONSUMER_SEEN_RETENTION_MS = 60 * 60 * 1000;

/**
 * The vote ids the counters include, each with the route it was counted in (`countedRoute`): 65,536 small hashes
 * (the id's last four characters name the hash, the rest is the field), so each stays a compact
 * listpack (50.5 MB of Redis memory for 1,000,000 ids, measured). Written by the counters' script
 * in the same step as the counts, it tells a second copy of a vote id (a keyed retry) from a batch
 * delivered again after a crash without reading the log. Entries are never removed: an id counted
 * once is never counted again. Past ~8 million ids the hashes outgrow listpacks and cost more.
 */
export const COUNTED_IDS_PREFIX = "marimba:votes:counted:";
/** Characters of the id at its end that name its hash in `COUNTED_IDS_PREFIX`. */
export const COUNTED_ID_BUCKET_CHARS = 4;

/** What the counted-ids set holds for an id: its route's number in `ROUTES`, from 1. */
export function countedRoute(route: Route): string {
  return String(ROUTES.indexOf(route) + 1);
}

/** Where the counted-ids set keeps one id: its hash and field. */
export function countedIdSlot(id: string): { key: string; field: string } {
  return { key: COUNTED_IDS_PREFIX + id.slice(-COUNTED_ID_BUCKET_CHARS), field: id.slice(0, -COUNTED_ID_BUCKET_CHARS) };
}

/** Hash partition → last offset applied to the counters, for one topic. */
export function appliedOffsetsKey(topic: string): string {
  return `marimba:offsets:${topic}`;
}

/** Field of `marimba:votes:album`: albums are counted per band and year. */
export function albumField(vote: Pick<Vote, "name" | "album" | "year">): string {
  return `${vote.name} — ${vote.album} (${vote.year})`;
}

/** The MongoDB collection holding one document per vote. */
export const VOTES_COLLECTION = "votes";

/** Where a vote sits in Kafka: stored with it so counters can be rebuilt to the exact offset. */
export interface KafkaPosition {
  topic: string;
  partition: number;
  offset: number;
}

/** A vote as the consumer stores it in `marimba.votes`: the log every counter can be rebuilt from. */
export interface StoredVote extends KafkaPosition {
  _id: string;
  name: string;
  album: string;
  year: string;
  rank: string;
  route: Vote["route"];
  acceptedAt: Date;
  storedAt: Date;
}

/**
 * The MongoDB collection holding one document, `_id` = `NEWEST_VOTES_ID`: the newest
 * `NEWEST_VOTES_KEPT` votes, newest first, kept by the consumer as it stores them. The
 * dashboard reads it by `_id` instead of sorting the whole vote log.
 */
export const NEWEST_VOTES_COLLECTION = "newest_votes";
export const NEWEST_VOTES_ID = "newest";
export const NEWEST_VOTES_KEPT = 100;

/** One vote as the newest-votes document holds it. */
export interface NewestVote {
  id: string;
  name: string;
  album: string;
  year: string;
  rank: string;
  route: Vote["route"];
  acceptedAt: Date;
}

/** The newest-votes document; `version` grows with every write (optimistic concurrency between consumers). */
export interface NewestVotesDocument {
  _id: typeof NEWEST_VOTES_ID;
  version: number;
  votes: NewestVote[];
}
