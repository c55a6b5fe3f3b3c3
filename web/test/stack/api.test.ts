import { describe, expect, test } from "bun:test";
import { albumField } from "@marimba/shared";
import { services } from "@marimba/stack";
import { post, readTallies, startComponent, stopComponent, uniqueVote, urls, waitFor } from "@marimba/testkit";
import type { LiveSnapshot, NewestVotes, PipelineStatus, Tally, VoteRow, VoteSeries, VotesAnswer } from "../../src/contract.ts";
import { openStream, type StreamEvent } from "./stream-reader.ts";

const api = (path: string) => fetch(`${urls.dashboard}${path}`);

/** Sends votes through the HTTP route one by one, so each has its own acceptance time. */
async function sendVotes(votes: ReturnType<typeof uniqueVote>[]): Promise<string[]> {
  const ids: string[] = [];
  for (const vote of votes) {
    const answer = await post(`${urls.http}/http/votes`, vote);
    expect(answer.status).toBe(202);
    ids.push(answer.body.id);
  }
  return ids;
}

describe("GET /api/votes on the real stack", () => {
  for (const bad of ["0", "101", "abc", "-5", "2.5"]) {
    test(`limit=${bad} is answered 422 with a JSON error naming the limit`, async () => {
      const response = await api(`/api/votes?limit=${bad}`);
      expect(response.status).toBe(422);
      expect(response.headers.get("content-type")).toContain("application/json");
      expect(await response.json()).toEqual({
        error: expect.any(String),
        details: [{ field: "limit", message: expect.stringContaining("100") }],
      });
    });
  }

  test("answers the newest votes first, projected to the vote's fields, at most `limit` of them", async () => {
    const band = uniqueVote();
    const ids = await sendVotes([1, 2, 3].map((rank) => ({ ...band, rank: String(rank) })));
    await waitFor("the three votes to be counted", async () => (await readTallies()).band[band.name] === 3, 5000, 50);
    // The API may answer a read up to 200 ms old: wait for one made after the votes were stored.
    let body = { votes: [] } as unknown as VotesAnswer;
    await waitFor(
      "the three votes to be the newest",
      async () => {
        const response = await api("/api/votes?limit=3");
        expect(response.status).toBe(200);
        body = (await response.json()) as VotesAnswer;
        return body.votes[0]?.id === ids[2];
      },
      5000,
      50,
    );
    expect(body.votes).toHaveLength(3);
    expect(body.votes.map((vote) => vote.id)).toEqual([...ids].reverse());
    expect(body.votes[0]).toEqual({
      id: ids[2] as string,
      name: band.name,
      album: band.album,
      year: band.year,
      rank: "3",
      route: "http",
      acceptedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
    } satisfies VoteRow);
    expect(Date.parse(body.readAt)).not.toBeNaN();
  });

  test("without a limit answers at most 20 votes, in order of acceptance, newest first", async () => {
    await sendVotes([uniqueVote(), uniqueVote()]);
    const body = (await (await api("/api/votes")).json()) as VotesAnswer;
    expect(body.votes.length).toBeGreaterThanOrEqual(2);
    expect(body.votes.length).toBeLessThanOrEqual(20);
    const times = body.votes.map((vote) => Date.parse(vote.acceptedAt));
    expect(times).toEqual([...times].sort((a, b) => b - a));
  });

  test("a query that looks like a MongoDB operator is only ever a bad limit", async () => {
    const response = await api(`/api/votes?limit[$gt]=0&limit=${encodeURIComponent('{"$gt":0}')}`);
    expect(response.status).toBe(422);
  });

  test("an unknown API path is a JSON 404, not the page", async () => {
    const response = await api("/api/nothing-here");
    expect(response.status).toBe(404);
    expect((await response.json()).error).toContain("/api/nothing-here");
  });
});

describe("GET /api/tally on the real stack", () => {
  test("answers every counter and when it was read, and grows with a vote", async () => {
    const vote = uniqueVote({ rank: "4" });
    const before = (await (await api("/api/tally")).json()) as Tally;
    expect(before).toEqual({
      total: expect.any(Number),
      band: expect.any(Object),
      album: expect.any(Object),
      rank: expect.any(Object),
      route: expect.any(Object),
      readAt: expect.any(String),
    });
    await sendVotes([vote]);
    await waitFor("the vote to be counted", async () => (await readTallies()).band[vote.name] === 1, 5000, 50);
    const after = (await (await api("/api/tally")).json()) as Tally;
    expect(after.total).toBeGreaterThanOrEqual(before.total + 1);
    expect(after.band[vote.name]).toBe(1);
    expect(after.album[albumField(vote)]).toBe(1);
    expect(after.route.http ?? 0).toBeGreaterThanOrEqual((before.route.http ?? 0) + 1);
    expect(Date.parse(after.readAt)).toBeGreaterThanOrEqual(Date.parse(before.readAt));
  });
});

