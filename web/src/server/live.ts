import { HttpError, type Logger } from "@marimba/shared";
import {
  type LiveSnapshot,
  NEWEST_VOTES,
  type NewestVotes,
  type PipelineStatus,
  type Problem,
  type Pulse,
  STREAM_EVENTS,
  type Tally,
} from "../contract.ts";
import { VoteRate } from "./rate.ts";
import { Deadlined, ReadError, type StoreAddress } from "./reads.ts";
import { sseMessage } from "./sse.ts";
import type { TallyReader } from "./tally.ts";
import type { VoteLogReader } from "./vote-log.ts";

export interface LiveSources {
  tally: Pick<TallyReader, "read" | "total">;
  votes: Pick<VoteLogReader, "newest">;
  pipeline: { read(): Promise<PipelineStatus> };
}

export interface LiveFeedOptions {
  /** How often the total counter is checked for a change. */
  pollMs: number;
  /** How often the newest votes are read while the total moves (and at least every `votesIdleMs`). */
  votesMs: number;
  votesIdleMs: number;
  /** How often the pipeline's status (lag, stores) is read. */
  statusMs: number;
  /** How often every client gets a `pulse`: a timer, never waiting on a store. */
  pulseMs: number;
  /** How long a browser waits before reconnecting (SSE `retry:`). */
  retryMs: number;
  /** Messages a slow client may have waiting before it is cut off (it reconnects and gets a fresh snapshot). */
  maxBacklog: number;
  /** Streams one instance serves at most; past it a browser is answered 503 and retries. */
  maxClients: number;
  /** Deadlines of the Redis and MongoDB reads. */
  redisDeadlineMs: number;
  mongoDeadlineMs: number;
}

export const DEFAULT_LIVE_OPTIONS: LiveFeedOptions = {
  pollMs: 250,
  votesMs: 500,
  votesIdleMs: 5000,
  statusMs: 1000,
  pulseMs: 1000,
  retryMs: 1000,
  maxBacklog: 64,
  maxClients: 500,
  redisDeadlineMs: 1000,
  // Above the newest-votes read's own maxTimeMS (5 s), so a slow read is answered as timed out by MongoDB itself.
  mongoDeadlineMs: 6000,
};

export interface LiveObserver {
  clients?(count: number): void;
  refused?(): void;
  snapshotRead?(): void;
  readFailed?(store: string, state: string): void;
}

interface Subscriber {
  /** The id of the last state this client has: it is not sent the same snapshot again. */
  lastId: string | null;
  send(text: string): void;
  close(): void;
}

const encoder = new TextEncoder();

/** A feed idle for longer than this drops what it had read: a new client is never shown it as current. */
const RESUME_WITHIN_MS = 5000;

/** What changed in the status, leaving out when it was read. */
function statusKey(status: PipelineStatus): string {
  return JSON.stringify({ ...status, readAt: undefined });
}

function problemText(error: ReadError, what: string): string {
  return `${error.message}, so ${what} may not be up to date; retrying`;
}

/**
 * The dashboard's live feed: shared by every SSE client, with one independent loop per source so
 * a slow store never holds up another. The Redis loop checks the total a few times a second and
 * pushes the tallies when it moves; the MongoDB loop reads the newest votes and, when that fails,
 * keeps the last good list marked stale with the reason; the status loop reads the pipeline's lag;
 * the pulse is a plain timer. Each event carries only its part; a client that connects (or
 * reconnects with a `Last-Event-ID` older than the current state) gets one snapshot of all parts.
 */
export class LiveFeed {
  private readonly options: LiveFeedOptions;
  private readonly subscribers = new Set<Subscriber>();
  private readonly rate = new VoteRate();
  private readonly redis: Deadlined;
  private readonly mongo: Deadlined;
  /** Ids are `<instance>.<version>`: another instance's id never matches, so a client that moved gets a snapshot. */
  private readonly instance = crypto.randomUUID().slice(0, 8);
  private version = 0;
  private tally: Tally | null = null;
  private newest: NewestVotes = { votes: [], readAt: null, stale: null };
  private status: PipelineStatus | null = null;
  private problem: Problem | null = null;
  private votesWanted = true;
  /** Reads the newest votes now: called when the tally moved, so the table follows the counters at once. */
  private wakeVotes: () => void = () => {};
  private lastVotesReadAt = 0;
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  /** Each start is a new generation: the loops of an earlier one end instead of running twice. */
  private generation = 0;
  private running = false;
  private stoppedAt = 0;
  private closed = false;

