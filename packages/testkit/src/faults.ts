/**
 * The fault-injection harness: drives load through both routes while a test breaks things,
 * records every vote answered 202, and checks afterwards that exactly those votes were stored
 * and counted — none missing, none extra — and that every counter moved by exactly them. It asks
 * only about the run's own votes (by id, and Kafka from where the run began), so it costs the same
 * on a store that holds a million other votes.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { availableParallelism } from "node:os";
import { RECOUNT_LOCK_KEY } from "@marimba/consumer/counters";
import { addVotes, appliedOffsetsKey, emptyDelta, sleep, TALLY_HASHES, type TallyDelta, type VoteInput, waitFor } from "@marimba/shared";
import { createRedis } from "@marimba/shared/storage";
import { readTallies, runningPid, services, stackEnv, type Tallies, urls } from "@marimba/stack";
import { countedRoutes, storedVotes, type TopicOffsets, topicOffsets, votesInKafkaSince } from "./lookups.ts";
import { kafkaClient } from "./stack.ts";

export interface LoadRoute {
  route: "http" | "grpc";
  url: string;
}

/** The routes the stack runs: both, once the gRPC pair is part of it. */
export function loadRoutes(): LoadRoute[] {
  const routes: LoadRoute[] = [{ route: "http", url: `${urls.http}/http/votes` }];
  if (services.some((service) => service.name === "producer-grpc-client")) routes.push({ route: "grpc", url: `${urls.grpc}/grpc/votes` });
  return routes;
}

export interface AcceptedVote extends VoteInput {
  route: LoadRoute["route"];
}

export interface DriverReport {
  /** The band of every vote of the run: no other run or test uses it. */
  band: string;
  /** Where the topic ended before the run's first vote: every vote it got into Kafka is past this. */
  since: TopicOffsets;
  /** Every vote answered 202, by id. */
  accepted: Map<string, AcceptedVote>;
  /** Answers other than 202, by status ("error" when the connection failed). */
  refused: Map<string, number>;
  acceptedByRoute: Record<string, number>;
  /** The slowest answer of the run, in ms: no request may hang. */
  slowestMs: number;
  requests: number;
  /** With keyed retries: attempts sent in all, */
  retries?: number;
  /** votes whose every attempt went unanswered or refused, */
  unresolved?: number;
  /** and keys whose 202s named different ids (must be none). */
  keyMismatches?: number;
}

/** How long a keyed client goes on retrying one request before it gives up on it. */
const KEYED_RETRY_BUDGET_MS = 60_000;

/**
 * Sends votes for one band (unique to the test) at random through the routes, `concurrency`
 * requests at a time, each carrying 1 to `maxBulk` votes, until stopped or `maxVotes` sent.
 */
export class LoadDriver {
  readonly band = `Fault ${crypto.randomUUID().slice(0, 8)}`;
  private running = false;
  private workers: Promise<void>[] = [];
  private sent = 0;
  private opening: Promise<TopicOffsets> = Promise.resolve({});
  private readonly report: DriverReport = {
    band: this.band,
    since: {},
    accepted: new Map(),
    refused: new Map(),
    acceptedByRoute: {},
    slowestMs: 0,
    requests: 0,
  };

  constructor(
    private readonly options: {
      concurrency?: number;
      maxBulk?: number;
      maxVotes?: number;
      timeoutMs?: number;
      paceMs?: number;
      /** Every request carries an Idempotency-Key and is retried at random, before and after its first answer. */
      keyedRetries?: boolean;
    } = {},
    private readonly routes = loadRoutes(),
  ) {}

  get acceptedCount(): number {
    return this.report.accepted.size;
  }

  start(): this {
    this.running = true;
    this.opening = topicOffsets();
    this.workers = Array.from({ length: this.options.concurrency ?? 16 }, async () => {
      await this.opening;
      await this.work();
    });
    return this;
  }

  async stop(): Promise<DriverReport> {
    this.running = false;
    await Promise.all(this.workers);
    this.report.since = await this.opening;
    return this.report;
  }

  /** Resolves once `count` more votes have been accepted (or throws after `timeoutMs`). */
  async untilAccepted(count: number, timeoutMs = 60_000): Promise<void> {
    const target = this.report.accepted.size + count;
    await waitFor(`${count} more accepted votes`, () => this.report.accepted.size >= target, timeoutMs, 50);
  }

