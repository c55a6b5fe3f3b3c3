import { acceptVote, errorResponse, httpMetrics, json, probes, type Registry, readVoteRequest, type Vote } from "@marimba/shared";
import { Elysia } from "elysia";

export interface ClientDeps {
  upstream: { forward(votes: readonly Vote[]): Promise<void>; reachable(): Promise<boolean> };
  registry: Registry;
}

/** The HTTP edge: validates votes, stamps each with an id, and answers 202 once Kafka has them. */
export function createClientApp({ upstream, registry }: ClientDeps) {
  const metrics = httpMetrics(registry);
  const accept = async (request: Request, path: string): Promise<Response> => {
    const startedAt = performance.now();
    let response: Response;
    try {
      const { votes, bulk } = await readVoteRequest(request);
      const now = new Date();
      const accepted = votes.map((vote) => acceptVote(vote, "http", now));
      await upstream.forward(accepted);
      const receipts = accepted.map(({ id, acceptedAt }) => ({ id, acceptedAt }));
      response = json(202, bulk ? receipts : receipts[0]);
    } catch (error) {
      response = errorResponse(error);
    }
    metrics.observe(path, response.status, startedAt);
    return response;
  };
  return (
    new Elysia()
      .use(probes(registry, { upstream: () => upstream.reachable() }))
      .post("/http/votes", ({ request }) => accept(request, "/http/votes"), { parse: "none" })
      // The old clients' path, kept so their load files keep working.
      .post("/rust/send_data", ({ request }) => accept(request, "/rust/send_data"), { parse: "none" })
  );
}