describe("GET /api/stream on the real stack", () => {
  test("opens with a retry delay, then the tallies, the newest votes and the pipeline's status", async () => {
    const stream = await openStream(`${urls.dashboard}/api/stream`);
    try {
      expect(stream.response.headers.get("content-type")).toContain("text/event-stream");
      // Either one snapshot of every part (the feed was running) or each part as it is first read.
      const has = (event: string) => stream.received.some((entry) => entry.event === event || entry.event === "snapshot");
      await waitFor("the tallies, the newest votes and the status", () => has("tally") && has("votes") && has("status"), 3000, 20);
      expect(stream.retry()).toBe(1000);
      const first = stream.received.find((entry) => entry.event === "tally" || entry.event === "snapshot") as StreamEvent;
      const total =
        first.event === "snapshot" ? (JSON.parse(first.data) as LiveSnapshot).tally?.total : (JSON.parse(first.data) as Tally).total;
      expect(total).toBeGreaterThanOrEqual(0);
    } finally {
      stream.close();
    }
  });

  test("delivers a vote sent through the HTTP route, in the newest votes and the tallies, without a reload", async () => {
    const stream = await openStream(`${urls.dashboard}/api/stream`);
    try {
      await stream.next((event) => event.event === "votes" || event.event === "snapshot", 3000);
      const vote = uniqueVote();
      const [id] = await sendVotes([vote]);
      // Each part comes as its own event, in whichever order the loops read them.
      const find = (event: string, text: string) => stream.received.find((entry) => entry.event === event && entry.data.includes(text));
      await waitFor(
        "the vote in the newest votes and in the tallies",
        () => !!find("votes", id as string) && !!find("tally", vote.name),
        10_000,
        20,
      );
      expect((JSON.parse(find("votes", id as string)?.data ?? "{}") as NewestVotes).votes[0]).toMatchObject({
        id,
        name: vote.name,
        route: "http",
      });
      expect((JSON.parse(find("tally", vote.name)?.data ?? "{}") as Tally).band[vote.name]).toBe(1);
    } finally {
      stream.close();
    }
  }, 20_000);

  test("sends a pulse every second, so a quiet stream is known to be alive", async () => {
    const stream = await openStream(`${urls.dashboard}/api/stream`);
    try {
      const pulse = await stream.next((event) => event.event === "pulse", 2500);
      expect(JSON.parse(pulse.data)).toEqual({ votesPerSecond: expect.any(Number), at: expect.any(String) });
      await stream.next((event) => event.event === "pulse", 2500);
    } finally {
      stream.close();
    }
  });

  test("a browser reconnecting at once with Last-Event-ID is not sent a snapshot of what it already has", async () => {
    const first = await openStream(`${urls.dashboard}/api/stream`);
    await first.next((event) => event.event === "status" || event.event === "snapshot", 3000);
    await first.next((event) => event.event === "pulse", 3000);
    let lastId = first.received.filter((event) => event.id).at(-1)?.id as string;
    first.close();
    // The state may move between two connections (the consumer's heartbeat, another test's vote):
    // a snapshot then carries a newer id and is due. Never one with the id the browser sent, and
    // within three tries a reconnection while the state stands still gets none at all.
    let resumed = await openStream(`${urls.dashboard}/api/stream`, { "last-event-id": lastId });
    for (let attempt = 1; ; attempt++) {
      await resumed.next((event) => event.event === "pulse", 3000);
      const snapshots = resumed.received.filter((event) => event.event === "snapshot");
      expect(snapshots.map((event) => event.id)).not.toContain(lastId);
      if (snapshots.length === 0) break;
      expect(attempt).toBeLessThan(3);
      lastId = resumed.received.filter((event) => event.id).at(-1)?.id as string;
      resumed.close();
      resumed = await openStream(`${urls.dashboard}/api/stream`, { "last-event-id": lastId });
    }
    try {
      // And a change is still pushed.
      const vote = uniqueVote();
      const [id] = await sendVotes([vote]);
      await resumed.next((event) => event.event === "votes" && event.data.includes(id as string), 10_000);
    } finally {
      resumed.close();
    }
  }, 30_000);
});

