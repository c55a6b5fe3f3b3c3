import { httpMetrics, type Registry } from "./metrics.ts";
import { PublishError } from "./publisher.ts";
import { type FieldProblem, parseVoteBody, type VoteBatch } from "./vote.ts";

/** Largest request body an edge reads: 500 votes fit many times over. */
export const MAX_BODY_BYTES = 1024 * 1024;

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

function isJson(contentType: string | null): boolean {
  if (!contentType) return false;
  const type = contentType.split(";", 1)[0]?.trim().toLowerCase();
  return type === "application/json" || (type?.startsWith("application/") === true && type.endsWith("+json"));
}

/** Reads the body of a request as JSON, enforcing content type and size. */
export async function readJsonBody(request: Request, maxBytes = MAX_BODY_BYTES): Promise<unknown> {
  if (!isJson(request.headers.get("content-type"))) {
    throw new HttpError(415, "the body must be JSON: send the header 'content-type: application/json'");
  }
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > maxBytes) throw new HttpError(413, `the body is ${declared} bytes; at most ${maxBytes} are accepted`);
  const raw = await request.text();
  if (raw.length > maxBytes) throw new HttpError(413, `the body is over ${maxBytes} bytes`);
  if (raw.trim() === "") throw new HttpError(400, "the body is empty: send a vote as a JSON object");
  try {
    return JSON.parse(raw);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new HttpError(400, `the body is not valid JSON (${reason})`);
  }
}

/** Reads and validates the votes of an edge request; throws an HttpError naming the problem. */
export async function readVoteRequest(request: Request): Promise<VoteBatch> {
  const parsed = parseVoteBody(await readJsonBody(request));
  if (!parsed.ok) throw new HttpError(422, "the vote does not match the schema", parsed.problems);
  return parsed.value;
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
