/**
 * Nothing lost, nothing doubled: load through both routes while things break, then check that
 * exactly the votes answered 202 are stored and counted. Each test is bounded in time.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import {
  type Component,
  kafkaComponent as kafka,
  kill,
  mongoComponent as mongo,
  redisComponent as redis,
  service,
  services,
} from "@marimba/stack";
import {
  BusyLoops,
  consumerReadiness,
  countersDrift,
  DelayingProxy,
  flushRedis,
  freeze,
  LoadDriver,
  loadRoutes,
  ports,
  post,
  readTallies,
  runningPid,
  settle,
  sleep,
  startComponent,
  stopComponent,
  sumDeltas,
  type Tallies,
  thaw,
  uniqueVote,
  type Verdict,
  verify,
  waitFor,
} from "@marimba/testkit";

const byName = (name: string) => services.find((component) => component.name === name) as Component;
const consumer = byName("consumer");
/** Extra consumer replicas, as the HPA would add them. */
const replica = (n: number): Component => ({
  ...service(`consumer-${n}`, "consumer/src/index.ts", ports.consumer + 10 * n),
  readyTimeoutMs: 60_000,
});

const began = performance.now();
/** Progress of a long fault test, so a slow step shows where it is. */
const step = (what: string) => console.log(`  [${((performance.now() - began) / 1000).toFixed(1)} s] ${what}`);

/** One line per fault test: the figures of the closing note. */
const figures: string[] = [];

/** The counters when the suite began, and what each verified run added: the suite's ledger. */
let suiteBefore: Tallies;
const suiteGrew: Verdict["grew"][] = [];

function expectExactlyOnce(verdict: Verdict) {
  suiteGrew.push(verdict.grew);
  expect(verdict.missing).toEqual([]);
  expect(verdict.extra).toEqual([]);
  expect(verdict.stored).toBe(verdict.accepted);
  expect(verdict.counted).toBe(verdict.accepted);
  expect(verdict.uncounted).toEqual([]);
  expect(verdict.drift).toEqual([]);
}

const describeVerdict = (verdict: Verdict) => `accepted ${verdict.accepted}, stored ${verdict.stored}, counted ${verdict.counted}`;

/** On a busy machine the backlog of a stopped consumer drains at a fraction of the usual rate. */
const BUSY_SETTLE_MS = 240_000;

/** Accepts a few more votes, then waits until the consumer has applied all Kafka held by then, the load still running. */
async function settleWhileLoaded(load: LoadDriver, limitMs?: number): Promise<void> {
  await load.untilAccepted(300, 90_000);
  await settle({ limitMs, heldAtStart: true });
}

async function consumerReady(component: Component): Promise<boolean> {
  return component.ready().catch(() => false);
}

beforeAll(async () => {
  await settle();
  suiteBefore = await readTallies();
});

// Whatever a test broke, the next one starts from a whole stack.
afterEach(async () => {
  for (const component of [kafka, mongo, redis, ...services]) await startComponent(component);
  for (const n of [2, 3]) await stopComponent(replica(n));
});

afterAll(() => {
  console.log(`\nfault figures:\n${figures.map((line) => `  ${line}`).join("\n")}`);
});

const local = !kafka.external && !mongo.external && !redis.external;

