import { describe, expect, test } from "bun:test";
import { createRegistry, PublishError } from "@marimba/shared";
import { acceptedVote, describeEdgeContract, RecordingPublisher, read, request } from "@marimba/testkit";
import { createClientApp } from "../src/client/app.ts";
import { createServerApp } from "../src/server/app.ts";

describeEdgeContract("http", ["/http/votes", "/rust/send_data"], (upstream) =>
  createClientApp({ upstream, registry: createRegistry("test") }),
);

const ID = "019ada7e-0000-7000-8000-000000000001";

function server(kafkaReachable = true) {
  const publisher = new RecordingPublisher();
  const app = createServerApp({ publisher, registry: createRegistry("test"), kafkaReachable: async () => kafkaReachable });
  return { publisher, app };
}

describe("the producer-http server's internal hop, in process", () => {
  test("POST /data publishes the edge's votes as they are and answers 202 with how many", async () => {
    const { publisher, app } = server();
    const answer = await read(app.handle(request("/data", { body: [acceptedVote(ID)] })));
    expect(answer).toMatchObject({ status: 202, body: { accepted: 1 } });
    expect(publisher.votes).toEqual([acceptedVote(ID)]);
  });

  test("a vote without the edge's id is 422 naming the field, and nothing is published", async () => {
    const { publisher, app } = server();
    const { id: _, ...withoutId } = acceptedVote(ID);
    const answer = await read(app.handle(request("/data", { body: [withoutId] })));
    expect(answer.status).toBe(422);
    expect(answer.body.details).toContainEqual({ field: "[0].id", message: expect.any(String) });
    expect(publisher.votes).toEqual([]);
  });

  test("a body that is not JSON is 400, one without the JSON content type 415", async () => {
    const { app } = server();
    expect((await read(app.handle(request("/data", { body: "[{" })))).status).toBe(400);
    expect((await read(app.handle(request("/data", { body: "[]", headers: { "content-type": "text/plain" } })))).status).toBe(415);
  });

  test("a publish Kafka did not acknowledge is 503 with Retry-After; a full queue says so", async () => {
    const { publisher, app } = server();
    publisher.failure = new PublishError("unavailable", "Kafka is unreachable right now; retry shortly");
    const down = await read(app.handle(request("/data", { body: [acceptedVote(ID)] })));
    expect(down).toMatchObject({ status: 503, body: { error: "Kafka is unreachable right now; retry shortly" } });
    expect(down.headers.get("retry-after")).toBe("1");
    publisher.failure = new PublishError("overloaded", "queue full");
    const full = await read(app.handle(request("/data", { body: [acceptedVote(ID)] })));
    expect(full).toMatchObject({ status: 503, body: { error: "too many votes are waiting to be written; retry shortly" } });
  });

  test("/readyz names Kafka when it is away", async () => {
    const { app } = server(false);
    const answer = await read(app.handle(request("/readyz")));
    expect(answer).toMatchObject({ status: 503, body: { checks: { kafka: "unreachable" } } });
  });
});
