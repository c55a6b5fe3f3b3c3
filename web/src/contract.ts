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

/** SSE `snapshot`: pushed on connect and whenever the counters move. */
export interface LiveSnapshot {
  tally: Tally;
  votes: VoteRow[];
  votesPerSecond: number;
}

/** SSE `pulse`: a heartbeat every second that also carries the current rate. */
export interface Pulse {
  votesPerSecond: number;
  at: string;
}

/** SSE `problem`: the API is up but cannot read MongoDB or Redis; cleared by the next snapshot. */
export interface Problem {
  error: string;
  at: string;
}

/** The SSE event names of `GET /api/stream`. */
export const STREAM_EVENTS = { snapshot: "snapshot", pulse: "pulse", problem: "problem" } as const;

/** How many votes the newest-votes table shows, and the most `GET /api/votes` returns. */
export const NEWEST_VOTES = 20;
export const MAX_VOTES_LIMIT = 100;
