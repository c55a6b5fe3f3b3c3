/** Pipeline lag and the consumer's state from Kafka's end offsets and the counters' applied offsets, with fake sources. */
import { describe, expect, test } from "bun:test";
import { createServer } from "node:net";
import { GONE_AFTER_MS, PipelineWatch, partitionLags, STALL_AFTER_MS } from "../src/server/pipeline.ts";
import { Deadlined, ReadError, storeAddress, withDeadline } from "../src/server/reads.ts";

describe("pipeline lag", () => {
  test("is end offset − (applied + 1) per partition; a partition never applied waits whole", () => {
    const lags = partitionLags(
      new Map([
        [1, 10],
        [0, 5],
        [2, 0],
      ]),
      new Map([[0, 4]]),
    );
    expect(lags).toEqual([
      { partition: 0, end: 5, applied: 4, lag: 0 },
      { partition: 1, end: 10, applied: -1, lag: 10 },
      { partition: 2, end: 0, applied: -1, lag: 0 },
    ]);
  });
});

describe("PipelineWatch", () => {
  function watch(now: () => number = Date.now) {
    const state = {
      end: new Map([[0, 10]]),
      applied: new Map([[0, 9]]),
      kafkaDown: false,
      seen: [{ replica: "consumer-a", lastSeenAt: new Date(now()).toISOString(), ageMs: 0 }],
    };
    const pipeline = new PipelineWatch(
      {
        kafka: {
          endOffsets: async () => {
            if (state.kafkaDown) throw new Error("connect ECONNREFUSED");
            return state.end;
          },
        },
        redis: { appliedOffsets: async () => state.applied, consumersSeen: async () => state.seen },
        mongo: { ping: async () => true },
      },
      { kafka: new Deadlined("Kafka", 100), redis: new Deadlined("Redis", 100), mongo: new Deadlined("MongoDB", 100) },
      now,
    );
    return { state, pipeline };
  }

  test("caught up, then counting while the offsets move, then stalled once they stop with votes waiting", async () => {
    let now = Date.now();
    const { state, pipeline } = watch(() => now);
    expect((await pipeline.read()).consumer.state).toBe("caught-up");
    state.end = new Map([[0, 15]]);
    state.applied = new Map([[0, 11]]);
    const counting = await pipeline.read();
    expect(counting.lag.total).toBe(3);
    expect(counting.consumer).toEqual({
      state: "counting",
      lastSeenAt: new Date(now).toISOString(),
      lastMovedAt: new Date(now).toISOString(),
      replicas: [{ replica: "consumer-a", lastSeenAt: new Date(now).toISOString(), alive: true }],
    });
    now += STALL_AFTER_MS;
    state.seen = [{ replica: "consumer-a", lastSeenAt: new Date(now).toISOString(), ageMs: 0 }];
    const stalled = await pipeline.read();
    expect(stalled.consumer.state).toBe("stalled");
    expect(stalled.lag.total).toBe(3);
  });

  test("a consumer that stops beating is stopped once its last beat is GONE_AFTER_MS old, whatever the lag", async () => {
    const { state, pipeline } = watch();
    const lastBeat = state.seen[0]?.lastSeenAt ?? "";
    expect((await pipeline.read()).consumer.state).toBe("caught-up");
    state.seen = [{ replica: "consumer-a", lastSeenAt: lastBeat, ageMs: GONE_AFTER_MS - 1 }];
    expect((await pipeline.read()).consumer.state).toBe("caught-up");
    state.seen = [{ replica: "consumer-a", lastSeenAt: lastBeat, ageMs: GONE_AFTER_MS }];
    state.end = new Map([[0, 14]]);
    const stopped = await pipeline.read();
    expect(stopped.consumer).toMatchObject({ state: "stopped", lastSeenAt: lastBeat, replicas: [{ replica: "consumer-a", alive: false }] });
    expect(stopped.lag.total).toBe(4);
  });

  test("no replica ever seen is stopped, with lastSeenAt null", async () => {
    const { state, pipeline } = watch();
    state.seen = [];
    expect((await pipeline.read()).consumer).toMatchObject({ state: "stopped", lastSeenAt: null, replicas: [] });
  });

  test("Kafka away: the lag is unknown (null), and Kafka is named unreachable with since when", async () => {
    const { state, pipeline } = watch();
    state.kafkaDown = true;
    const status = await pipeline.read();
    expect(status.lag).toEqual({ total: null, partitions: [] });
    expect(status.consumer.state).toBe("unknown");
    expect(status.dependencies.kafka.state).toBe("unreachable");
    expect(status.dependencies.redis.state).toBe("ok");
  });
});

describe("reads with a deadline", () => {
  test("a store that accepts connections but does not answer in time has timed out", async () => {
    const server = createServer(() => {}).listen(0, "127.0.0.1");
    await new Promise((resolve) => server.once("listening", resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const error = await withDeadline("MongoDB", 50, () => new Promise(() => {}), { host: "127.0.0.1", port }).catch((e) => e);
      expect(error).toBeInstanceOf(ReadError);
      expect(error).toMatchObject({ state: "timeout", message: "MongoDB did not answer within 0.1 s" });
    } finally {
      server.close();
    }
  });

  test("a store whose port refuses connections is unreachable, even when the read only hangs", async () => {
    const server = createServer().listen(0, "127.0.0.1");
    await new Promise((resolve) => server.once("listening", resolve));
    const port = (server.address() as { port: number }).port;
    server.close();
    const error = await withDeadline("Redis", 50, () => new Promise(() => {}), { host: "127.0.0.1", port }).catch((e) => e);
    expect(error).toMatchObject({ state: "unreachable" });
  });

  test("a read MongoDB itself stopped at its time limit (code 50) has timed out, not gone", async () => {
    const error = await withDeadline("MongoDB", 1000, async () => {
      throw Object.assign(new Error("operation exceeded time limit"), { code: 50, codeName: "MaxTimeMSExpired" });
    }).catch((e) => e);
    expect(error).toMatchObject({ state: "timeout" });
  });

  test("a read that fails is unreachable, with the reason", async () => {
    const error = await withDeadline("Redis", 50, async () => {
      throw new Error("connect ECONNREFUSED");
    }).catch((e) => e);
    expect(error).toMatchObject({ state: "unreachable", message: "Redis cannot be reached (connect ECONNREFUSED)" });
  });

  test("store addresses come from the URLs, with the default port when none is given", () => {
    expect(storeAddress("mongodb://user:pw@db.example:27018/marimba", 27017)).toEqual({ host: "db.example", port: 27018 });
    expect(storeAddress("redis://redis", 6379)).toEqual({ host: "redis", port: 6379 });
  });
});
