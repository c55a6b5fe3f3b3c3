/** The local ingress in process, in front of two edges served in this process on ephemeral ports. */
import { afterAll, describe, expect, test } from "bun:test";
import { createClientApp as grpcEdge } from "@marimba/producer-grpc/client";
import { createClientApp as httpEdge } from "@marimba/producer-http/client";
import { createRegistry, maxYear } from "@marimba/shared";
import { RecordingForwarder, read, request } from "@marimba/testkit";
import { createIngress, routeFor } from "../src/ingress.ts";

const httpUpstream = new RecordingForwarder();
const grpcUpstream = new RecordingForwarder();
const http = httpEdge({ upstream: httpUpstream, registry: createRegistry("test") }).listen({ hostname: "127.0.0.1", port: 0 });
const grpc = grpcEdge({ upstream: grpcUpstream, registry: createRegistry("test") }).listen({ hostname: "127.0.0.1", port: 0 });
const routes = { http: `http://127.0.0.1:${http.server?.port}`, grpc: `http://127.0.0.1:${grpc.server?.port}` };
const ingress = createIngress(routes);
afterAll(async () => {
  await http.stop(true);
  await grpc.stop(true);
});

const vote = { name: "Alux Nahual", album: "Alux Nahual", year: "1980", rank: "1" };

describe("the local ingress, in process", () => {
  test("routes /rust/ and /http/ to the HTTP edge and /grpc/ to the gRPC edge, as the cluster's rules do", () => {
    expect(routeFor("/rust/send_data", routes)).toBe(routes.http);
    expect(routeFor("/http/votes", routes)).toBe(routes.http);
    expect(routeFor("/grpc/insert", routes)).toBe(routes.grpc);
    expect(routeFor("/other", routes)).toBeNull();
  });

  test("an old client's vote through either prefix reaches that route's edge and its 202 comes back unchanged", async () => {
    const viaHttp = await read(ingress(request("/rust/send_data", { body: vote })));
    const viaGrpc = await read(ingress(request("/grpc/insert", { body: vote })));
    expect([viaHttp.status, viaGrpc.status]).toEqual([202, 202]);
    expect(httpUpstream.votes.map((v) => v.id)).toContain(viaHttp.body.id);
    expect(grpcUpstream.votes.map((v) => v.id)).toContain(viaGrpc.body.id);
  });

  test("an edge's refusal passes through with its status and JSON body", async () => {
    const answer = await read(ingress(request("/http/votes", { body: { ...vote, year: "80" } })));
    expect(answer.status).toBe(422);
    expect(answer.body.details).toEqual([{ field: "year", message: `must be a year from 1900 to ${maxYear()}, e.g. "1980"` }]);
  });

  test("a path outside the three prefixes is a JSON 404 naming them", async () => {
    const answer = await read(ingress(request("/admin")));
    expect(answer).toMatchObject({ status: 404, body: { error: "no route for /admin: the ingress serves /rust/, /http/ and /grpc/" } });
  });

  test("an edge nobody listens on is 502 naming the route, and /readyz names it", async () => {
    const broken = createIngress({ ...routes, grpc: "http://127.0.0.1:1" });
    expect(await read(broken(request("/grpc/insert", { body: vote })))).toMatchObject({
      status: 502,
      body: { error: "the grpc route is unreachable; retry shortly" },
    });
    expect(await read(broken(request("/readyz")))).toMatchObject({ status: 503, body: { checks: { http: "ok", grpc: "unreachable" } } });
  });
});