describe("GET /api/status and /api/series on the real stack", () => {
  test("reports every dependency ok and no lag once the pipeline has counted what it accepted", async () => {
    await sendVotes([uniqueVote()]);
    await waitFor(
      "the lag to be 0",
      async () => ((await (await api("/api/status")).json()) as PipelineStatus).lag.total === 0,
      10_000,
      100,
    );
    const status = (await (await api("/api/status")).json()) as PipelineStatus;
    expect(status.dependencies.redis.state).toBe("ok");
    expect(status.dependencies.mongo.state).toBe("ok");
    expect(status.dependencies.kafka.state).toBe("ok");
    expect(status.lag.partitions.length).toBeGreaterThanOrEqual(1);
    expect(status.consumer.state).toBe("caught-up");
  }, 20_000);

  test("the series over its window sums to what the counters gained in it", async () => {
    const quiet = async () => ((await (await api("/api/series?seconds=4")).json()) as VoteSeries).total === 0;
    await waitFor("4 s with nothing counted, so the window holds only this test's votes", quiet, 15_000, 250);
    const before = await readTallies();
    const started = Date.now();
    await sendVotes([uniqueVote(), uniqueVote(), uniqueVote()]);
    await waitFor("the votes to be counted", async () => (await readTallies()).total >= before.total + 3, 10_000, 50);
    await waitFor(
      "the lag to be 0",
      async () => ((await (await api("/api/status")).json()) as PipelineStatus).lag.total === 0,
      10_000,
      100,
    );
    const after = await readTallies();
    // A window from just before the votes: everything counted since then, and nothing else.
    const seconds = Math.ceil((Date.now() - started) / 1000) + 2;
    const response = await api(`/api/series?seconds=${seconds}`);
    expect(response.headers.get("cache-control")).toBe("no-store");
    const series = (await response.json()) as VoteSeries;
    expect(series.total).toBe(after.total - before.total);
    const byRoute = (route: string) => (series.routes[route] ?? []).reduce((sum, n) => sum + n, 0);
    expect(byRoute("http") + byRoute("grpc")).toBe(series.total);
  }, 40_000);

  test("a stopped consumer: within 5 s the status says stopped, since when it was last seen, and the lag is the votes accepted since", async () => {
    const consumer = services.find((component) => component.name === "consumer");
    if (!consumer) throw new Error("the stack has no consumer");
    const status = async () => (await (await api("/api/status")).json()) as PipelineStatus;
    await sendVotes([uniqueVote()]);
    await waitFor("the lag to be 0", async () => (await status()).lag.total === 0, 10_000, 100);
    const running = await status();
    expect(running.consumer.state).toBe("caught-up");
    expect(running.consumer.replicas.filter((replica) => replica.alive)).toHaveLength(1);
    expect(Date.parse(running.readAt) - Date.parse(running.consumer.lastSeenAt ?? "")).toBeLessThan(3000);
    try {
      await stopComponent(consumer);
      const stoppedAt = Date.now();
      await sendVotes([uniqueVote(), uniqueVote(), uniqueVote(), uniqueVote(), uniqueVote()]);
      // The 5 s from the stop, plus the time the five votes took to send.
      const within = Date.now() - stoppedAt + 5000;
      await waitFor("the status to say stopped", async () => (await status()).consumer.state === "stopped", within, 100);
      const stopped = await status();
      expect(stopped.lag.total).toBe(5);
      expect(stopped.consumer.replicas.some((replica) => replica.alive)).toBe(false);
      const lastSeen = Date.parse(stopped.consumer.lastSeenAt ?? "");
      expect(lastSeen).toBeLessThanOrEqual(stoppedAt + 1000);
      await Bun.sleep(1500);
      const later = await status();
      // Going old: the same last sighting, read later.
      expect(later.consumer.lastSeenAt).toBe(stopped.consumer.lastSeenAt);
      expect(Date.parse(later.readAt) - lastSeen).toBeGreaterThan(Date.parse(stopped.readAt) - lastSeen);
    } finally {
      await startComponent(consumer);
    }
    await waitFor("the consumer to count the votes", async () => (await status()).lag.total === 0, 60_000, 250);
    expect((await status()).consumer.state).toBe("caught-up");
  }, 120_000);

  test("/metrics has the pipeline's lag in total and per partition", async () => {
    const metrics = await (await api("/metrics")).text();
    expect(metrics).toMatch(/^marimba_pipeline_lag_votes\{partition="all"[^}]*\} \d+$/m);
    expect(metrics).toMatch(/^marimba_pipeline_lag_votes\{partition="0"[^}]*\} \d+$/m);
  });
});
