import { answering, HttpError, json, probes, type ReadinessChecks, type Registry } from "@marimba/shared";
import { Elysia } from "elysia";
import type { PipelineStatus, VoteSeries, VotesAnswer } from "../contract.ts";
import { DEFAULT_LIVE_OPTIONS, type LiveFeed } from "./live.ts";
import { parseLimit } from "./query.ts";
import { ReadError, type StoreAddress, withDeadline } from "./reads.ts";
import { parseSeconds } from "./series.ts";
import { dashboardPage } from "./spa.ts";
import { lastEventId } from "./sse.ts";
import type { TallyReader } from "./tally.ts";
import type { VoteLogReader } from "./vote-log.ts";

export interface DashboardDeps {
  votes: Pick<VoteLogReader, "newest">;
  tally: Pick<TallyReader, "read">;
  series: { read(seconds: number): Promise<VoteSeries> };
  pipeline: { read(): Promise<PipelineStatus> };
  feed: Pick<LiveFeed, "stream">;
  registry: Registry;
  checks: ReadinessChecks;
  /** The built page (`web/dist`). */
  distDir: string;
  /** Deadlines of the API's reads, and where each store listens (to tell "timed out" from "unreachable"). */
  deadlines?: { redisMs: number; mongoMs: number };
  addresses?: { redis?: StoreAddress; mongo?: StoreAddress };
}

/** Every API path answers GET (and HEAD) only. */
const ALLOW = "GET, HEAD";

/** JSON of a live dashboard is never cached, and never sniffed as anything else. */
function apiHeaders(response: Response): Response {
  response.headers.set("cache-control", "no-store");
  response.headers.set("x-content-type-options", "nosniff");
  return response;
}

/** The JSON text of answers shared by concurrent requests (one read, one object): encoded once. */
const encoded = new WeakMap<object, string>();

/** A 200 with `body` as JSON, encoding an object given to many requests at once only once. */
function sharedJson(body: object): Response {
  let text = encoded.get(body);
  if (text === undefined) {
    text = JSON.stringify(body);
    encoded.set(body, text);
  }
  return new Response(text, { status: 200, headers: { "content-type": "application/json" } });
}

/** A read that did not answer: 504 when the store did not answer in time, 503 when it cannot be reached. */
async function storeRead<T>(store: string, deadlineMs: number, read: () => Promise<T>, address?: StoreAddress): Promise<T> {
  try {
    return await withDeadline(store, deadlineMs, read, address);
  } catch (error) {
    if (error instanceof ReadError && error.state === "timeout") throw new HttpError(504, `${error.message} (timed out); retry shortly`);
    throw new HttpError(503, `${store} is unreachable right now; retry shortly`);
  }
}

function noSuchApi(request: Request): Response {
  return apiHeaders(new HttpError(404, `there is no API at ${new URL(request.url).pathname}`).toResponse());
}

function wrongMethod(request: Request): Response {
  const path = new URL(request.url).pathname;
  if (request.method === "OPTIONS") return apiHeaders(new Response(null, { status: 204, headers: { allow: ALLOW } }));
  const response = new HttpError(405, `${path} answers ${ALLOW} only, not ${request.method}`).toResponse();
  response.headers.set("allow", ALLOW);
  return apiHeaders(response);
}

/** The dashboard: its JSON API, the live stream, the probes, and the built page, in one app. */
export function createDashboardApp(deps: DashboardDeps) {
  const { votes, tally, series, pipeline, feed, registry, checks, distDir } = deps;
  const deadlines = deps.deadlines ?? { redisMs: DEFAULT_LIVE_OPTIONS.redisDeadlineMs, mongoMs: DEFAULT_LIVE_OPTIONS.mongoDeadlineMs };
  const answer = answering(registry);
  const api = async (path: string, produce: () => Promise<Response>) => apiHeaders(await answer(path, produce));
  return (
    new Elysia()
      .use(probes(registry, checks))
      .get("/api/votes", ({ request }) =>
        api("/api/votes", async () => {
          const limit = parseLimit(new URL(request.url).searchParams);
          if (!limit.ok) throw new HttpError(422, "the query is not valid", limit.problems);
          const newest = await storeRead("MongoDB", deadlines.mongoMs, () => votes.newest(limit.value), deps.addresses?.mongo);
          const body: VotesAnswer = { votes: newest, readAt: new Date().toISOString() };
          return json(200, body);
        }),
      )
      .get("/api/tally", () =>
        api("/api/tally", async () => sharedJson(await storeRead("Redis", deadlines.redisMs, () => tally.read(), deps.addresses?.redis))),
      )
      .get("/api/series", ({ request }) =>
        api("/api/series", async () => {
          const seconds = parseSeconds(new URL(request.url).searchParams);
          if (!seconds.ok) throw new HttpError(422, "the query is not valid", [{ field: "seconds", message: seconds.message }]);
          return json(200, await storeRead("Redis", deadlines.redisMs, () => series.read(seconds.value), deps.addresses?.redis));
        }),
      )
      // Always 200: the status is the answer even when every dependency is away (each says so itself).
      .get("/api/status", () => api("/api/status", async () => json(200, await pipeline.read())))
      // serveHttp lifts the idle timeout for an event stream: a quiet stream is not an idle one.
      .get("/api/stream", ({ request }) => feed.stream(lastEventId(request), request.signal))
      .all("/api/votes", ({ request }) => wrongMethod(request))
      .all("/api/tally", ({ request }) => wrongMethod(request))
      .all("/api/series", ({ request }) => wrongMethod(request))
      .all("/api/status", ({ request }) => wrongMethod(request))
      .all("/api/stream", ({ request }) => wrongMethod(request))
      // Unknown API paths answer JSON, not the page: GET is listed on its own so it wins over the page's `/*`.
      .get("/api/*", ({ request }) => noSuchApi(request))
      .all("/api/*", ({ request }) => noSuchApi(request))
      .use(dashboardPage(distDir))
  );
}
