import { readBodyText, repeatedKeys } from "./json.ts";
import { httpMetrics, type Registry } from "./metrics.ts";
import { PublishError } from "./publisher.ts";
import { type FieldProblem, parseVoteBody, type VoteBatch } from "./vote.ts";

/** Largest request body an edge reads: 500 votes of ordinary names fit many times over. */
export const MAX_BODY_BYTES = 1024 * 1024;

/**
 * Largest body an internal hop reads: the edge joins several requests into one upstream batch
 * of up to 500 votes, and 500 of the largest valid votes (~4.5 KB each as JSON) are ~2.3 MB.
 */
export const MAX_HOP_BODY_BYTES = 4 * 1024 * 1024;

/** How long a client should wait before retrying after a 503 or 429. */
export const RETRY_AFTER_SECONDS = 1;

export interface ErrorBody {
  error: string;
  details: FieldProblem[];
}

/** An HTTP error with the JSON body the wire contract promises (docs/ARCHITECTURE.md): `{"error": "...", "details": [...]}`. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly details: FieldProblem[] = [],
  ) {
    super(message);
  }

  toResponse(): Response {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (this.status === 503 || this.status === 429) headers["retry-after"] = String(RETRY_AFTER_SECONDS);
    const body: ErrorBody = { error: this.message, details: this.details };
    return new Response(JSON.stringify(body), { status: this.status, headers });
  }
}

export function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
}

const NOT_JSON = "the body must be JSON: send the header 'content-type: application/json'";
// `application/json`, optionally with `charset=utf-8` (quoted or not): the only type a vote is read as.
const JSON_TYPE = /^application\/json[ \t]*(?:;[ \t]*charset[ \t]*=[ \t]*(?:utf-8|"utf-8")[ \t]*)?$/i;
const JSON_TYPE_WITH_PARAMETERS = /^application\/json[ \t]*;/i;

/** Refuses any content type but `application/json` (with at most `charset=utf-8`), naming what to send. */
export function checkJsonContentType(contentType: string | null): void {
  if (contentType !== null && JSON_TYPE.test(contentType)) return;
  if (contentType !== null && JSON_TYPE_WITH_PARAMETERS.test(contentType)) {
    throw new HttpError(415, "the body must be UTF-8 JSON: 'charset=utf-8' is the only parameter accepted after 'application/json'");
  }
  throw new HttpError(415, NOT_JSON);
}

/**
 * Reads the body of a request as JSON, enforcing content type and size (as it streams in), UTF-8,
 * and keys named once per object.
 */
export async function readJsonBody(request: Request, maxBytes = MAX_BODY_BYTES): Promise<unknown> {
  checkJsonContentType(request.headers.get("content-type"));
  const raw = await readBodyText(request, maxBytes);
  if (typeof raw !== "string") throw new HttpError(raw.status, raw.message);
  if (raw.trim() === "") throw new HttpError(400, "the body is empty: send a vote as a JSON object");
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new HttpError(400, `the body is not valid JSON (${reason})`);
  }
  const repeated = repeatedKeys(raw, value);
  if (repeated.length > 0) throw new HttpError(422, SCHEMA_MISMATCH, repeated);
  return value;
}

/** The `error` of a 422: the details name each field. */
export const SCHEMA_MISMATCH = "the vote does not match the schema";

/** Reads and validates the votes of an edge request; throws an HttpError naming the problem. */
export async function readVoteRequest(request: Request): Promise<VoteBatch> {
  const parsed = parseVoteBody(await readJsonBody(request));
  if (!parsed.ok) throw new HttpError(422, SCHEMA_MISMATCH, parsed.problems);
  return parsed.value;
}

/**
 * True when the client's connection is gone (the request's signal), checked one event-loop turn
 * after the body was read so a close that arrived with it is seen. A hop asks this just before it
 * sends votes on, so no vote is kept for a client that left before it could be answered.
 */
export async function connectionClosed(request: Request): Promise<boolean> {
  await new Promise<void>((resolve) => setImmediate(resolve));
  return request.signal.aborted;
}

/** What a request whose client went away is logged with (nginx's 499); nobody reads the body. */
export function clientClosedResponse(): Response {
  return json(499, { error: "the connection closed before the votes were sent on; nothing was kept", details: [] });
}

/**
 * How every marimba HTTP app answers: what `produce` returns, or the JSON error for what it
 * threw (internals hidden), counted in the app's HTTP metrics by path and status.
 */
export function answering(registry: Registry) {
  const metrics = httpMetrics(registry);
  return async (path: string, produce: () => Promise<Response>): Promise<Response> => {
    const startedAt = performance.now();
    let response: Response;
    try {
      response = await produce();
    } catch (error) {
      response = errorResponse(error);
    }
    metrics.observe(path, response.status, startedAt);
    return response;
  };
}

/** Turns anything thrown by a handler into a JSON error response, hiding internals. */
export function errorResponse(error: unknown): Response {
  if (error instanceof HttpError) return error.toResponse();
  return new HttpError(500, "internal error").toResponse();
}

/** How an edge answers a vote its publisher could not make durable. */
export function publishFailure(error: unknown): HttpError {
  if (error instanceof PublishError && error.reason === "overloaded") {
    return new HttpError(503, "too many votes are waiting to be written; retry shortly");
  }
  if (error instanceof PublishError) return new HttpError(503, error.message);
  return new HttpError(503, "the vote could not be made durable; retry shortly");
}