describe.skipIf(!local)("nothing lost, nothing doubled", () => {
  test("the consumer killed (SIGKILL) three times during 20,000 votes", async () => {
    const before = await readTallies();
    // Paced to last about half a minute, so every kill lands while votes still arrive.
    const load = new LoadDriver({ concurrency: 8, maxBulk: 12, maxVotes: 22_000, paceMs: 40 }).start();
    for (const at of [3000, 9000, 15_000]) {
      await load.untilAccepted(at - load.acceptedCount);
      await kill("consumer");
      step(`killed the consumer at ${load.acceptedCount} accepted votes`);
      await sleep(300);
      await startComponent(consumer);
      step("consumer restarted and back in its group");
    }
    await load.untilAccepted(20_000 - load.acceptedCount);
    const report = await load.stop();
    const recovery = await settle();
    const verdict = await verify(report, before);
    figures.push(`consumer SIGKILL ×3: ${describeVerdict(verdict)}; caught up ${recovery.toFixed(1)} s after the load ended`);
    expect(verdict.accepted).toBeGreaterThanOrEqual(20_000);
    expectExactlyOnce(verdict);
  }, 240_000);

  test("a rebalance: a third consumer joins and one of three leaves during load", async () => {
    const before = await readTallies();
    await startComponent(replica(2));
    const load = new LoadDriver({ concurrency: 12, maxBulk: 10 }).start();
    await load.untilAccepted(2000);
    await startComponent(replica(3));
    step("third consumer joined");
    await load.untilAccepted(2000);
    await stopComponent(consumer);
    step("first consumer left (SIGTERM)");
    await load.untilAccepted(2000);
    const report = await load.stop();
    const recovery = await settle();
    const verdict = await verify(report, before);
    figures.push(`rebalance 2 → 3 → 2 consumers: ${describeVerdict(verdict)}; caught up ${recovery.toFixed(1)} s after the load ended`);
    expectExactlyOnce(verdict);
  }, 240_000);

  test("Kafka down for 8 s during load: refused promptly, never counted, accepting again without restarts", async () => {
    const before = await readTallies();
    const pids = services.map((component) => runningPid(component.name));
    const load = new LoadDriver({ concurrency: 12, maxBulk: 10 }).start();
    await load.untilAccepted(2000);
    await stopComponent(kafka);
    const down = performance.now();
    const acceptedAtStop = load.acceptedCount;
    step("Kafka stopped");
    // The load's requests may all be waiting on batches the servers keep re-sending (they may
    // have been written); a new vote, once the servers' probes noticed, is refused at once.
    await sleep(3000);
    const fresh = await Promise.all(
      loadRoutes().map(async ({ route, url }) => {
        const started = performance.now();
        const { status } = await post(url, uniqueVote());
        return { route, status, seconds: (performance.now() - started) / 1000 };
      }),
    );
    step(`a new vote answered ${fresh.map(({ route, status, seconds }) => `${route} ${status} in ${seconds.toFixed(2)} s`).join(", ")}`);
    await sleep(5000);
    const acceptedWhileDown = load.acceptedCount - acceptedAtStop;
    await startComponent(kafka);
    const back = performance.now();
    step("Kafka started again");
    await load.untilAccepted(2000, 90_000);
    const resumed = (performance.now() - back) / 1000;
    const report = await load.stop();
    const recovery = await settle();
    const verdict = await verify(report, before);
    const refused = JSON.stringify(Object.fromEntries(report.refused));
    figures.push(
      `Kafka outage ${((back - down) / 1000).toFixed(1)} s: ${describeVerdict(verdict)}; refused ${refused}; a new vote refused in ${Math.max(...fresh.map(({ seconds }) => seconds)).toFixed(2)} s; slowest answer ${(report.slowestMs / 1000).toFixed(1)} s; accepting again within ${resumed.toFixed(1)} s; caught up ${recovery.toFixed(1)} s after the load ended`,
    );
    expect(acceptedWhileDown).toBe(0);
    for (const { status, seconds } of fresh) {
      expect(status).toBe(503);
      expect(seconds).toBeLessThan(3);
    }
    expect(report.slowestMs).toBeLessThan(25_000); // the edge's forwarding deadline
    expect(services.map((component) => runningPid(component.name))).toEqual(pids);
    expectExactlyOnce(verdict);
  }, 240_000);

  for (const dependency of [redis, mongo]) {
    test(`${dependency.name} down during consumption: the consumer waits, reports not ready, and catches up exactly once`, async () => {
      const before = await readTallies();
      const load = new LoadDriver({ concurrency: 8, maxBulk: 10 }).start();
      await load.untilAccepted(1000);
      await stopComponent(dependency);
      const down = performance.now();
      step(`${dependency.name} stopped`);
      await load.untilAccepted(1000); // the routes keep accepting: Kafka holds the votes
      await waitFor("the consumer to report not ready", async () => !(await consumerReady(consumer)), 20_000, 250);
      await sleep(Math.max(0, 5000 - (performance.now() - down)));
      await startComponent(dependency);
      const back = performance.now();
      step(`${dependency.name} started again`);
      const report = await load.stop();
      const recovery = await settle();
      await waitFor("the consumer to report ready", () => consumerReady(consumer), 30_000, 250);
      const verdict = await verify(report, before);
      figures.push(
        `${dependency.name} outage ${((back - down) / 1000).toFixed(1)} s: ${describeVerdict(verdict)}; caught up ${recovery.toFixed(1)} s after it returned`,
      );
      expectExactlyOnce(verdict);
    }, 240_000);
  }

  test("SIGTERM to every producer and the consumer during load: in-flight votes finish, each exits within 10 s", async () => {
    const before = await readTallies();
    const load = new LoadDriver({ concurrency: 12, maxBulk: 10 }).start();
    const exits: string[] = [];
    for (const name of ["producer-http-client", "producer-http-server", "producer-grpc-client", "producer-grpc-server", "consumer"]) {
      await load.untilAccepted(500);
      const component = byName(name);
      const started = performance.now();
      await stopComponent({ ...component, graceMs: 10_000 });
      const seconds = (performance.now() - started) / 1000;
      exits.push(`${name} ${seconds.toFixed(1)} s`);
      step(`${name} stopped in ${seconds.toFixed(1)} s`);
      expect(seconds).toBeLessThan(10);
      await startComponent(component);
    }
    await load.untilAccepted(500);
    const report = await load.stop();
    await settle();
    const verdict = await verify(report, before);
    figures.push(
      `graceful stops (${exits.join(", ")}): ${describeVerdict(verdict)}; refused ${JSON.stringify(Object.fromEntries(report.refused))}`,
    );
    expectExactlyOnce(verdict);
  }, 240_000);

  // Stalls: a dependency frozen (SIGSTOP) keeps its sockets open and answers nothing, for longer
  // than any deadline of the consumer (MongoDB and Redis calls 6–10 s, Kafka requests 5 s).
  const stalls = [
    { dependency: mongo, check: "mongo", frozenMs: 15_000 },
    { dependency: redis, check: "redis", frozenMs: 15_000 },
    // Under 22 s: a vote the servers could not get acknowledged in that long is answered 503 and may still be kept.
    { dependency: kafka, check: "kafka", frozenMs: 12_000 },
  ];
  for (const { dependency, check, frozenMs } of stalls) {
    test(`${dependency.name} frozen (SIGSTOP) ${frozenMs / 1000} s during load: readiness names it, and after SIGCONT every vote is stored and counted once`, async () => {
      const before = await readTallies();
      const pids = services.map((component) => runningPid(component.name));
      const load = new LoadDriver({ concurrency: 6, maxBulk: 10, paceMs: 20 }).start();
      await load.untilAccepted(1000);
      const pid = freeze(dependency.name);
      const frozenAt = performance.now();
      step(`${dependency.name} frozen`);
      let named: Record<string, string> = {};
      try {
        await waitFor(
          `the consumer's readiness to name ${check}`,
          async () => {
            const readiness = await consumerReadiness(ports.consumer);
            named = readiness.checks;
            return readiness.status === 503 && named[check] !== "ok";
          },
          frozenMs,
          250,
        );
        step(`readiness: ${JSON.stringify(named)}`);
        await sleep(Math.max(0, frozenMs - (performance.now() - frozenAt)));
      } finally {
        thaw(pid);
      }
      const thawed = performance.now();
      step(`${dependency.name} thawed after ${((thawed - frozenAt) / 1000).toFixed(1)} s`);
      await load.untilAccepted(1000, 90_000);
      const report = await load.stop();
      await settle();
      const recovery = (performance.now() - thawed) / 1000;
      await waitFor("the consumer to report ready", () => consumerReady(consumer), 30_000, 250);
      const verdict = await verify(report, before);
      figures.push(
        `${dependency.name} frozen ${((thawed - frozenAt) / 1000).toFixed(1)} s: ${describeVerdict(verdict)}; readiness said ${check}: "${named[check]}"; refused ${JSON.stringify(Object.fromEntries(report.refused))}; slowest answer ${(report.slowestMs / 1000).toFixed(1)} s; caught up ${recovery.toFixed(1)} s after SIGCONT`,
      );
      expect(named[check]).not.toBe("ok");
      expect(services.map((component) => runningPid(component.name))).toEqual(pids);
      expectExactlyOnce(verdict);
    }, 240_000);
  }

  test("FerretDB answering slowly (every packet held 200 ms by a proxy): a consumer behind it stores and counts every vote once", async () => {
    const before = await readTallies();
    const proxy = new DelayingProxy({ host: "127.0.0.1", port: ports.mongo }, 200);
    const proxyPort = await proxy.listen();
    const slow: Component = {
      ...service("consumer-slow-store", "consumer/src/index.ts", ports.consumer + 40, {
        MONGO_URL: `mongodb://127.0.0.1:${proxyPort}`,
      }),
      readyTimeoutMs: 60_000,
    };
    try {
      // The only consumer: every batch crosses the slow link.
      await stopComponent(consumer);
      await startComponent(slow);
      step("a consumer behind a 200 ms proxy to FerretDB");
      const started = performance.now();
      const load = new LoadDriver({ concurrency: 6, maxBulk: 10, paceMs: 20, maxVotes: 3000 }).start();
      await load.untilAccepted(2900, 90_000);
      const report = await load.stop();
      await settle();
      const seconds = (performance.now() - started) / 1000;
      const verdict = await verify(report, before);
      figures.push(`FerretDB 200 ms slower each way: ${describeVerdict(verdict)}; sent and caught up in ${seconds.toFixed(1)} s`);
      expectExactlyOnce(verdict);
    } finally {
      await stopComponent(slow);
      await proxy.close();
    }
  }, 240_000);

  test("Redis emptied (FLUSHALL) during load: the consumer stops counting, says why, rebuilds the counters from MongoDB and goes on exactly", async () => {
    const before = await readTallies();
    const load = new LoadDriver({ concurrency: 6, maxBulk: 10, paceMs: 20 }).start();
    await load.untilAccepted(1500);
    await flushRedis();
    const flushed = performance.now();
    step("Redis flushed");
    let said = "";
    await waitFor(
      "the consumer to report the lost counters",
      async () => {
        const { checks } = await consumerReadiness(ports.consumer);
        if (checks.counters && checks.counters !== "ok") said = checks.counters;
        return said !== "" || (await readTallies()).total > 0; // a quick repair may finish between two looks
      },
      30_000,
      100,
    );
    await load.untilAccepted(1000, 90_000);
    const report = await load.stop();
    await settle();
    const recovery = (performance.now() - flushed) / 1000;
    const verdict = await verify(report, before);
    figures.push(
      `Redis FLUSHALL: ${describeVerdict(verdict)}; readiness said "${said}"; exact again ${recovery.toFixed(1)} s after the flush`,
    );
    expectExactlyOnce(verdict);
  }, 240_000);

  test("Redis restarted alone (no persistence: it comes back empty) during load: the counters come back exact, no process restarted by hand", async () => {
    const before = await readTallies();
    const pids = services.map((component) => runningPid(component.name));
    const load = new LoadDriver({ concurrency: 6, maxBulk: 10, paceMs: 20 }).start();
    await load.untilAccepted(1500);
    await stopComponent(redis);
    await startComponent(redis);
    const back = performance.now();
    step("Redis restarted, empty");
    await load.untilAccepted(1000, 90_000);
    const report = await load.stop();
    await settle();
    const recovery = (performance.now() - back) / 1000;
    const verdict = await verify(report, before);
    figures.push(`Redis restart (empty): ${describeVerdict(verdict)}; exact again ${recovery.toFixed(1)} s after it returned`);
    expect(services.map((component) => runningPid(component.name))).toEqual(pids);
    expectExactlyOnce(verdict);
  }, 240_000);

  test("on a busy machine (busy loops on every core), clients retrying with keys: the consumer killed, FerretDB stopped, FerretDB frozen, Kafka stopped and Redis frozen, each during load", async () => {
    const before = await readTallies();
    const busy = new BusyLoops().start();
    step(`busy loops started (pids ${busy.pids.join(" ")})`);
    const phases: string[] = [];
    /** Breaks something, lets the load run on, and waits for the consumers to catch up again. */
    const phase = async (what: string, breakIt: () => Promise<void>) => {
      const started = performance.now();
      await breakIt();
      const broken = (performance.now() - started) / 1000;
      await settleWhileLoaded(load, BUSY_SETTLE_MS);
      const caughtUp = (performance.now() - started) / 1000 - broken;
      phases.push(`${what} (caught up ${caughtUp.toFixed(1)} s after it ended)`);
      step(phases.at(-1) as string);
    };
    const load = new LoadDriver({ concurrency: 4, maxBulk: 5, paceMs: 50, keyedRetries: true }).start();
    try {
      await load.untilAccepted(1000, 90_000);
      await phase("consumer SIGKILL", async () => {
        await kill("consumer");
        await sleep(300);
        await startComponent(consumer);
      });
      await phase("FerretDB stopped 3 s", async () => {
        await stopComponent(mongo);
        await sleep(3000);
        await startComponent(mongo);
      });
      await phase("FerretDB frozen 12 s", async () => {
        const pid = freeze(mongo.name);
        await sleep(12_000);
        thaw(pid);
      });
      await phase("Kafka stopped 8 s", async () => {
        await stopComponent(kafka);
        await sleep(8000);
        await startComponent(kafka);
      });
      await phase("Redis frozen 8 s", async () => {
        const pid = freeze(redis.name);
        await sleep(8000);
        thaw(pid);
      });
      const report = await load.stop();
      const recovery = await settle({ limitMs: BUSY_SETTLE_MS });
      const verdict = await verify(report, before);
      figures.push(
        `busy machine (${busy.pids.length} busy loops; keyed retries, ${report.retries} attempts for ${report.requests} requests; ${phases.join(", ")}): ${describeVerdict(verdict)}; unresolved ${report.unresolved ?? 0}; slowest answer ${(report.slowestMs / 1000).toFixed(1)} s; caught up ${recovery.toFixed(1)} s after the load ended`,
      );
      expect(report.keyMismatches ?? 0).toBe(0);
      expect(report.unresolved ?? 0).toBe(0);
      expectExactlyOnce(verdict);
    } finally {
      await load.stop();
      busy.stop();
    }
  }, 900_000);

  test("clients retry every request with an Idempotency-Key, at random before and after its first answer: each key is stored and counted once", async () => {
    const before = await readTallies();
    const load = new LoadDriver({ concurrency: 12, maxBulk: 8, keyedRetries: true }).start();
    await load.untilAccepted(3000);
    const report = await load.stop();
    const recovery = await settle();
    const verdict = await verify(report, before);
    figures.push(
      `keyed retries (${report.retries} attempts for ${report.requests} requests): ${describeVerdict(verdict)}; unresolved ${report.unresolved ?? 0}; caught up ${recovery.toFixed(1)} s after the load ended`,
    );
    expect(report.keyMismatches ?? 0).toBe(0);
    expect(report.unresolved ?? 0).toBe(0);
    expectExactlyOnce(verdict);
  }, 240_000);

  test("producer-http-server killed (SIGKILL) under keyed retries: votes kept for clients told 503 are retried to one count", async () => {
    const before = await readTallies();
    const load = new LoadDriver({ concurrency: 12, maxBulk: 20, keyedRetries: true }).start();
    await load.untilAccepted(1500);
    await kill("producer-http-server");
    step("killed producer-http-server");
    await sleep(500);
    await startComponent(byName("producer-http-server"));
    step("producer-http-server restarted");
    await load.untilAccepted(1500);
    const report = await load.stop();
    const recovery = await settle();
    const verdict = await verify(report, before);
    figures.push(
      `producer-http-server SIGKILL under keyed retries (${report.retries} attempts for ${report.requests} requests): ${describeVerdict(verdict)}; refused ${JSON.stringify(Object.fromEntries(report.refused))}; unresolved ${report.unresolved ?? 0}; caught up ${recovery.toFixed(1)} s after the load ended`,
    );
    expect(report.keyMismatches ?? 0).toBe(0);
    expect(report.unresolved ?? 0).toBe(0);
    expectExactlyOnce(verdict);
  }, 240_000);

  // Each run's verdict compares every counter, so a repair that got another band wrong fails
  // there; this catches anything that moved between runs. (That the counters equal a recount of
  // the whole log is the recount suite's to show, on a log of its own: here it would cost a
  // minute per 100,000 votes the store holds.)
  test("afterwards every counter equals what it was before the suite plus exactly the votes its runs had accepted", async () => {
    await settle();
    expect(await countersDrift(suiteBefore, sumDeltas(suiteGrew))).toEqual([]);
  }, 240_000);
});