  constructor(
    private readonly sources: LiveSources,
    private readonly logger: Logger,
    options: Partial<LiveFeedOptions> = {},
    private readonly observer: LiveObserver = {},
    addresses: { redis?: StoreAddress; mongo?: StoreAddress } = {},
  ) {
    this.options = { ...DEFAULT_LIVE_OPTIONS, ...options };
    this.redis = new Deadlined("Redis", this.options.redisDeadlineMs, addresses.redis);
    this.mongo = new Deadlined("MongoDB", this.options.mongoDeadlineMs, addresses.mongo);
  }

  get clients(): number {
    return this.subscribers.size;
  }

  private get id(): string {
    return `${this.instance}.${this.version}`;
  }

  /** A `text/event-stream` response for one browser; `lastEventId` is the state it already has. */
  stream(lastEventId: string | null, signal?: AbortSignal): Response {
    if (this.subscribers.size >= this.options.maxClients) {
      this.observer.refused?.();
      return new HttpError(
        503,
        `this dashboard instance already serves ${this.options.maxClients} live streams; the page retries by itself`,
      ).toResponse();
    }
    let subscriber: Subscriber | undefined;
    const body = new ReadableStream<Uint8Array>({
      start: (controller) => {
        const client: Subscriber = {
          lastId: lastEventId,
          send: (text) => {
            if ((controller.desiredSize ?? 0) < -this.options.maxBacklog) {
              this.unsubscribe(client);
              return;
            }
            try {
              controller.enqueue(encoder.encode(text));
            } catch {
              this.unsubscribe(client); // the stream was closed under us: the client is gone
            }
          },
          close: () => {
            try {
              controller.close();
            } catch {
              // already closed by the client
            }
          },
        };
        subscriber = client;
        client.send(sseMessage({ retry: this.options.retryMs, comment: "marimba live votes" }));
        if (this.closed) {
          client.close();
          return;
        }
        this.subscribers.add(client);
        this.observer.clients?.(this.subscribers.size);
        this.start();
        if (this.tally || this.newest.readAt || this.newest.stale || this.status) this.sendSnapshot(client);
      },
      cancel: () => {
        if (subscriber) this.unsubscribe(subscriber);
      },
    });
    signal?.addEventListener("abort", () => subscriber && this.unsubscribe(subscriber), { once: true });
    return new Response(body, {
      headers: {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-cache, no-transform",
        "x-content-type-options": "nosniff",
        // Proxies (nginx, Cloud Run's front end) must pass each event on at once.
        "x-accel-buffering": "no",
      },
    });
  }

  /** Ends every stream and stops polling; browsers reconnect to whichever instance answers next. */
  close(): void {
    this.closed = true;
    this.stop();
    for (const subscriber of this.subscribers) subscriber.close();
    this.subscribers.clear();
    this.observer.clients?.(0);
  }

  private unsubscribe(subscriber: Subscriber): void {
    if (!this.subscribers.delete(subscriber)) return;
    subscriber.close();
    this.observer.clients?.(this.subscribers.size);
    if (this.subscribers.size === 0) this.stop();
  }

  private start(): void {
    if (this.running || this.closed) return;
    this.running = true;
    // A browser that reconnects at once keeps what it has; after a longer pause nothing read then is current.
    if (Date.now() - this.stoppedAt > RESUME_WITHIN_MS) {
      this.tally = null;
      this.status = null;
      this.problem = null;
      this.newest = { votes: [], readAt: null, stale: null };
      this.rate.reset();
      this.version += 1;
    }
    this.votesWanted = true;
    this.generation += 1;
    this.every(this.options.pollMs, () => this.readTally());
    this.wakeVotes = this.every(this.options.votesMs, () => this.readVotes());
    this.every(this.options.statusMs, () => this.readStatus());
    this.timers.add(setInterval(() => this.pulse(), this.options.pulseMs));
  }

