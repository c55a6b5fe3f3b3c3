import type { Logger } from "@marimba/shared";
import { type LiveSnapshot, NEWEST_VOTES, type Problem, type Pulse, STREAM_EVENTS } from "../contract.ts";
import { VoteRate } from "./rate.ts";
import { sseMessage } from "./sse.ts";
import type { TallyReader } from "./tally.ts";
import type { VoteLogReader } from "./vote-log.ts";

export interface LiveSources {
  tally: Pick<TallyReader, "read" | "total">;
  votes: Pick<VoteLogReader, "newest">;
}

export interface LiveFeedOptions {
  /** How often the total counter is checked for a change. */
  pollMs: number;
  /** Least time between two snapshot reads, so a busy pipeline costs at most a few MongoDB reads a second. */
  minSnapshotMs: number;
  /** How often every client gets a `pulse` (heartbeat and current rate). */
  pulseMs: number;
  /** How long a browser waits before reconnecting (SSE `retry:`). */
  retryMs: number;
  /** Messages a slow client may have waiting before it is cut off (it reconnects and gets a fresh snapshot). */
  maxBacklog: number;
}

export const DEFAULT_LIVE_OPTIONS: LiveFeedOptions = { pollMs: 250, minSnapshotMs: 500, pulseMs: 1000, retryMs: 1000, maxBacklog: 64 };

export interface LiveObserver {
  clients?(count: number): void;
  snapshotRead?(): void;
  readFailed?(): void;
}

interface Subscriber {
  /** The id of the last snapshot this client has: it is not sent the same one again. */
  lastId: string | null;
  send(text: string): void;
  close(): void;
}

interface Current {
  id: string;
  message: string;
}

const encoder = new TextEncoder();

/** What a browser should be told when a read fails: the reason, without driver internals. */
class ReadFailure extends Error {}

/**
 * The dashboard's live feed: one poller shared by every SSE client. While anyone listens it
 * checks the total counter a few times a second and, when it moved, reads the tallies and
 * the newest votes once and pushes them to every client. Snapshot ids let a reconnecting
 * browser (`Last-Event-ID`) skip a snapshot it already has.
 */
export class LiveFeed {
  private readonly options: LiveFeedOptions;
  private readonly subscribers = new Set<Subscriber>();
  private readonly rate = new VoteRate();
  private current: Current | null = null;
  private problem: Problem | null = null;
  private lastTotal: number | null = null;
  private lastSnapshotAt = 0;
  private lastPulseAt = 0;
  private running = false;
  private closed = false;

  constructor(
    private readonly sources: LiveSources,
    private readonly logger: Logger,
    options: Partial<LiveFeedOptions> = {},
    private readonly observer: LiveObserver = {},
  ) {
    this.options = { ...DEFAULT_LIVE_OPTIONS, ...options };
  }

  get clients(): number {
    return this.subscribers.size;
  }

  /** A `text/event-stream` response for one browser; `lastEventId` is the snapshot it already has. */
  stream(lastEventId: string | null, signal?: AbortSignal): Response {
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
        if (this.running && this.current) this.sendSnapshot(client, this.current);
        if (this.problem) client.send(sseMessage({ event: STREAM_EVENTS.problem, data: this.problem }));
        this.subscribers.add(client);
        this.observer.clients?.(this.subscribers.size);
        this.run();
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
        // Proxies (nginx, Cloud Run's front end) must pass each event on at once.
        "x-accel-buffering": "no",
      },
    });
  }

  /** Ends every stream and stops polling; browsers reconnect to whichever instance answers next. */
  close(): void {
    this.closed = true;
    for (const subscriber of this.subscribers) subscriber.close();
    this.subscribers.clear();
    this.observer.clients?.(0);
  }

  private unsubscribe(subscriber: Subscriber): void {
    if (!this.subscribers.delete(subscriber)) return;
    subscriber.close();
    this.observer.clients?.(this.subscribers.size);
  }

  private run(): void {
    if (this.running || this.closed) return;
    this.running = true;
    // What was read before the last client left is stale: start from scratch.
    this.current = null;
    this.lastTotal = null;
    this.lastPulseAt = Date.now();
    this.rate.reset();
    void this.loop();
  }

  private async loop(): Promise<void> {
    try {
      while (this.subscribers.size > 0 && !this.closed) {
        const started = Date.now();
        await this.tick(started);
        const wait = this.options.pollMs - (Date.now() - started);
        if (wait > 0) await Bun.sleep(wait);
      }
    } finally {
      this.running = false;
    }
  }

  private async tick(now: number): Promise<void> {
    try {
      const total = await this.read("Redis", "the live tallies", () => this.sources.tally.total());
      this.rate.add({ at: now, total });
      const changed = total !== this.lastTotal || this.current === null || this.problem !== null;
      if (changed && now - this.lastSnapshotAt >= this.options.minSnapshotMs) await this.refresh();
    } catch (error) {
      this.report(error);
    }
    if (now - this.lastPulseAt >= this.options.pulseMs) {
      this.lastPulseAt = now;
      const pulse: Pulse = { votesPerSecond: this.rate.perSecond(), at: new Date(now).toISOString() };
      this.broadcast(sseMessage({ event: STREAM_EVENTS.pulse, data: pulse }));
    }
  }

  /** Reads the tallies, then the votes: MongoDB is written before Redis, so every vote counted is among them. */
  private async refresh(): Promise<void> {
    this.lastSnapshotAt = Date.now();
    const tally = await this.read("Redis", "the live tallies", () => this.sources.tally.read());
    const votes = await this.read("MongoDB", "the newest votes", () => this.sources.votes.newest(NEWEST_VOTES));
    this.observer.snapshotRead?.();
    this.lastTotal = tally.total;
    const snapshot: LiveSnapshot = { tally, votes, votesPerSecond: this.rate.perSecond() };
    const id = `${tally.total}.${votes[0]?.id ?? "none"}`;
    const current = { id, message: sseMessage({ event: STREAM_EVENTS.snapshot, id, data: snapshot }) };
    // After a problem every client needs a snapshot to clear it, even one it already has.
    const force = this.problem !== null;
    this.problem = null;
    this.current = current;
    for (const subscriber of this.subscribers) this.sendSnapshot(subscriber, current, force);
  }

  private sendSnapshot(subscriber: Subscriber, current: Current, force = false): void {
    if (!force && subscriber.lastId === current.id) return;
    subscriber.lastId = current.id;
    subscriber.send(current.message);
  }

  private async read<T>(store: string, what: string, read: () => Promise<T>): Promise<T> {
    try {
      return await read();
    } catch (error) {
      this.logger.warn({ err: error, store }, `could not read ${what}`);
      throw new ReadFailure(`${store} cannot be read right now, so ${what} are not up to date; retrying`);
    }
  }

  private report(error: unknown): void {
    this.observer.readFailed?.();
    const message = error instanceof ReadFailure ? error.message : "The live data cannot be read right now; retrying";
    if (!(error instanceof ReadFailure)) this.logger.error({ err: error }, "live feed tick failed");
    if (this.problem?.error === message) return;
    this.problem = { error: message, at: new Date().toISOString() };
    this.broadcast(sseMessage({ event: STREAM_EVENTS.problem, data: this.problem }));
  }

  private broadcast(message: string): void {
    for (const subscriber of this.subscribers) subscriber.send(message);
  }
}
