import { Elysia } from "elysia";
import { answering, json, readVoteRequest } from "./http.ts";
import type { Registry } from "./metrics.ts";
import { probes } from "./service.ts";
import { acceptVote, type Route, type Vote } from "./vote.ts";

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
}

/**
 * An edge service: validates votes, stamps each with an id and acceptance time, forwards them,
 * and answers 202 with the receipts only once Kafka has them. Both routes' edges are this.
 */
export function createEdgeApp({ route, paths, upstream, registry }: EdgeOptions) {
  const answer = answering(registry);
  const accept = (request: Request, path: string): Promise<Response> =>
    answer(path, async () => {
      const { votes, bulk } = await readVoteRequest(request);
      const now = new Date();
      const accepted = votes.map((vote) => acceptVote(vote, route, now));
      await upstream.forward(accepted);
      const receipts = accepted.map(({ id, acceptedAt }) => ({ id, acceptedAt }));
      return json(202, bulk ? receipts : receipts[0]);
    });
  const [canonical, old] = paths;
  return new Elysia()
    .use(probes(registry, { upstream: () => upstream.reachable() }))
    .post(canonical, ({ request }) => accept(request, canonical), { parse: "none" })
    .post(old, ({ request }) => accept(request, old), { parse: "none" });
}
