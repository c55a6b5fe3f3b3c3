import type { Vote } from "./vote.ts";

/** Sends one batch; resolves once all of it is done, throws the error every caller gets otherwise. */
export type SendBatch<T> = (items: readonly T[]) => Promise<void>;

/** Sends one batch of votes upstream; resolves once all are durable. */
export type SendVotes = SendBatch<Vote>;

export interface BatchOptions {
  /** Most items in one batch. */
  maxItems: number;
  /** How long the first waiting item waits for company before its batch is sent. */
  lingerMs: number;
}

/**
 * Joins the items of concurrent callers into one batch and settles every caller with its
 * outcome: one request downstream instead of one per caller. A caller's items are never split
 * across batches, so each caller's answer is the answer for all of its items.
 */
export class Coalescer<T> {
  private items: T[] = [];
  private waiting: { resolve: () => void; reject: (error: unknown) => void }[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly send: SendBatch<T>,
    private readonly options: BatchOptions,
  ) {}

  /** Resolves once the batch holding these items was sent successfully; rejects with that batch's error. */
  forward(items: readonly T[]): Promise<void> {
    if (items.length === 0) return Promise.resolve();
    // Items that would overflow the open batch start the next one instead of being split.
    if (this.items.length + items.length > this.options.maxItems) this.flush();
    const settled = new Promise<void>((resolve, reject) => {
      this.waiting.push({ resolve, reject });
    });
    for (const item of items) this.items.push(item);
    if (this.items.length >= this.options.maxItems) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.options.lingerMs);
    return settled;
  }

  /** Sends the open batch now, if any. */
  flush(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.waiting.length === 0) return;
    const items = this.items;
    const waiting = this.waiting;
    this.items = [];
    this.waiting = [];
    let sent: Promise<void>;
    try {
      sent = this.send(items);
    } catch (error) {
      sent = Promise.reject(error);
    }
    sent.then(
      () => {
        for (const caller of waiting) caller.resolve();
      },
      (error: unknown) => {
        for (const caller of waiting) caller.reject(error);
      },
    );
  }
}

export interface CoalescerOptions {
  /** Most votes in one upstream request (the servers take up to 500). */
  maxVotes: number;
  /** How long the first waiting vote waits for company before its batch is sent. */
  lingerMs: number;
}

/** About one event-loop turn under load: enough for concurrent requests to meet, invisible next to a Kafka acknowledgement. */
export const DEFAULT_COALESCER_OPTIONS: CoalescerOptions = { maxVotes: 500, lingerMs: 1 };

/** An edge's coalescer: the votes of concurrent requests go upstream in one fetch or one gRPC call. */
export class VoteCoalescer extends Coalescer<Vote> {
  constructor(send: SendVotes, options: Partial<CoalescerOptions> = {}) {
    const { maxVotes, lingerMs } = { ...DEFAULT_COALESCER_OPTIONS, ...options };
    super(send, { maxItems: maxVotes, lingerMs });
  }
}
