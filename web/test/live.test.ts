/** The live feed in process: its sources replaced by fakes, read as a browser reads the stream. */
import { afterEach, describe, expect, test } from "bun:test";
import { acceptedVote, silentLogger, sleep } from "@marimba/testkit";
import type { NewestVotes, PipelineStatus, Problem, Pulse, Tally, VoteRow } from "../src/contract.ts";
import { LiveFeed, type LiveSources } from "../src/server/live.ts";

const row = (id: string): VoteRow => acceptedVote(id);

const status: PipelineStatus = {
  dependencies: {
    redis: { state: "ok", since: "2026-12-01T10:00:00.000Z" },
    mongo: { state: "ok", since: "2026-12-01T10:00:00.000Z" },
    kafka: { state: "ok", since: "2026-12-01T10:00:00.000Z" },
  },
  lag: { total: 0, partitions: [] },
  consumer: { state: "caught-up", lastSeenAt: null },
  readAt: "2026-12-01T10:00:00.000Z",
};

/** Stores whose behaviour a test switches while the feed runs. */
class FakeStores {
  total = 3;
  redis: "ok" | "down" = "ok";
  mongo: "ok" | "down" | "frozen" = "ok";
  votes: VoteRow[] = [row("a")];
  mongoReads = 0;

  sources(): LiveSources {
    const tally = (): Tally => ({
      total: this.total,
      band: { "Alux Nahual": this.total },
      album: {},
      rank: {},
      route: { http: this.total },
      readAt: "x",
    });
    return {
      tally: {
        total: async () => {
          if (this.redis === "down") throw new Error("connect ECONNREFUSED");
          return this.total;
        },
        read: async () => {
          if (this.redis === "down") throw new Error("connect ECONNREFUSED");
          return tally();
        },
      },
      votes: {
        newest: async () => {
          this.mongoReads += 1;
          if (this.mongo === "frozen") return new Promise<never>(() => {});
          if (this.mongo === "down") throw new Error("connect ECONNREFUSED");
          return this.votes;
        },
      },
      pipeline: { read: async () => status },
    };
  }
}

interface Received {
  event: string;
  id?: string;
  data: unknown;
}

/** Reads a feed's stream in the background, parsing events as EventSource does. */
function listen(response: Response) {
  const received: Received[] = [];
  const reader = (response.body as NonNullable<Response["body"]>).pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  void (async () => {
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
      if (done) return;
      buffer += value;
      for (let end = buffer.indexOf("\n\n"); end !== -1; end = buffer.indexOf("\n\n")) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const field = (name: string) =>
          block
            .split("\n")
            .find((line) => line.startsWith(`${name}: `))
            ?.slice(name.length + 2);
        const event = field("event");
        const data = field("data");
        if (event && data) received.push({ event, id: field("id"), data: JSON.parse(data) });
      }
    }
  })();
  return {
    received,
    of: <T>(event: string) => received.filter((entry) => entry.event === event).map((entry) => entry.data as T),
    close: () => reader.cancel().catch(() => {}),
  };
}

const feeds: LiveFeed[] = [];
afterEach(() => {
  for (const feed of feeds.splice(0)) feed.close();
});

function feedOver(stores: FakeStores, options = {}) {
  const feed = new LiveFeed(stores.sources(), silentLogger, {
    pollMs: 20,
    votesMs: 20,
    votesIdleMs: 200,
    statusMs: 50,
    pulseMs: 100,
    mongoDeadlineMs: 100,
    redisDeadlineMs: 100,
    ...options,
  });
  feeds.push(feed);
  return feed;
}