  private stop(): void {
    if (this.running) this.stoppedAt = Date.now();
    this.running = false;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  /**
   * Runs `step` now and then `everyMs` after each run ends, until the feed stops: one loop per
   * source. The returned function runs it early (unless it is running already).
   */
  private every(everyMs: number, step: () => Promise<void>): () => void {
    const generation = this.generation;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let busy = false;
    const current = () => this.running && generation === this.generation;
    const run = async () => {
      if (!current() || busy) return;
      busy = true;
      if (timer) {
        clearTimeout(timer);
        this.timers.delete(timer);
      }
      const started = Date.now();
      try {
        await step();
      } catch (error) {
        this.logger.error({ err: error }, "live feed step failed");
      }
      busy = false;
      if (!current()) return;
      timer = setTimeout(() => void run(), Math.max(0, everyMs - (Date.now() - started)));
      this.timers.add(timer);
    };
    void run();
    return () => void run();
  }

  private async readTally(): Promise<void> {
    const now = Date.now();
    try {
      const total = await this.redis.read(() => this.sources.tally.total());
      this.rate.add({ at: now, total });
      if (this.tally !== null && total === this.tally.total && this.problem === null) return;
      const tally = await this.redis.read(() => this.sources.tally.read());
      this.observer.snapshotRead?.();
      const changed = this.tally === null || tally.total !== this.tally.total || this.problem !== null;
      this.tally = tally;
      if (this.problem) {
        this.problem = null;
      }
      if (changed) {
        this.votesWanted = true; // MongoDB is written before Redis: every vote counted is already there
        this.broadcast(STREAM_EVENTS.tally, tally);
        this.wakeVotes();
      }
    } catch (error) {
      if (!(error instanceof ReadError)) throw error;
      this.observer.readFailed?.("Redis", error.state);
      this.rate.reset();
      const message = problemText(error, "the live tallies");
      if (this.problem?.error === message) return;
      this.logger.warn({ err: error }, "could not read the tallies");
      this.problem = { error: message, at: new Date().toISOString() };
      this.broadcast(STREAM_EVENTS.problem, this.problem);
    }
  }

  private async readVotes(): Promise<void> {
    const now = Date.now();
    const due = this.votesWanted || this.newest.stale !== null || now - this.lastVotesReadAt >= this.options.votesIdleMs;
    if (!due) return;
    this.votesWanted = false;
    this.lastVotesReadAt = now;
    try {
      const votes = await this.mongo.read(() => this.sources.votes.newest(NEWEST_VOTES));
      const same =
        this.newest.stale === null &&
        this.newest.readAt !== null &&
        votes.map((v) => v.id).join() === this.newest.votes.map((v) => v.id).join();
      this.newest = { votes, readAt: new Date().toISOString(), stale: null };
      if (!same) this.broadcast(STREAM_EVENTS.votes, this.newest);
    } catch (error) {
      if (!(error instanceof ReadError)) throw error;
      this.observer.readFailed?.("MongoDB", error.state);
      const reason = problemText(error, "the newest votes");
      if (this.newest.stale?.reason === reason) return;
      this.logger.warn({ err: error }, "could not read the newest votes");
      this.newest = { ...this.newest, stale: { reason, since: this.newest.stale?.since ?? new Date(now).toISOString() } };
      this.broadcast(STREAM_EVENTS.votes, this.newest);
    }
  }

  private async readStatus(): Promise<void> {
    const status = await this.sources.pipeline.read();
    const changed = this.status === null || statusKey(status) !== statusKey(this.status);
    this.status = status;
    if (changed) this.broadcast(STREAM_EVENTS.status, status);
  }

  private pulse(): void {
    const pulse: Pulse = { votesPerSecond: this.problem ? null : this.rate.perSecond(), at: new Date().toISOString() };
    const message = sseMessage({ event: STREAM_EVENTS.pulse, data: pulse });
    for (const subscriber of this.subscribers) subscriber.send(message);
  }

  private snapshot(): LiveSnapshot {
    return {
      tally: this.tally,
      newest: this.newest,
      status: this.status,
      votesPerSecond: this.tally === null || this.problem ? null : this.rate.perSecond(),
    };
  }

  private sendSnapshot(subscriber: Subscriber): void {
    if (subscriber.lastId === this.id) return;
    subscriber.lastId = this.id;
    subscriber.send(sseMessage({ event: STREAM_EVENTS.snapshot, id: this.id, data: this.snapshot() }));
    if (this.problem) subscriber.send(sseMessage({ event: STREAM_EVENTS.problem, data: this.problem }));
  }

  /** Sends one part that changed to every client; the id moves so a reconnecting client knows what it has. */
  private broadcast(event: string, data: unknown): void {
    this.version += 1;
    const message = sseMessage({ event, id: this.id, data });
    for (const subscriber of this.subscribers) {
      subscriber.lastId = this.id;
      subscriber.send(message);
    }
  }
}
