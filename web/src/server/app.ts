import { answering, HttpError, json, probes, type ReadinessChecks, type Registry } from "@marimba/shared";
import { Elysia } from "elysia";
import type { VotesAnswer } from "../contract.ts";
import type { LiveFeed } from "./live.ts";
import { parseLimit } from "./query.ts";
import { dashboardPage } from "./spa.ts";
import { lastEventId } from "./sse.ts";
import type { TallyReader } from "./tally.ts";
import type { VoteLogReader } from "./vote-log.ts";

export interface DashboardDeps {
  votes: Pick<VoteLogReader, "newest">;
  tally: Pick<TallyReader, "read">;
  feed: Pick<LiveFeed, "stream">;
  registry: Registry;
  checks: ReadinessChecks;
  /** The built page (`web/dist`). */
  distDir: string;
}

async function unavailable<T>(store: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch {
    throw new HttpError(503, `${store} is unreachable right now; retry shortly`);
  }
}

function noSuchApi(request: Request): Response {
  return new HttpError(404, `there is no API at ${new URL(request.url).pathname}`).toResponse();
}

/** The dashboard: its JSON API, the live stream, the probes, and the built page, in one app. */
export function createDashboardApp({ votes, tally, feed, registry, checks, distDir }: DashboardDeps) {
  const answer = answering(registry);
  return (
    new Elysia()
      .use(probes(registry, checks))
      .get("/api/votes", ({ request }) =>
        answer("/api/votes", async () => {
          const limit = parseLimit(new URL(request.url).searchParams);
          if (!limit.ok) throw new HttpError(422, "the query is not valid", limit.problems);
          const newest = await unavailable("MongoDB", () => votes.newest(limit.value));
          const body: VotesAnswer = { votes: newest, readAt: new Date().toISOString() };
          return json(200, body);
        }),
      )
      .get("/api/tally", () => answer("/api/tally", async () => json(200, await unavailable("Redis", () => tally.read()))))
      .get("/api/stream", ({ request, server }) => {
        // A quiet stream is not idle: pulses keep it alive, so Bun's idle timeout must not cut it.
        server?.timeout(request, 0);
        return feed.stream(lastEventId(request), request.signal);
      })
      // Unknown API paths answer JSON, not the page: GET is listed on its own so it wins over the page's `/*`.
      .get("/api/*", ({ request }) => noSuchApi(request))
      .all("/api/*", ({ request }) => noSuchApi(request))
      .use(dashboardPage(distDir))
  );
}
