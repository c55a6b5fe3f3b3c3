/**
 * What the dashboard API answers and streams: shared by the server and the page, types only,
 * so the page's bundle never pulls in server code.
 */
import type { Route } from "@marimba/shared";

/** One vote as the dashboard shows it: a projection of a `marimba.votes` document. */
export interface VoteRow {
  id: string;
  name: string;
  album: string;
  year: string;
  rank: string;
  route: Route;
  acceptedAt: string;
}

/** Every counter the consumer keeps in Redis, read at one moment. */
export interface Tally {
  total: number;
  band: Record<string, number>;
  album: Record<string, number>;
  rank: Record<string, number>;
  route: Record<string, number>;
  readAt: string;
}

/** `GET /api/votes`: the newest votes first. */
export interface VotesAnswer {
  votes: VoteRow[];
  readAt: string;
}

/** How a read of a store ended: it answered, it did not answer before its deadline, or it could not be reached. */
export type ReadState = "ok" | "timeout" | "unreachable";

/** One dependency as the dashboard last found it: `since` is when it entered that state. */
export interface DependencyStatus {
  state: ReadState | "unknown";
  since: string;
  /** What went wrong, for a person: "MongoDB did not answer within 6 s". */
  error?: string;
}

/** The newest votes as last read, possibly from a while ago. */
export interface NewestVotes {
  votes: VoteRow[];
  /** When this list was read from MongoDB; null before the first good read. */
  readAt: string | null;
  /** Set while the list on screen is not the current one, with why. */
  stale: { reason: string; since: string } | null;
}

/** Votes accepted into Kafka but not yet in the counters, for one partition. */
export interface PartitionLag {
  partition: number;
  /** Kafka's end offset: the offset the next vote will get. */
  end: number;
  /** The last offset the counters include, -1 for none. */
  applied: number;
  lag: number;
}

/**
 * The consumer as its heartbeats and the counters show it: counting, caught up, stalled with votes
 * waiting, or stopped (no replica has beaten lately).
 */
export type ConsumerState = "counting" | "caught-up" | "stalled" | "stopped" | "unknown";

/** One consumer replica and when it last beat (`marimba:consumers:seen`), on the dashboard server's clock. */
export interface ConsumerReplica {
  replica: string;
  lastSeenAt: string;
  /** It has beaten within the last 3 s. */
  alive: boolean;
}

/** `GET /api/status` and SSE `status`: what each dependency is doing and how far the counters are behind Kafka. */
export interface PipelineStatus {
  dependencies: { redis: DependencyStatus; mongo: DependencyStatus; kafka: DependencyStatus };
  /** `total` is null when it cannot be known (Kafka or Redis unanswered). */
  lag: { total: number | null; partitions: PartitionLag[] };
  consumer: {
    state: ConsumerState;
    /** The newest heartbeat of any replica; null when none has beaten within the last hour (or Redis is unanswered). */
    lastSeenAt: string | null;
    /** When the applied offsets last moved (seen by this dashboard instance); null if not since it started. */
    lastMovedAt: string | null;
    /** Every replica seen within the last hour, the most recently seen first. */
    replicas: ConsumerReplica[];
  };
  readAt: string;
}

/** `GET /api/series`: votes counted per second and per route, oldest second first. */
export interface VoteSeries {
  /** The first second of the window, in ms since the epoch; point i is the second `start + i * 1000`. */
  start: number;
  stepMs: number;
  routes: Record<string, number[]>;
  /** The sum of every point: the votes counted in the window. */
  total: number;
  readAt: string;
}

/** SSE `snapshot`: on connect, everything the server has. Later events carry only the part that changed. */
export interface LiveSnapshot {
  tally: Tally | null;
  newest: NewestVotes;
  status: PipelineStatus | null;
  votesPerSecond: number | null;
}

/** SSE `pulse`: a heartbeat every second, independent of every store, with the current rate (null when unknown). */
export interface Pulse {
  votesPerSecond: number | null;
  at: string;
}

/** SSE `problem`: the counters in Redis cannot be read; cleared by the next `tally`. */
export interface Problem {
  error: string;
  at: string;
}

/** The SSE event names of `GET /api/stream`. */
export const STREAM_EVENTS = {
  snapshot: "snapshot",
  tally: "tally",
  votes: "votes",
  status: "status",
  pulse: "pulse",
  problem: "problem",
} as const;

/** How many votes the newest-votes table shows, and the most `GET /api/votes` returns. */
export const NEWEST_VOTES = 20;
export const MAX_VOTES_LIMIT = 100;

/** How far back `GET /api/series` reaches, in seconds (the consumer keeps a little more). */
export const SERIES_WINDOW_SECONDS = 900;
