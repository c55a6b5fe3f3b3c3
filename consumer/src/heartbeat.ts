import { CONSUMER_HEARTBEAT_MS, CONSUMER_SEEN_RETENTION_MS, CONSUMERS_SEEN_KEY, type Logger, withDeadline } from "@marimba/shared";
import type { Redis } from "ioredis";

// Stamps this replica with Redis's own clock (one clock for every replica and every reader),
// drops replicas gone for longer than the retention, and lets the key expire with the last one.
const BEAT_SCRIPT = `
local now = redis.call('TIME')
local ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
redis.call('ZADD', KEYS[1], ms, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ms - tonumber(ARGV[2]))
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return ms
`;

/** A beat that has not answered by then is abandoned; the next one starts on time. */
const BEAT_DEADLINE_MS = 900;

export interface HeartbeatObserver {
  beat?(ok: boolean): void;
}

type BeatingRedis = Redis & { consumerBeat(key: string, replica: string, retentionMs: number): Promise<number> };

/**
 * Tells the dashboard this replica is alive: every second it writes its name and the Redis time
 * into `CONSUMERS_SEEN_KEY`. A stopped, frozen or cut-off replica stops beating, and the
 * dashboard shows since when it was last seen.
 */
export class ConsumerHeartbeat {
  private readonly redis: BeatingRedis;
  private timer: ReturnType<typeof setInterval> | null = null;
  private beating = false;
  private failing = false;

  constructor(
    redis: Redis,
    readonly replica: string,
    private readonly logger: Logger,
    private readonly observer: HeartbeatObserver = {},
    private readonly intervalMs = CONSUMER_HEARTBEAT_MS,
  ) {
    redis.defineCommand("consumerBeat", { numberOfKeys: 1, lua: BEAT_SCRIPT });
    this.redis = redis as BeatingRedis;
  }

  start(): this {
    void this.beat();
    this.timer ??= setInterval(() => void this.beat(), this.intervalMs);
    return this;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** One beat; skipped while the previous one is still running, so a slow Redis never piles them up. */
  async beat(): Promise<void> {
    if (this.beating) return;
    this.beating = true;
    try {
      await withDeadline(BEAT_DEADLINE_MS, "Redis: consumer heartbeat", () =>
        this.redis.consumerBeat(CONSUMERS_SEEN_KEY, this.replica, CONSUMER_SEEN_RETENTION_MS),
      );
      if (this.failing) this.logger.info({ replica: this.replica }, "heartbeat reaches Redis again");
      this.failing = false;
      this.observer.beat?.(true);
    } catch (error) {
      // Logged once per streak of failures; the metric counts every one.
      if (!this.failing) this.logger.warn({ err: error, replica: this.replica }, "heartbeat could not reach Redis; retrying every second");
      this.failing = true;
      this.observer.beat?.(false);
    } finally {
      this.beating = false;
    }
  }
}
