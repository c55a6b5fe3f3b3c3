import { type ServiceDefinition, status } from "@grpc/grpc-js";
import { acceptVote, type FieldProblem, isVoteId, type Parsed, PublishError, parseVoteBody, type Vote } from "@marimba/shared";
import { FIELD_PROBLEMS_TRAILER, fromTimestamp, REASON_TRAILER, type VoteMessage__Output } from "../contract.ts";

/** Most field problems sent back in one trailer, so a bad stream of 500 votes stays under the metadata limit. */
const MAX_REPORTED_PROBLEMS = 50;

function fieldName(index: number, field: string, bulk: boolean): string {
  return bulk ? `[${index}].${field}` : field;
}

/** The wire fields of a message, leaving out the ones not sent, as the HTTP edge sees a JSON body. */
function wireFields(message: VoteMessage__Output): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const key of ["name", "album", "year", "rank"] as const) {
    const value = message[key];
    if (value !== undefined) fields[key] = value;
  }
  return fields;
}

/**
 * The characters of a message's text fields, about what it holds in memory once decoded. A valid
 * vote has a few hundred at most; a stream checks each of its messages with this, because the
 * receive limit is sized for a whole CastBatch.
 */
export function textLength(message: VoteMessage__Output): number {
  return (
    (message.id?.length ?? 0) +
    (message.name?.length ?? 0) +
    (message.album?.length ?? 0) +
    (message.year?.length ?? 0) +
    (message.rank?.length ?? 0)
  );
}

/**
 * Validates votes received over gRPC with the HTTP route's rules and messages, and keeps the
 * id and acceptance time the edge gave them; a caller that left them out (say, `grpcurl`) is
 * its own edge, and its votes are stamped here.
 */
export function votesFromMessages(messages: readonly VoteMessage__Output[], bulk: boolean, now: Date = new Date()): Parsed<Vote[]> {
  const parsed = parseVoteBody(bulk ? messages.map(wireFields) : wireFields(messages[0] ?? {}));
  const problems: FieldProblem[] = parsed.ok ? [] : [...parsed.problems];
  const votes: Vote[] = [];
  messages.forEach((message, index) => {
    const input = parsed.ok ? parsed.value.votes[index] : undefined;
    let id: string | undefined;
    if (message.id) {
      if (isVoteId(message.id)) id = message.id;
      else {
        problems.push({
          field: fieldName(index, "id", bulk),
          message: "must be a UUID v7 (or v5 for a vote sent with an Idempotency-Key), or empty for the server to assign one",
        });
      }
    }
    let acceptedAt: string | undefined;
    if (message.acceptedAt) {
      acceptedAt = fromTimestamp(message.acceptedAt) ?? undefined;
      if (!acceptedAt) problems.push({ field: fieldName(index, "acceptedAt", bulk), message: "must be a valid timestamp" });
    }
    if (!input) return;
    votes.push(acceptVote(input, "grpc", acceptedAt ? new Date(acceptedAt) : now, id));
  });
  return problems.length > 0 ? { ok: false, problems } : { ok: true, value: votes };
}

/** A gRPC error as grpc-js sends it: code, message, and trailers. */
export interface CallFailure {
  code: status;
  details: string;
  trailers: Record<string, string | Buffer>;
}

/** INVALID_ARGUMENT naming the fields, with every problem (up to a limit) as JSON in a trailer. */
export function invalidArgument(problems: readonly FieldProblem[]): CallFailure {
  const named = problems
    .slice(0, 5)
    .map((problem) => `${problem.field} ${problem.message}`)
    .join("; ");
  const more = problems.length > 5 ? `; and ${problems.length - 5} more` : "";
  return {
    code: status.INVALID_ARGUMENT,
    details: `the vote does not match the schema: ${named}${more}`,
    trailers: {
      [REASON_TRAILER]: "invalid",
      [FIELD_PROBLEMS_TRAILER]: Buffer.from(JSON.stringify(problems.slice(0, MAX_REPORTED_PROBLEMS))),
    },
  };
}

/** How the server answers a vote its publisher could not make durable. */
export function publishFailureStatus(error: unknown): CallFailure {
  if (error instanceof PublishError) {
    const code = error.reason === "overloaded" ? status.RESOURCE_EXHAUSTED : status.UNAVAILABLE;
    return { code, details: error.message, trailers: { [REASON_TRAILER]: error.reason } };
  }
  return { code: status.INTERNAL, details: "internal error", trailers: {} };
}

/** A request message that did not decode; handlers answer it INVALID_ARGUMENT instead of grpc-js's INTERNAL. */
export interface Malformed {
  malformed: string;
}

export function isMalformed(message: unknown): message is Malformed {
  return typeof message === "object" && message !== null && typeof (message as Malformed).malformed === "string";
}

/**
 * The service definition with request decoders that never throw: a message that is not valid
 * protobuf becomes a `Malformed` value the handler refuses as the caller's fault.
 */
export function tolerantDefinition<T extends ServiceDefinition>(definition: T): T {
  const tolerant: Record<string, ServiceDefinition[string]> = {};
  for (const [name, method] of Object.entries(definition)) {
    tolerant[name] = {
      ...method,
      requestDeserialize: (bytes: Buffer) => {
        try {
          return method.requestDeserialize(bytes);
        } catch (error) {
          const reason = error instanceof Error ? error.message : String(error);
          return { malformed: `the message is not a valid protobuf ${name === "CastBatch" ? "Votes" : "Vote"} (${reason})` };
        }
      },
    };
  }
  return tolerant as unknown as T;
}

/** INVALID_ARGUMENT for a message that did not decode. */
export function malformedMessage(message: Malformed, field = "(body)"): CallFailure {
  return { ...invalidArgument([{ field, message: message.malformed }]), details: message.malformed };
}
