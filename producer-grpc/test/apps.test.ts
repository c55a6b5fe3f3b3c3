/** The gRPC route in process: its edge against a recording upstream, and edge → real gRPC → server on an ephemeral port. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type Server, ServerCredentials, status } from "@grpc/grpc-js";
import { createRegistry, maxYear, PublishError } from "@marimba/shared";
import { describeEdgeContract, RecordingPublisher, read, request, silentLogger, waitFor } from "@marimba/testkit";
import { createClientApp } from "../src/client/app.ts";
import { VoteServerClient } from "../src/client/upstream.ts";
import { createVoteServer } from "../src/server/app.ts";
import { KafkaHealth } from "../src/server/health.ts";
import { trailerProblems, voteServerClient } from "./grpc-client.ts";

describeEdgeContract("grpc", ["/grpc/votes", "/grpc/insert"], (upstream) =>
  createClientApp({ upstream, registry: createRegistry("test") }),
);

const vote = { name: "Alux Nahual", album: "Alux Nahual", year: "1980", rank: "1" };

describe("edge → gRPC → server, in process", () => {
  const publisher = new RecordingPublisher();
  let kafkaUp = true;
  const health = new KafkaHealth(async () => kafkaUp, 50);
  let server: Server;
  let address = "";
  let upstream: VoteServerClient;
  let edge: ReturnType<typeof createClientApp>;

  beforeAll(async () => {
    await health.start();
    server = createVoteServer({ publisher, health, registry: createRegistry("test"), logger: silentLogger });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
    );
    address = `127.0.0.1:${port}`;
    upstream = new VoteServerClient(address, 5000);
    edge = createClientApp({ upstream, registry: createRegistry("test") });
  });

  afterAll(() => {
    upstream.close();
    health.stop();
    server.forceShutdown();
  });

  test("a vote accepted at the edge reaches the server's publisher once, with the edge's id and time", async () => {
    publisher.batches.length = 0;
    const answer = await read(edge.handle(request("/grpc/insert", { body: vote })));
    expect(answer.status).toBe(202);
    expect(publisher.votes).toEqual([{ id: answer.body.id, ...vote, route: "grpc", acceptedAt: answer.body.acceptedAt }]);
  });

  test("a bulk array travels as one call and comes back with a receipt per vote", async () => {
    publisher.batches.length = 0;
    const answer = await read(edge.handle(request("/grpc/votes", { body: [vote, vote, vote] })));
    expect(answer.status).toBe(202);
    expect(publisher.batches).toHaveLength(1);
    expect(publisher.votes.map((v) => v.id)).toEqual(answer.body.map((r: { id: string }) => r.id));
  });

  test("a publish Kafka did not acknowledge is UNAVAILABLE at the server and 503 + Retry-After at the edge", async () => {
    publisher.failure = new PublishError("unavailable", "Kafka is unreachable right now; retry shortly");
    try {
      const answer = await read(edge.handle(request("/grpc/votes", { body: vote })));
      expect(answer).toMatchObject({ status: 503, body: { error: "Kafka is unreachable right now; retry shortly" } });
      expect(answer.headers.get("retry-after")).toBe("1");
    } finally {
      publisher.failure = null;
    }
  });

  test("a full publish queue is RESOURCE_EXHAUSTED at the server and 429 at the edge", async () => {
    publisher.failure = new PublishError("overloaded", "too many votes are waiting to be written; retry shortly");
    try {
      const client = voteServerClient(address);
      const call = await client.cast({ ...vote, id: "019ada7e-0000-7000-8000-000000000002", acceptedAt: { seconds: 1, nanos: 0 } });
      client.close();
      expect(call.ok ? null : call.error.code).toBe(status.RESOURCE_EXHAUSTED);
      const answer = await read(edge.handle(request("/grpc/votes", { body: vote })));
      expect(answer.status).toBe(429);
    } finally {
      publisher.failure = null;
    }
  });

  test("a vote the server refuses is INVALID_ARGUMENT with the field problems in the trailer, and nothing is published", async () => {
    publisher.batches.length = 0;
    const client = voteServerClient(address);
    const call = await client.cast({
      ...vote,
      year: "80",
      id: "019ada7e-0000-7000-8000-000000000003",
      acceptedAt: { seconds: 1, nanos: 0 },
    });
    client.close();
    expect(call.ok).toBe(false);
    if (!call.ok) {
      expect(call.error.code).toBe(status.INVALID_ARGUMENT);
      expect(trailerProblems(call.error.metadata)).toEqual([
        { field: "year", message: `must be a year from 1900 to ${maxYear()}, e.g. "1980"` },
      ]);
    }
    expect(publisher.votes).toEqual([]);
  });

  test("health follows Kafka: NOT_SERVING while it is away, and the edge is then not ready", async () => {
    const client = voteServerClient(address);
    expect(await client.healthStatus()).toBe("SERVING");
    kafkaUp = false;
    try {
      await waitFor("health to say NOT_SERVING", async () => (await client.healthStatus()) === "NOT_SERVING", 5000, 25);
      expect((await read(edge.handle(request("/readyz")))).status).toBe(503);
    } finally {
      kafkaUp = true;
      client.close();
    }
  });
});
