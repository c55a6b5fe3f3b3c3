/** A reading of the total counter at a moment (ms since the epoch). */
export interface TotalSample {
  at: number;
  total: number;
}

/** How far back the votes-per-second rate looks. */
export const RATE_WINDOW_MS = 10_000;

/**
 * Votes per second over about the last `windowMs`, from readings of the total counter.
 * Keeps only the readings it needs; a counter that went down (rebuilt by a recount)
 * starts afresh.
 */
export class VoteRate {
  private samples: TotalSample[] = [];

  constructor(private readonly windowMs = RATE_WINDOW_MS) {}

  add(sample: TotalSample): void {
    const last = this.samples.at(-1);
    if (last && (sample.total < last.total || sample.at < last.at)) this.samples = [];
    this.samples.push(sample);
    // The oldest reading kept is the last one at or before the window's start.
    const start = sample.at - this.windowMs;
    while (this.samples.length > 2 && (this.samples[1] as TotalSample).at <= start) this.samples.shift();
  }

  /** Votes per second, rounded to one decimal; 0 until readings span a second. */
  perSecond(): number {
    const first = this.samples[0];
    const last = this.samples.at(-1);
    if (!first || !last) return 0;
    const seconds = (last.at - first.at) / 1000;
    if (seconds < 1) return 0;
    return Math.round(((last.total - first.total) / seconds) * 10) / 10;
  }

  reset(): void {
    this.samples = [];
  }
}
