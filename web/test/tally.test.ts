/** The tally read shared by concurrent callers: one Redis pipeline however many ask at once, each with its own deadline. */
import { describe, expect, test } from "bun:test";
import { createRegistry, tallyKeys } from "@marimba/shared";
import { read, request } from "@marimba/testkit";
import { createDashboardApp } from "../src/server/app.ts";
import { TallyReader, type TallyRedis } from "../src/server/tally.ts";

/** A client behind `TallyRedis` whose pipelines each wait until the test answers them. */
function heldRedis() {
  const pending: { answer: (total: number) => void; fail: (error: Error) => void }[] = [];
  const client = {
    status: "ready",
    pipeline() {
      const commands: string[] = [];
      const queue = (command: string) => {
        commands.push(command);
        return chain;
      };
      const chain = {
        get: (key: string) => queue(`get ${key}`),
        hgetall: (key: string) => queue(`hgetall ${key}`),
        exec: () =>
          new Promise<[Error | null, unknown][]>((resolve, reject) => {
            pending.push({
              answer: (total) => resolve(commands.map((command) => [null, command === `get ${tallyKeys.total}` ? String(total) : {}])),
              fail: reject,
            });
          }),
      };
      return chain;
    },
  } as unknown as TallyRedis;
  return { client, pending };
}

function dashboard(tally: TallyReader) {
  const unused = () => Promise.reject(new Error("not used here"));
  return createDashboardApp({
    votes: { newest: unused },
    tally,
    series: { read: unused },
    pipeline: { read: unused },
    feed: { stream: () => new Response(null) },
    registry: createRegistry("test"),
    checks: {},
    distDir: "/nonexistent",
    deadlines: { redisMs: 100, mongoMs: 100 },
  });
}

describe("the tally read under concurrent clients", () => {
  test("50 concurrent GET /api/tally share one Redis pipeline and all get its answer", async () => {
    const { client, pending } = heldRedis();
    const app = dashboard(new TallyReader(client, "votes"));
    const answers = Array.from({ length: 50 }, () => read(app.handle(request("/api/tally"))));
    await Bun.sleep(10);
    expect(pending).toHaveLength(1);
    pending[0]?.answer(42);
    const settled = await Promise.all(answers);
    expect(settled.map((answer) => [answer.status, answer.body.total])).toEqual(Array.from({ length: 50 }, () => [200, 42]));
  });

  test("a read that starts after the shared one settled asks Redis again, so no answer is older than one round trip", async () => {
    const { client, pending } = heldRedis();
    const reader = new TallyReader(client, "votes");
    const first = reader.read();
    pending[0]?.answer(1);
    expect((await first).total).toBe(1);
    const second = reader.read();
    expect(pending).toHaveLength(2);
    pending[1]?.answer(2);
    expect((await second).total).toBe(2);
  });

  test("Redis that never answers: every waiting caller gets 504 at its deadline, and a failure is not kept for later callers", async () => {
    const { client, pending } = heldRedis();
    const app = dashboard(new TallyReader(client, "votes"));
    const answers = await Promise.all(Array.from({ length: 10 }, () => read(app.handle(request("/api/tally")))));
    expect(pending).toHaveLength(1);
    expect(answers.map((answer) => answer.status)).toEqual(Array.from({ length: 10 }, () => 504));
    pending[0]?.fail(new Error("Connection is closed."));
    await Bun.sleep(0);
    const later = read(app.handle(request("/api/tally")));
    await Bun.sleep(10);
    expect(pending).toHaveLength(2);
    pending[1]?.answer(7);
    expect(await later).toMatchObject({ status: 200, body: { total: 7 } });
  });

  test("a pipeline that fails gives every caller sharing it 503", async () => {
    const { client, pending } = heldRedis();
    const app = dashboard(new TallyReader(client, "votes"));
    const answers = Array.from({ length: 5 }, () => read(app.handle(request("/api/tally"))));
    await Bun.sleep(10);
    pending[0]?.fail(new Error("connect ECONNREFUSED"));
    expect((await Promise.all(answers)).map((answer) => answer.status)).toEqual([503, 503, 503, 503, 503]);
  });
});
