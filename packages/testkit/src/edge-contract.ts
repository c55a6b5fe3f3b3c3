/**
 * The wire contract of an edge, checked in-process: every status code on both of its paths, with
 * the edge's upstream replaced by a RecordingForwarder. Each route's tests run this one suite.
 */
import { describe, expect, test } from "bun:test";
import { HttpError, MAX_BODY_BYTES } from "@marimba/shared";
import { BAD_INPUTS, badInputRequest } from "./bad-inputs.ts";
import { RecordingForwarder, read, request } from "./fakes.ts";

interface InProcessApp {
  handle(request: Request): Response | Promise<Response>;
}

const vote = { name: "Alux Nahual", album: "Alux Nahual", year: "1980", rank: "1" };
const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

export function describeEdgeContract(
  route: "http" | "grpc",
  paths: readonly [string, string],
  build: (upstream: RecordingForwarder) => InProcessApp,
) {
  const setUp = () => {
    const upstream = new RecordingForwarder();
    return { upstream, app: build(upstream) };
  };

  describe(`the ${route} edge, in process`, () => {
    for (const path of paths) {
      test(`${path}: a vote is 202 with a UUID v7 id and its acceptance time, forwarded once with route "${route}"`, async () => {
        const { upstream, app } = setUp();
        const before = Date.now();
        const answer = await read(app.handle(request(path, { body: { ...vote, year: 1980, rank: 1 } })));
        expect(answer.status).toBe(202);
        expect(answer.headers.get("content-type")).toBe("application/json");
        expect(answer.body.id).toMatch(UUID_V7);
        expect(Date.parse(answer.body.acceptedAt)).toBeGreaterThanOrEqual(before - 1);
        expect(upstream.votes).toEqual([{ id: answer.body.id, ...vote, route, acceptedAt: answer.body.acceptedAt }]);
      });

      test(`${path}: a bulk array is 202 with one receipt per vote, in order, forwarded as one batch`, async () => {
        const { upstream, app } = setUp();
        const votes = [vote, { ...vote, name: "Bohemia Suburbana", album: "Hijos del Maíz", year: "1998" }];
        const answer = await read(app.handle(request(path, { body: votes })));
        expect(answer.status).toBe(202);
        expect(answer.body).toHaveLength(2);
        expect(upstream.batches).toHaveLength(1);
        expect(upstream.votes.map((v) => v.id)).toEqual(answer.body.map((r: { id: string }) => r.id));
        expect(upstream.votes.map((v) => v.name)).toEqual(["Alux Nahual", "Bohemia Suburbana"]);
      });
    }

    for (const input of BAD_INPUTS) {
      test(`${input.case} → ${input.status} on both paths, and nothing is forwarded`, async () => {
        const { upstream, app } = setUp();
        for (const path of paths) {
          const answer = await read(app.handle(badInputRequest(`http://localhost${path}`, input)));
          expect({ path, status: answer.status }).toEqual({ path, status: input.status });
          expect(answer.headers.get("content-type")).toBe("application/json");
          if (input.error instanceof RegExp) expect(answer.body.error).toMatch(input.error);
          else expect(answer.body.error).toBe(input.error);
          expect(answer.body.details).toEqual(input.details);
        }
        expect(upstream.votes).toEqual([]);
      });
    }

    test("a body over the limit is 413 from its declared length, before it is read", async () => {
      const { upstream, app } = setUp();
      const answer = await read(
        app.handle(request(paths[0], { body: "x".repeat(16), headers: { "content-length": String(MAX_BODY_BYTES + 1) } })),
      );
      expect(answer.status).toBe(413);
      expect(upstream.votes).toEqual([]);
    });

    test("an upstream that cannot make the vote durable is 503 with Retry-After and the upstream's reason", async () => {
      const { upstream, app } = setUp();
      upstream.failure = new HttpError(503, "the vote service is unreachable; retry shortly");
      const answer = await read(app.handle(request(paths[1], { body: vote })));
      expect(answer.status).toBe(503);
      expect(answer.headers.get("retry-after")).toBe("1");
      expect(answer.body).toEqual({ error: "the vote service is unreachable; retry shortly", details: [] });
    });

    test("an overloaded upstream is 429 with Retry-After", async () => {
      const { upstream, app } = setUp();
      upstream.failure = new HttpError(429, "too many votes are waiting to be written; retry shortly");
      const answer = await read(app.handle(request(paths[0], { body: vote })));
      expect(answer.status).toBe(429);
      expect(answer.headers.get("retry-after")).toBe("1");
    });

    test("an unexpected failure is a plain 500 that leaks no internals", async () => {
      const { upstream, app } = setUp();
      upstream.failure = new TypeError("undefined is not a function at /srv/app.ts:12");
      const answer = await read(app.handle(request(paths[0], { body: vote })));
      expect(answer.status).toBe(500);
      expect(answer.body).toEqual({ error: "internal error", details: [] });
    });

    test("/readyz is 200 while the upstream is reachable and 503 naming it while not; /healthz stays 200", async () => {
      const { upstream, app } = setUp();
      expect((await read(app.handle(request("/readyz")))).status).toBe(200);
      upstream.isReachable = false;
      const down = await read(app.handle(request("/readyz")));
      expect(down.status).toBe(503);
      expect(down.body.checks).toEqual({ upstream: "unreachable" });
      expect((await read(app.handle(request("/healthz")))).status).toBe(200);
    });

    test("/metrics counts each answer by path and status", async () => {
      const { app } = setUp();
      await app.handle(request(paths[0], { body: vote }));
      await app.handle(request(paths[1], { body: "{" }));
      const metrics = await (await app.handle(request("/metrics"))).text();
      expect(metrics).toMatch(new RegExp(`path="${paths[0]}"[^\\n]*status="202"|status="202"[^\\n]*path="${paths[0]}"`));
      expect(metrics).toMatch(new RegExp(`path="${paths[1]}"[^\\n]*status="400"|status="400"[^\\n]*path="${paths[1]}"`));
    });
  });
}
