import { describe, expect, test } from "bun:test";
import { createRegistry, HOP_CONTENT_TYPE, PublishError } from "@marimba/shared";
import { acceptedVote, asHopBody, BAD_INPUTS, describeEdgeContract, RecordingPublisher, read, request } from "@marimba/testkit";
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

  const lines = (body: string) => request("/data", { body, headers: { "content-type": HOP_CONTENT_TYPE } });

  test("votes sent as the edge sends them, one Kafka value a line, reach Kafka as the very text that came", async () => {
    const { publisher, app } = server();
    const values = [acceptedVote(ID), { ...acceptedVote("019ada7e-0000-7000-8000-000000000002"), name: "Malacates Trébol Shop" }].map(
      (vote) => JSON.stringify(vote),
    );
    const answer = await read(app.handle(lines(values.join("\n"))));
    expect(answer).toMatchObject({ status: 202, body: { accepted: 2 } });
    expect(publisher.values).toEqual([values]);
  });

  test("a line not in the edge's form is checked and encoded as a JSON list's vote is; a repeated key or a line that is not JSON is refused", async () => {
    const { publisher, app } = server();
    const untrimmed = JSON.stringify({ ...acceptedVote(ID), name: "  Alux Nahual ", rank: 1 });
    expect(await read(app.handle(lines(`${untrimmed}\n`)))).toMatchObject({ status: 202, body: { accepted: 1 } });
    expect(publisher.values).toEqual([[JSON.stringify(acceptedVote(ID))]]);
    const repeated = `${JSON.stringify(acceptedVote(ID))}\n${JSON.stringify(acceptedVote(ID)).replace('"name":', '"name":"x","name":')}`;
    expect(await read(app.handle(lines(repeated)))).toMatchObject({
      status: 422,
      body: { details: [{ field: "[1].name", message: "is given more than once" }] },
    });
    expect(await read(app.handle(lines(`${JSON.stringify(acceptedVote(ID))}\n{`)))).toMatchObject({ status: 400 });
    expect(await read(app.handle(lines("")))).toMatchObject({
      status: 422,
      body: { details: [{ message: "must hold at least one vote" }] },
    });
    expect(publisher.values).toHaveLength(1);
  });

  test("every bad-input case the JSON list carries is refused the same way as NDJSON lines, and nothing is published", async () => {
    const { publisher, app } = server();
    let compared = 0;
    for (const input of BAD_INPUTS.filter((input) => input.status === 422)) {
      const body = asHopBody(input);
      // The cases the hop gets as a list of vote objects; the rest (raw texts, whose trick re-encoding loses) have no line form.
      if (body === input.body) continue;
      const list = JSON.parse(body) as unknown;
      if (!Array.isArray(list) || list.length === 0 || !list.every((vote) => typeof vote === "object" && !Array.isArray(vote))) continue;
      const asList = await read(app.handle(request("/data", { body })));
      const asLines = await read(app.handle(lines(list.map((vote) => JSON.stringify(vote)).join("\n"))));
      expect({ case: input.case, status: asLines.status, details: asLines.body.details }).toEqual({
        case: input.case,
        status: asList.status,
        details: asList.body.details,
      });
      expect(asLines.status).toBe(422);
      compared++;
    }
    expect(compared).toBeGreaterThanOrEqual(20);
    expect(publisher.values).toEqual([]);
  }, 30_000);

  test("/readyz names Kafka when it is away", async () => {
    const { app } = server(false);
    const answer = await read(app.handle(request("/readyz")));
    expect(answer).toMatchObject({ status: 503, body: { checks: { kafka: "unreachable" } } });
  });
});
