import { type Metadata, status } from "@grpc/grpc-js";
import { type FieldProblem, HttpError } from "@marimba/shared";
import { FIELD_PROBLEMS_TRAILER, REASON_TRAILER } from "../contract.ts";

/** What a failed gRPC call tells the edge: grpc-js's ServiceError has these. */
export interface CallStatus {
  code: status;
  details: string;
  metadata?: Metadata;
}

function trailer(metadata: Metadata | undefined, key: string): string | Buffer | undefined {
  return metadata?.get(key)[0];
}

function isFieldProblem(value: unknown): value is FieldProblem {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as FieldProblem).field === "string" &&
    typeof (value as FieldProblem).message === "string"
  );
}

/** The server's field problems, or one naming the whole body when the trailer is missing or unreadable. */
export function fieldProblemsOf(call: CallStatus): FieldProblem[] {
  const raw = trailer(call.metadata, FIELD_PROBLEMS_TRAILER);
  try {
    const parsed: unknown = JSON.parse(raw === undefined ? "null" : raw.toString("utf8"));
    if (Array.isArray(parsed) && parsed.length > 0 && parsed.every(isFieldProblem)) return parsed;
  } catch {
    // falls through to the server's message, which names the fields too
  }
  return [{ field: "(body)", message: call.details }];
}

/**
 * The HTTP answer for a failed gRPC call, as docs/ARCHITECTURE.md lists them: 422 for a vote the server
 * found invalid, 503 when it could not be made durable or the server did not answer in time,
 * 429 when the server has too many votes waiting; anything else is the server's fault (502).
 */
export function httpErrorFor(call: CallStatus): HttpError {
  // A reason trailer means the server itself refused; without one the call failed on the way.
  const fromServer = trailer(call.metadata, REASON_TRAILER) !== undefined;
  switch (call.code) {
    case status.INVALID_ARGUMENT:
      return new HttpError(422, "the vote does not match the schema", fieldProblemsOf(call));
    case status.RESOURCE_EXHAUSTED:
      return new HttpError(429, fromServer ? call.details : "too many votes are waiting to be written; retry shortly");
    case status.UNAVAILABLE:
      return new HttpError(503, fromServer ? call.details : "the vote service is unreachable; retry shortly");
    case status.DEADLINE_EXCEEDED:
      return new HttpError(503, "the vote service did not answer in time; retry shortly");
    case status.CANCELLED:
      return new HttpError(503, "the call to the vote service was cancelled; retry shortly");
    default:
      return new HttpError(502, `the vote service answered ${status[call.code] ?? call.code}: ${call.details || "no reason given"}`);
  }
}
