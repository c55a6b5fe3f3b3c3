/** Sends one batch; resolves once all of it is done, throws the error every caller gets otherwise. */
export type SendBatch<T> = (items: readonly T[]) => Promise<void>;

export interface BatchOptions {
  /** Most items in one batch (an edge's upstream takes up to 500 votes). */
  maxItems: number;
  /** How long the first waiting item waits for company before its batch is sent. */
  lingerMs: number;
}

/** About one event-loop turn under load: enough for concurrent requests to meet, invisible next to a Kafka acknowledgement. */
export const DEFAULT_COALESCER_OPTIONS: BatchOptions = { maxItems: 500, lingerMs: 1 };

/**
 * Joins the items of concurrent callers into one batch and settles every caller with its
 * outcome: one request downstream instead of one per caller (the edges' upstream calls, the
 * consumer's bulk writes). A caller's items are never split across batches, so each caller's
 * answer is the answer for all of its items.
 */
export class Coalescer<T> {
  private readonly options: BatchOptions;
  private items: T[] = [];
  private waiting: { resolve: () => void; reject: (error: unknown) => void }[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly send: SendBatch<T>,
    options: Partial<BatchOptions> = {},
  ) {
    this.options = { ...DEFAULT_COALESCER_OPTIONS, ...options };
  }

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

/**
 * One read at a time, shared by every caller that asks while it runs: N concurrent callers cost
 * one round trip, not N. A caller that arrives while a read is running gets that read's answer
 * (at most one round trip old); the next caller after it settles starts a fresh one.
 */
export class SharedRead<T> {
  private running: Promise<T> | null = null;

  constructor(private readonly read: () => Promise<T>) {}

  get(): Promise<T> {
    if (this.running) return this.running;
    let started: Promise<T>;
    try {
      started = this.read();
    } catch (error) {
      return Promise.reject(error);
    }
    const running = started.finally(() => {
      if (this.running === running) this.running = null;
    });
    this.running = running;
    return running;
  }
}