  private vote(i: number): VoteInput {
    return { name: this.band, album: `Album ${i % 3}`, year: String(1990 + (i % 2)), rank: String((i % 5) + 1) };
  }

  private async work(): Promise<void> {
    const maxBulk = this.options.maxBulk ?? 20;
    const maxVotes = this.options.maxVotes ?? Number.POSITIVE_INFINITY;
    while (this.running && this.sent < maxVotes) {
      const size = Math.random() < 0.5 ? 1 : 1 + Math.floor(Math.random() * maxBulk);
      const votes = Array.from({ length: size }, (_, k) => this.vote(this.sent + k));
      this.sent += size;
      const started = performance.now();
      const status = this.options.keyedRetries ? await this.sendKeyed(votes) : await this.sendOnce(votes);
      this.report.requests++;
      if (this.options.paceMs) await sleep(this.options.paceMs); // spreads a run over time
      this.report.slowestMs = Math.max(this.report.slowestMs, performance.now() - started);
      if (status !== "202") {
        this.report.refused.set(status, (this.report.refused.get(status) ?? 0) + 1);
        await sleep(20); // a refused client backs off a little, as Retry-After asks
      }
    }
  }

  private randomRoute(): LoadRoute {
    return this.routes[Math.floor(Math.random() * this.routes.length)] as LoadRoute;
  }

