import type { Vote } from "./vote.ts";

/** Sends one batch of votes upstream; resolves once all are durable, throws the error every caller gets otherwise. */
export type SendVotes = (votes: readonly Vote[]) => Promise<void>;

export interface CoalescerOptions {
  /** Most votes in one upstream request (the servers take up to 500). */
  maxVotes: number;
  /** How long the first waiting vote waits for company before its batch is sent. */
  lingerMs: number;
}

/** About one event-loop turn under load: enough for concurrent requests to meet, invisible next to a Kafka acknowledgement. */
export const DEFAULT_COALESCER_OPTIONS: CoalescerOptions = { maxVotes: 500, lingerMs: 1 };

interface Waiting {
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Joins the votes of concurrent requests into one upstream request and settles every caller with
 * its outcome: one fetch or one gRPC call per batch instead of one per request. A caller's votes
 * are never split across batches, so each caller's answer is the answer for all of its votes.
 */
export class VoteCoalescer {
  private readonly options: CoalescerOptions;
  private votes: Vote[] = [];
  private waiting: Waiting[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly send: SendVotes,
    options: Partial<CoalescerOptions> = {},
  ) {
    this.options = { ...DEFAULT_COALESCER_OPTIONS, ...options };
  }

  /** Resolves once the batch holding these votes was accepted upstream; rejects with that batch's error. */
  forward(votes: readonly Vote[]): Promise<void> {
    if (votes.length === 0) return Promise.resolve();
    // A request that would overflow the open batch starts the next one instead of being split.
    if (this.votes.length + votes.length > this.options.maxVotes) this.flush();
    const settled = new Promise<void>((resolve, reject) => {
      this.waiting.push({ resolve, reject });
    });
    for (const vote of votes) this.votes.push(vote);
    if (this.votes.length >= this.options.maxVotes) this.flush();
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
    const votes = this.votes;
    const waiting = this.waiting;
    this.votes = [];
    this.waiting = [];
    let sent: Promise<void>;
    try {
      sent = this.send(votes);
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
