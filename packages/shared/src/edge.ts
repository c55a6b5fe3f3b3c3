import { Elysia } from "elysia";
import { DEFAULT_COALESCER_OPTIONS } from "./coalesce.ts";
import { env } from "./config.ts";
import { answering, clientClosedResponse, connectionClosed, HttpError, json, readVoteRequest } from "./http.ts";
import { DEFAULT_RECENT_KEYS, type KeyedVotes, RecentKeys, readIdempotencyKey } from "./idempotency.ts";
import type { Registry } from "./metrics.ts";
import { probes } from "./service.ts";
import { acceptVote, MAX_BULK_VOTES, type Route, type Vote } from "./vote.ts";

/** Where an edge sends the votes it accepted: the server of its pair, which publishes them. */
export interface VoteForwarder {
  /** Resolves once Kafka has the votes; throws an HttpError to answer with otherwise. */
  forward(votes: readonly Vote[]): Promise<void>;
  reachable(): Promise<boolean>;
}

export interface EdgeOptions {
  route: Route;
  /** The canonical path, then the old clients' path, kept so their load files keep working. */
  paths: readonly [string, string];
  upstream: VoteForwarder;
  registry: Registry;
  /** Most votes between validation and answer at once; past it a request is answered 429 at once. */
  maxInFlightVotes?: number;
  /** The keyed votes this edge remembers, for 409s and answers to retries. */
  recentKeys?: RecentKeys;
}

/** Votes an edge holds at once by default: at the routes' measured rates, well under a second of work. */
export const DEFAULT_MAX_IN_FLIGHT_VOTES = 10_000;

/** The environment both edges read beside their own: how they batch, shed and remember keys. */
export const edgeEnv = {
  // Most votes per upstream call; 1 sends every request on its own, as before coalescing.
  UPSTREAM_BATCH_VOTES: env.positiveInt(DEFAULT_COALESCER_OPTIONS.maxItems),
  // Votes held at once (validated, not yet answered); past it requests are answered 429 at once.
  MAX_IN_FLIGHT_VOTES: env.positiveInt(DEFAULT_MAX_IN_FLIGHT_VOTES),
  // Keyed votes remembered for 409s and answers to retries (~240 bytes each, measured).
  RECENT_KEYS: env.positiveInt(DEFAULT_RECENT_KEYS),
};

/** What the edge environment sets: the upstream's batch size and the app's limits. */
export function edgeSettings(config: { UPSTREAM_BATCH_VOTES: number; MAX_IN_FLIGHT_VOTES: number; RECENT_KEYS: number }) {
  return {
    batch: { maxItems: Math.min(config.UPSTREAM_BATCH_VOTES, MAX_BULK_VOTES) },
    limits: { maxInFlightVotes: config.MAX_IN_FLIGHT_VOTES, recentKeys: new RecentKeys(config.RECENT_KEYS) },
  };
}

/**
 * An edge service: validates votes, stamps each with an id (derived from the Idempotency-Key when
 * there is one) and acceptance time, forwards them, and answers 202 with the receipts only once
 * Kafka has them. Both routes' edges are this.
 */
export function createEdgeApp({
  route,
  paths,
  upstream,
  registry,
  maxInFlightVotes = DEFAULT_MAX_IN_FLIGHT_VOTES,
  recentKeys = new RecentKeys(),
}: EdgeOptions) {
  const answer = answering(registry);
  let inFlightVotes = 0;
  const accept = (request: Request, path: string): Promise<Response> =>
    answer(path, async () => {
      const key = readIdempotencyKey(request);
      const { votes, bulk } = await readVoteRequest(request);
      // Shed early, counted in votes: a request that would wait behind too many is told to come back.
      if (inFlightVotes + votes.length > maxInFlightVotes) {
        throw new HttpError(429, "too many votes are being written right now; retry shortly");
      }
      inFlightVotes += votes.length;
      try {
        const now = new Date();
        const keyed: KeyedVotes = key
          ? recentKeys.accept(key, votes, bulk, route, now)
          : { votes: votes.map((vote) => acceptVote(vote, route, now)), durable: false };
        if (await connectionClosed(request)) return clientClosedResponse();
        if (!keyed.durable) await upstream.forward(keyed.votes);
        if (key) recentKeys.markDurable(keyed.votes);
        const receipts = keyed.votes.map(({ id, acceptedAt }) => ({ id, acceptedAt }));
        return json(202, bulk ? receipts : receipts[0]);
      } finally {
        inFlightVotes -= votes.length;
      }
    });
  const [canonical, old] = paths;
  return new Elysia()
    .use(probes(registry, { upstream: () => upstream.reachable() }))
    .post(canonical, ({ request }) => accept(request, canonical), { parse: "none" })
    .post(old, ({ request }) => accept(request, old), { parse: "none" });
}