  /** One request; the receipts of a 202, or the status ("error" when no answer came). */
  private async attempt(
    target: LoadRoute,
    votes: VoteInput[],
    headers: Record<string, string> = {},
    timeoutMs = this.options.timeoutMs ?? 60_000,
  ): Promise<{ status: string; receipts: { id: string }[] | null }> {
    try {
      const response = await fetch(target.url, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify(votes.length === 1 ? votes[0] : votes),
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (response.status !== 202) {
        await response.body?.cancel();
        return { status: String(response.status), receipts: null };
      }
      const body = (await response.json()) as { id: string } | { id: string }[];
      return { status: "202", receipts: Array.isArray(body) ? body : [body] };
    } catch {
      // a refused or reset connection, or a client that gave up waiting: never counted as accepted
      return { status: "error", receipts: null };
    }
  }

  private recordAccepted(target: LoadRoute, votes: VoteInput[], receipts: { id: string }[]): void {
    receipts.forEach((receipt, k) => {
      this.report.accepted.set(receipt.id, { ...(votes[k] as VoteInput), route: target.route });
    });
    this.report.acceptedByRoute[target.route] = (this.report.acceptedByRoute[target.route] ?? 0) + votes.length;
  }

  private async sendOnce(votes: VoteInput[]): Promise<string> {
    const target = this.randomRoute();
    const { status, receipts } = await this.attempt(target, votes);
    if (receipts) this.recordAccepted(target, votes, receipts);
    return status;
  }

  /**
   * A client that retries as the README asks, with an Idempotency-Key: at random it sends a copy
   * before the first answer, gives up waiting early (no answer), retries on another route, and
   * sends once more after a 202. Every 202 for a key must carry the same ids; the first is kept.
   */
  private async sendKeyed(votes: VoteInput[]): Promise<string> {
    const headers = { "idempotency-key": crypto.randomUUID() };
    const answered: { target: LoadRoute; receipts: { id: string }[] }[] = [];
    const once = async (impatient: boolean) => {
      const target = this.randomRoute();
      const outcome = await this.attempt(target, votes, headers, impatient ? 1 + Math.random() * 30 : undefined);
      if (outcome.receipts) answered.push({ target, receipts: outcome.receipts });
      this.report.retries = (this.report.retries ?? 0) + 1;
      return outcome.status;
    };
    let last = "error";
    const early = Math.random() < 0.2 ? once(false) : null; // a copy sent before any answer came
    // Like a client with a budget of time rather than of attempts: a restart of a server, slow on
    // a busy machine, must not use up the retries in the first two seconds.
    const giveUpAt = performance.now() + KEYED_RETRY_BUDGET_MS;
    for (let attempt = 0; answered.length === 0 && (attempt < 8 || performance.now() < giveUpAt); attempt++) {
      last = await once(attempt === 0 && Math.random() < 0.3);
      if (answered.length === 0) await sleep(attempt === 0 ? 5 : Math.min(1000, 50 * attempt));
    }
    if (Math.random() < 0.3) await once(Math.random() < 0.5); // and once more after its answer
    await early;
    const [first, ...others] = answered;
    if (!first) {
      this.report.unresolved = (this.report.unresolved ?? 0) + votes.length;
      return last;
    }
    const ids = first.receipts.map((receipt) => receipt.id).join();
    for (const other of others) {
      if (other.receipts.map((receipt) => receipt.id).join() !== ids) this.report.keyMismatches = (this.report.keyMismatches ?? 0) + 1;
    }
    this.recordAccepted(first.target, votes, first.receipts);
    return "202";
  }
}

/**
 * Waits until the consumers have applied every message of the topic (no lag left). Fails when
 * they apply nothing for `stallMs` while messages wait and no recount holds them back (a hang),
 * or after `limitMs` in all: a backlog that drains slowly on a busy machine is not a failure, a
 * consumer that stopped is.
 */
export async function settle({
  stallMs = 60_000,
  limitMs = 200_000,
  /** Wait only for the messages Kafka held when the call began: a load still running adds more all the time. */
  heldAtStart = false,
  /** A topic and the Redis its consumers count in, when not the stack's. */
  topic = stackEnv.KAFKA_TOPIC,
  redisUrl = stackEnv.REDIS_URL,
} = {}): Promise<number> {
  const started = performance.now();
  const admin = kafkaClient("marimba-faults").admin();
  const redis = createRedis(redisUrl);
  let applied = -1;
  let progressAt = started;
  let waiting = Number.NaN;
  let target: Awaited<ReturnType<typeof admin.fetchTopicOffsets>> | undefined;
  try {
    await admin.connect();
    for (;;) {
      try {
        const [ends, offsets, recounting] = await Promise.all([
          target ?? admin.fetchTopicOffsets(topic),
          redis.hgetall(appliedOffsetsKey(topic)),
          redis.exists(RECOUNT_LOCK_KEY),
        ]);
        if (heldAtStart) target = ends;
        const now = ends.reduce((sum, { partition, high }) => sum + Math.min(Number(offsets[partition] ?? -1) + 1, Number(high)), 0);
        waiting = ends.reduce((sum, { high }) => sum + Number(high), 0) - now;
        if (waiting === 0) break;
        // A recount (the consumer rebuilding lost counters) holds every batch back while it reads the log.
        if (now !== applied || recounting === 1) {
          applied = now;
          progressAt = performance.now();
        }
      } catch {
        // Kafka or Redis away for a moment (a test just restarted it): ask again.
      }
      const elapsed = performance.now() - started;
      if (performance.now() - progressAt > stallMs) {
        throw new Error(`the consumers applied nothing for ${stallMs / 1000} s with ${waiting} messages waiting`);
      }
      if (elapsed > limitMs) {
        throw new Error(`timed out after ${limitMs / 1000} s waiting for the consumers to apply every message (${waiting} still waiting)`);
      }
      await sleep(250);
    }
  } finally {
    await admin.disconnect();
    redis.disconnect();
  }
  return (performance.now() - started) / 1000;
}

export interface Verdict {
  accepted: number;
  stored: number;
  counted: number;
  /** Accepted votes MongoDB does not hold. */
  missing: string[];
  /** Votes of the run MongoDB holds that were never answered 202. */
  extra: string[];
  /** Accepted votes the counted-ids set does not hold, or holds in another route than their stored copy's, as "id: route". */
  uncounted: string[];
  /** Counters that did not move by exactly what the accepted votes add up to, as "hash field: grew vs expected". */
  drift: string[];
  /** What the accepted votes add to every counter. */
  grew: TallyDelta;
}

/** Every counter against `before` plus `grew`, in every field of every hash: what moved and should not have, too. */
export async function countersDrift(before: Tallies, grew: TallyDelta, after?: Tallies): Promise<string[]> {
  after ??= await readTallies();
  const drift: string[] = [];
  if (after.total - before.total !== grew.total) drift.push(`total grew by ${after.total - before.total}, expected ${grew.total}`);
  for (const hash of TALLY_HASHES) {
    for (const field of new Set([...Object.keys(before[hash]), ...Object.keys(after[hash]), ...grew[hash].keys()])) {
      const moved = (after[hash][field] ?? 0) - (before[hash][field] ?? 0);
      const expected = grew[hash].get(field) ?? 0;
      if (moved !== expected) drift.push(`${hash} ${field}: grew by ${moved}, expected ${expected}`);
    }
  }
  return drift;
}

/** The sum of several deltas: what a series of runs adds to every counter. */
export function sumDeltas(deltas: readonly TallyDelta[]): TallyDelta {
  const sum = emptyDelta();
  for (const delta of deltas) {
    sum.total += delta.total;
    for (const hash of TALLY_HASHES) for (const [field, count] of delta[hash]) sum[hash].set(field, (sum[hash].get(field) ?? 0) + count);
  }
  return sum;
}

/**
 * The promise, checked: the run's votes in MongoDB are exactly the accepted ones (none missing,
 * none extra), each is in the counted-ids set in its stored copy's route, and every counter moved
 * by exactly what the accepted votes add up to — nothing lost, nothing counted twice, nothing else
 * moved. The run's unanswered votes are found in Kafka, past where it stood when the run began.
 */
export async function verify(report: DriverReport, before: Tallies): Promise<Verdict> {
  const accepted = [...report.accepted.keys()];
  const unanswered = (await votesInKafkaSince(report.since))
    .filter((vote) => vote.name === report.band && !report.accepted.has(vote.id))
    .map((vote) => vote.id);
  const [stored, counted] = await Promise.all([storedVotes([...accepted, ...unanswered]), countedRoutes(accepted)]);
  // A keyed retry may reach Kafka on the other route first; a vote counts in the route of its stored copy.
  const grew = addVotes(
    emptyDelta(),
    [...report.accepted].map(([id, vote]) => ({ ...vote, route: stored.get(id)?.route ?? vote.route })),
  );
  const after = await readTallies();
  const drift = await countersDrift(before, grew, after);
  return {
    accepted: report.accepted.size,
    stored: stored.size,
    counted: (after.band[report.band] ?? 0) - (before.band[report.band] ?? 0),
    missing: accepted.filter((id) => !stored.has(id)),
    extra: [...new Set(unanswered)].filter((id) => stored.has(id)),
    uncounted: accepted.flatMap((id) => {
      const route = counted.get(id);
      return route !== undefined && route === stored.get(id)?.route ? [] : [`${id}: ${route ?? "not counted"}`];
    }),
    drift,
    grew,
  };
}

// ── Stalls and a busy machine ───────────────────────────────────────────────────────────────────

/** Freezes a process of the stack (SIGSTOP): it keeps its sockets open and answers nothing. */
export function freeze(name: string): number {
  const pid = runningPid(name);
  if (pid === null) throw new Error(`${name} is not running`);
  process.kill(pid, "SIGSTOP");
  return pid;
}

/** Lets a frozen process run again (SIGCONT). */
export function thaw(pid: number): void {
  process.kill(pid, "SIGCONT");
}

/**
 * Busy-loop processes that take most of the machine's cores, as other tenants would. Started and
 * stopped by pid; `stop` must run (tests call it in a `finally`).
 */
export class BusyLoops {
  private readonly children: ChildProcess[] = [];

  /** Two per core: with the stack's own processes, they leave it a small share of each. */
  start(count = 2 * availableParallelism()): this {
    for (let i = 0; i < count; i++) this.children.push(spawn("sh", ["-c", "while :; do :; done"], { stdio: "ignore" }));
    return this;
  }

  get pids(): number[] {
    return this.children.flatMap((child) => (child.pid ? [child.pid] : []));
  }

  stop(): void {
    for (const pid of this.pids) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    this.children.length = 0;
  }
}

/** A consumer's `/readyz` answer: the status and, per check, "ok" or what it is waiting for. */
export async function consumerReadiness(port: number): Promise<{ status: number; checks: Record<string, string> }> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(5000) });
    const body = (await response.json()) as { checks: Record<string, string> };
    return { status: response.status, checks: body.checks };
  } catch (error) {
    return { status: 0, checks: { probe: (error as Error).message } };
  }
}

/** Empties the stack's Redis (FLUSHALL), as a lost cache would. */
export async function flushRedis(): Promise<void> {
  const redis = createRedis(stackEnv.REDIS_URL);
  try {
    await redis.flushall();
  } finally {
    redis.disconnect();
  }
}
