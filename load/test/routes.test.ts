import { describe, expect, test } from "bun:test";
import { planShots } from "../src/routes.ts";

const stack = { http: "http://127.0.0.1:8000", grpc: "http://127.0.0.1:3000" };
const base = { connections: 64, oldPaths: false } as const;

describe("planning the load", () => {
  test("one route of the local stack is one instance on that route's edge", () => {
    expect(planShots({ ...base, route: "grpc" }, stack)).toEqual([
      {
        origin: "http://127.0.0.1:3000",
        routes: [{ route: "grpc", origin: "http://127.0.0.1:3000", path: "/grpc/votes" }],
        connections: 64,
        amount: undefined,
        rate: undefined,
      },
    ]);
  });

  test("--old-paths uses the old clients' paths", () => {
    const [http] = planShots({ ...base, route: "http", oldPaths: true }, stack);
    const [grpc] = planShots({ ...base, route: "grpc", oldPaths: true }, stack);
    expect(http?.routes[0]?.path).toBe("/rust/send_data");
    expect(grpc?.routes[0]?.path).toBe("/grpc/insert");
  });

  test("both routes on one target host is one instance whose requests pick a route each", () => {
    const shots = planShots({ ...base, route: "both", target: "http://127.0.0.1:8090", amount: 1000, rate: 500 }, stack);
    expect(shots).toHaveLength(1);
    expect(shots[0]).toMatchObject({ origin: "http://127.0.0.1:8090", connections: 64, amount: 1000, rate: 500 });
    expect(shots[0]?.routes.map((r) => `${r.origin}${r.path}`)).toEqual([
      "http://127.0.0.1:8090/http/votes",
      "http://127.0.0.1:8090/grpc/votes",
    ]);
  });

  test("a target with a path prefix keeps it in front of the route paths", () => {
    const [shot] = planShots({ ...base, route: "http", target: "http://127.0.0.1:8090/marimba/", oldPaths: true }, stack);
    expect(shot?.routes[0]?.path).toBe("/marimba/rust/send_data");
  });

  test("both routes of the local stack share the connections and the rate", () => {
    const shots = planShots({ ...base, route: "both", connections: 5, rate: 2001 }, stack);
    expect(shots.map((s) => [s.origin, s.connections, s.rate])).toEqual([
      ["http://127.0.0.1:8000", 3, 1001],
      ["http://127.0.0.1:3000", 2, 1000],
    ]);
  });

  test("with --amount on the local stack each vote's route is drawn at random and none is lost", () => {
    const shots = planShots({ ...base, route: "both", amount: 10_000 }, stack);
    const [http, grpc] = shots.map((s) => s.amount ?? 0);
    expect((http ?? 0) + (grpc ?? 0)).toBe(10_000);
    expect(Math.abs((http ?? 0) - 5000)).toBeLessThan(300);
  });

  test("a route that draws no vote gets no instance", () => {
    const heads = () => 0.1;
    const shots = planShots({ ...base, route: "both", amount: 3 }, stack, heads);
    expect(shots.map((s) => [s.routes[0]?.route, s.amount])).toEqual([["http", 3]]);
  });

  test("never more connections than votes to send", () => {
    const [shot] = planShots({ ...base, route: "http", amount: 5 }, stack);
    expect(shot?.connections).toBe(5);
  });

  test("each route gets a connection even when only one is asked for", () => {
    expect(planShots({ ...base, route: "both", connections: 1 }, stack).map((s) => s.connections)).toEqual([1, 1]);
  });
});