async function until(what: string, check: () => boolean, timeoutMs = 2000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

describe("the live feed, in process", () => {
  test("sends the tallies, the newest votes and the status as separate parts, and pulses every interval", async () => {
    const stores = new FakeStores();
    const stream = listen(feedOver(stores).stream(null));
    await until(
      "all three parts and two pulses",
      () => ["tally", "votes", "status"].every((event) => stream.of(event).length > 0) && stream.of("pulse").length >= 2,
    );
    expect(stream.of<Tally>("tally")[0]?.total).toBe(3);
    expect(stream.of<NewestVotes>("votes")[0]).toMatchObject({ votes: [row("a")], stale: null });
    stream.close();
  });

  test("MongoDB frozen: the tallies keep moving and pulses keep coming; the last good votes stay, marked stale as timed out", async () => {
    const stores = new FakeStores();
    const stream = listen(feedOver(stores).stream(null));
    await until("the first votes", () => stream.of("votes").length > 0);
    stores.mongo = "frozen";
    const readsBeforeFreeze = stores.mongoReads;
    stores.total = 4; // a new vote is counted: the feed wants the newest votes again, and MongoDB never answers
    await until("the votes marked stale", () => stream.of<NewestVotes>("votes").some((votes) => votes.stale !== null));
    const stale = stream.of<NewestVotes>("votes").find((votes) => votes.stale !== null) as NewestVotes;
    expect(stale.votes).toEqual([row("a")]);
    expect(stale.stale?.reason).toContain("did not answer");
    const pulsesBefore = stream.of("pulse").length;
    stores.total = 5;
    await until("the tally to move on while MongoDB is frozen", () => stream.of<Tally>("tally").some((tally) => tally.total === 5));
    await until("more pulses", () => stream.of("pulse").length >= pulsesBefore + 2);
    // One read at a time: a frozen store is not sent a pile of reads.
    expect(stores.mongoReads - readsBeforeFreeze).toBe(1);
    stream.close();
  });

  test("MongoDB down: the votes are marked stale as unreachable; once it is back the list is current again", async () => {
    const stores = new FakeStores();
    const stream = listen(feedOver(stores).stream(null));
    await until("the first votes", () => stream.of("votes").length > 0);
    stores.mongo = "down";
    stores.total = 4;
    await until("the votes marked stale", () => stream.of<NewestVotes>("votes").some((votes) => votes.stale !== null));
    expect(stream.of<NewestVotes>("votes").at(-1)?.stale?.reason).toContain("cannot be reached");
    stores.mongo = "ok";
    stores.votes = [row("b"), row("a")];
    await until("a current list", () => stream.of<NewestVotes>("votes").at(-1)?.stale === null);
    expect(
      stream
        .of<NewestVotes>("votes")
        .at(-1)
        ?.votes.map((vote) => vote.id),
    ).toEqual(["b", "a"]);
    stream.close();
  });

  test("Redis down: a problem names it, the rate becomes unknown (null, not 0), and the next tally clears it", async () => {
    const stores = new FakeStores();
    const stream = listen(feedOver(stores).stream(null));
    await until("the first tally", () => stream.of("tally").length > 0);
    stores.redis = "down";
    await until("a problem", () => stream.of("problem").length > 0);
    expect(stream.of<Problem>("problem")[0]?.error).toContain("Redis");
    const pulses = stream.of<Pulse>("pulse").length;
    await until("a pulse after the problem", () => stream.of<Pulse>("pulse").length > pulses);
    expect(stream.of<Pulse>("pulse").at(-1)?.votesPerSecond).toBeNull();
    stores.redis = "ok";
    const tallies = stream.of("tally").length;
    await until("a tally after Redis is back", () => stream.of("tally").length > tallies);
    stream.close();
  });

  test("a browser that reconnects at once with the last id it saw gets no snapshot; a new one gets everything", async () => {
    const stores = new FakeStores();
    const feed = feedOver(stores);
    const first = listen(feed.stream(null));
    await until("all three parts", () => ["tally", "votes", "status"].every((event) => first.of(event).length > 0));
    await sleep(100);
    const lastId = first.received.filter((entry) => entry.id).at(-1)?.id as string;
    first.close();
    await sleep(50);
    const resumed = listen(feed.stream(lastId));
    const fresh = listen(feed.stream(null));
    await until("a pulse on both", () => resumed.of("pulse").length > 0 && fresh.of("pulse").length > 0);
    expect(resumed.of("snapshot")).toEqual([]);
    expect(fresh.of("snapshot")).toHaveLength(1);
    resumed.close();
    fresh.close();
  });

  test("past its maximum of streams an instance answers 503 with Retry-After, naming the limit", async () => {
    const feed = feedOver(new FakeStores(), { maxClients: 2 });
    const open = [listen(feed.stream(null)), listen(feed.stream(null))];
    const refused = feed.stream(null);
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("1");
    expect(((await refused.json()) as { error: string }).error).toContain("2 live streams");
    for (const stream of open) stream.close();
  });
});
