import { type Logger, type Vote, Vote as VoteSchema } from "@marimba/shared";
import type { TallyCounters } from "./counters.ts";
import { CountersBehindError } from "./failures.ts";
import type { NewestVotes } from "./newest.ts";
import type { PositionedVote, VoteLog } from "./vote-log.ts";

export interface BatchMessage {
  offset: string;
  value: Buffer | null;
}

export interface PartitionBatch {
  topic: string;
  partition: number;
  messages: readonly BatchMessage[];
}

export interface ApplyResult {
  /** Votes newly counted by this call. */
  counted: number;
  /** Messages at or below the applied offset: already counted before. */
  skipped: number;
  /** Messages that are not a valid vote; logged and passed over. */
  invalid: number;
  /** Votes whose id the counters already included (a second copy, e.g. a keyed retry): logged, not counted again. */
  duplicates: number;
}

/** How often a batch looks again while a recount holds the counters. */
const RECOUNT_POLL_MS = 100;

export interface ApplyDeps {
  voteLog: VoteLog;
  counters: TallyCounters;
  /** The dashboard's newest-votes document, kept beside the log (absent: not kept). */
  newest?: Pick<NewestVotes, "record">;
  logger: Logger;
}

function decode(message: BatchMessage, logger: Logger): Vote | null {
  try {
    const parsed = VoteSchema.safeParse(JSON.parse(message.value?.toString() ?? "null"));
    if (parsed.success) return parsed.data;
    logger.error({ offset: message.offset, problems: parsed.error.issues }, "skipping a message that is not a valid vote");
  } catch {
    logger.error({ offset: message.offset }, "skipping a message that is not JSON");
  }
  return null;
}

/**
 * Stores and counts one partition's batch exactly once, however often it is delivered:
 * messages at or below the partition's applied offset are skipped, the rest are written to
 * MongoDB (idempotent by `_id`), then counted in Redis together with the new offset by a
 * compare-and-set script. If the offset moved meanwhile (another consumer got there first),
 * the batch is re-filtered against the new offset and tried again; while a recount holds
 * the counters, it waits.
 */
export async function applyBatch(
  deps: ApplyDeps,
  batch: PartitionBatch,
  /** Called while the batch waits for a recount, so a long recount does not cost the group membership. */
  waiting: () => Promise<void> = async () => {},
): Promise<ApplyResult> {
  const last = batch.messages.at(-1);
  const first = batch.messages[0];
  if (!first || !last) return { counted: 0, skipped: 0, invalid: 0, duplicates: 0 };
  for (;;) {
    const applied = await deps.counters.appliedOffset(batch.topic, batch.partition);
    const appliedOffset = BigInt(applied);
    // Every message before this batch was applied (the consumer only moves past applied ones): if
    // the counters do not include them, they lost data and counting on top would be wrong.
    if (BigInt(first.offset) - 1n > appliedOffset) throw new CountersBehindError(batch.topic, batch.partition, applied, first.offset);
    const fresh = batch.messages.filter((message) => BigInt(message.offset) > appliedOffset);
    const skipped = batch.messages.length - fresh.length;
    if (fresh.length === 0) return { counted: 0, skipped, invalid: 0, duplicates: 0 };
    const decoded: PositionedVote[] = [];
    for (const message of fresh) {
      const vote = decode(message, deps.logger);
      if (vote) decoded.push({ vote, position: { topic: batch.topic, partition: batch.partition, offset: Number(message.offset) } });
    }
    const { alreadyStored } = await deps.voteLog.insert(decoded);
    const before = new Set(alreadyStored);
    await deps.newest?.record(decoded.map(({ vote }) => vote));
    const toCount = decoded.map((positioned) => ({ vote: positioned.vote, stored: !before.has(positioned) }));
    const { outcome, countedBefore } = await deps.counters.apply(batch.topic, batch.partition, applied, last.offset, toCount);
    if (outcome === "applied") {
      const duplicates = countedBefore.length;
      if (duplicates > 0) {
        const ids = countedBefore.slice(0, 10).map((vote) => vote.id);
        deps.logger.warn(
          { partition: batch.partition, duplicates, ids },
          "vote ids the counters already include (second copies); not counted again",
        );
      }
      return { counted: decoded.length - duplicates, skipped, invalid: fresh.length - decoded.length, duplicates };
    }
    if (outcome === "paused") {
      await Bun.sleep(RECOUNT_POLL_MS);
      await waiting();
    } else deps.logger.warn({ partition: batch.partition, expected: applied }, "applied offset moved under this batch; re-filtering");
  }
}
