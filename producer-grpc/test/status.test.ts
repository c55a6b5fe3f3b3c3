import { describe, expect, test } from "bun:test";
import { Metadata, status } from "@grpc/grpc-js";
import { PublishError } from "@marimba/shared";
import { httpErrorFor } from "../src/client/status.ts";
import { FIELD_PROBLEMS_TRAILER, REASON_TRAILER } from "../src/contract.ts";
import { invalidArgument, publishFailureStatus } from "../src/server/votes.ts";

function trailers(values: Record<string, string | Buffer>): Metadata {
  const metadata = new Metadata();
  for (const [key, value] of Object.entries(values)) metadata.set(key, value);
  return metadata;
}

/** What the edge answers for what the server sent: the two halves of the mapping joined. */
function edgeAnswerFor(error: unknown) {
  const failure = publishFailureStatus(error);
  const answer = httpErrorFor({ code: failure.code, details: failure.details, metadata: trailers(failure.trailers) });
  return { status: answer.status, error: answer.message, retryAfter: answer.toResponse().headers.get("retry-after") };
}

describe("server: publish failures become gRPC status codes", () => {
  test("a full publisher queue is RESOURCE_EXHAUSTED with the publisher's reason", () => {
    const failure = publishFailureStatus(new PublishError("overloaded", "too many votes are waiting for Kafka; retry shortly"));
    expect(failure.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(failure.details).toBe("too many votes are waiting for Kafka; retry shortly");
    expect(failure.trailers[REASON_TRAILER]).toBe("overloaded");
  });

  test("Kafka not acknowledging is UNAVAILABLE", () => {
    expect(publishFailureStatus(new PublishError("unavailable", "not written")).code).toBe(status.UNAVAILABLE);
  });

  test("a server shutting down is UNAVAILABLE, so the edge says retry", () => {
    expect(publishFailureStatus(new PublishError("stopped", "the service is shutting down")).code).toBe(status.UNAVAILABLE);
  });

  test("an unexpected error is INTERNAL and hides its message", () => {
    const failure = publishFailureStatus(new Error("secret stack detail"));
    expect(failure.code).toBe(status.INTERNAL);
    expect(failure.details).toBe("internal error");
  });

  test("INVALID_ARGUMENT names the fields in its message and lists them as JSON in a trailer", () => {
    const problems = [
      { field: "name", message: "is required" },
      { field: "[3].year", message: 'must be four digits, e.g. "1980"' },
    ];
    const failure = invalidArgument(problems);
    expect(failure.code).toBe(status.INVALID_ARGUMENT);
    expect(failure.details).toBe('the vote does not match the schema: name is required; [3].year must be four digits, e.g. "1980"');
    expect(JSON.parse(String(failure.trailers[FIELD_PROBLEMS_TRAILER]))).toEqual(problems);
  });

  test("INVALID_ARGUMENT for a stream of many bad votes keeps its trailer bounded", () => {
    const problems = Array.from({ length: 500 }, (_, i) => ({ field: `[${i}].name`, message: "is required" }));
    const failure = invalidArgument(problems);
    expect(failure.details).toEndWith("; and 495 more");
    expect(JSON.parse(String(failure.trailers[FIELD_PROBLEMS_TRAILER]))).toHaveLength(50);
  });
});

describe("edge: gRPC status codes become the HTTP answers of the wire contract", () => {
  test("INVALID_ARGUMENT is 422 with the server's field problems as details", () => {
    const problems = [{ field: "[2].rank", message: "must be 1 to 16 characters" }];
    const answer = httpErrorFor({ ...invalidArgument(problems), metadata: trailers(invalidArgument(problems).trailers) });
    expect(answer.status).toBe(422);
    expect(answer.message).toBe("the vote does not match the schema");
    expect(answer.details).toEqual(problems);
  });

  test("INVALID_ARGUMENT without a readable trailer still names the problem from the message", () => {
    const answer = httpErrorFor({ code: status.INVALID_ARGUMENT, details: "name is required", metadata: trailers({}) });
    expect(answer.status).toBe(422);
    expect(answer.details).toEqual([{ field: "(body)", message: "name is required" }]);
  });

  test("a full queue on the server is 429 with Retry-After", () => {
    expect(edgeAnswerFor(new PublishError("overloaded", "too many votes are waiting for Kafka; retry shortly"))).toEqual({
      status: 429,
      error: "too many votes are waiting for Kafka; retry shortly",
      retryAfter: "1",
    });
  });

  test("a vote the server could not make durable is 503 with the server's reason and Retry-After", () => {
    expect(edgeAnswerFor(new PublishError("unavailable", "the vote could not be written to Kafka; retry shortly"))).toEqual({
      status: 503,
      error: "the vote could not be written to Kafka; retry shortly",
      retryAfter: "1",
    });
  });

  test("an unreachable server (UNAVAILABLE from the channel) is 503 without grpc-js's internals", () => {
    const answer = httpErrorFor({ code: status.UNAVAILABLE, details: "No connection established. Last error: ECONNREFUSED" });
    expect(answer.status).toBe(503);
    expect(answer.message).toBe("the vote service is unreachable; retry shortly");
  });

  test("a passed deadline is 503 with Retry-After", () => {
    const answer = httpErrorFor({ code: status.DEADLINE_EXCEEDED, details: "Deadline exceeded" });
    expect(answer.status).toBe(503);
    expect(answer.toResponse().headers.get("retry-after")).toBe("1");
  });

  test("an unexpected status is 502 naming it", () => {
    const answer = httpErrorFor({ code: status.UNIMPLEMENTED, details: "method not found" });
    expect(answer.status).toBe(502);
    expect(answer.message).toBe("the vote service answered UNIMPLEMENTED: method not found");
  });
});
