import { Metadata, type sendUnaryData, status } from "@grpc/grpc-js";
import { type Logger, MAX_BULK_VOTES, type Vote, type VotePublisher } from "@marimba/shared";
import {
  MAX_VOTE_MESSAGE_BYTES,
  REASON_TRAILER,
  type Receipt,
  type Receipts,
  toTimestamp,
  type VoteMessage__Output,
  type VoteServiceHandlers,
} from "../contract.ts";
import type { GrpcMetrics } from "./metrics.ts";
import {
  type CallFailure,
  invalidArgument,
  isMalformed,
  type Malformed,
  malformedMessage,
  publishFailureStatus,
  textLength,
  votesFromMessages,
} from "./votes.ts";

export interface VoteServiceDeps {
  publisher: Pick<VotePublisher, "publish">;
  metrics: GrpcMetrics;
  logger: Logger;
  /** Longest a CastStream may stay open before it is answered DEADLINE_EXCEEDED. */
  streamDeadlineMs?: number;
}

/** Ample for 500 votes from any honest caller; bounds a stream that never half-closes. */
export const DEFAULT_STREAM_DEADLINE_MS = 10_000;

function receiptOf(vote: Vote): Receipt {
  return { id: vote.id, acceptedAt: toTimestamp(vote.acceptedAt) };
}

function answerFailure<T>(callback: sendUnaryData<T>, failure: CallFailure): void {
  const metadata = new Metadata();
  for (const [key, value] of Object.entries(failure.trailers)) metadata.set(key, value);
  callback({ code: failure.code, details: failure.details, metadata }, null);
}

/** A batch or stream of more votes than one call may carry, in the HTTP route's words. */
function tooManyVotes(held: string): CallFailure {
  return invalidArgument([{ field: "(body)", message: `holds ${held} votes; at most ${MAX_BULK_VOTES} are accepted at once` }]);
}

/**
 * `marimba.v1.VoteService`: validates votes with the HTTP route's rules and answers OK only
 * once Kafka acknowledged them. A stream's or a batch's votes are published together, all or none.
 */
export function voteServiceHandlers({
  publisher,
  metrics,
  logger,
  streamDeadlineMs = DEFAULT_STREAM_DEADLINE_MS,
}: VoteServiceDeps): VoteServiceHandlers {
  /** Validates and publishes; resolves with the receipts, or the failure to answer with. */
  const cast = async (messages: VoteMessage__Output[], bulk: boolean, call: { cancelled: boolean }): Promise<Vote[] | CallFailure> => {
    const parsed = votesFromMessages(messages, bulk);
    if (!parsed.ok) return invalidArgument(parsed.problems);
    // A caller that gave up (deadline passed, edge gone) gets nothing published: it hears no answer.
    if (call.cancelled) return { code: status.CANCELLED, details: "the call was cancelled before its votes were published", trailers: {} };
    try {
      await publisher.publish(parsed.value);
      return parsed.value;
    } catch (error) {
      const failure = publishFailureStatus(error);
      if (failure.code === status.INTERNAL) logger.error({ err: error }, "publishing votes failed unexpectedly");
      return failure;
    }
  };

  /** Casts several votes as one and answers with a receipt for each, in order. */
  const castMany = (
    method: string,
    messages: VoteMessage__Output[],
    call: { cancelled: boolean },
    startedAt: number,
    callback: sendUnaryData<Receipts>,
  ) => {
    void cast(messages, true, call).then((outcome) => {
      if (Array.isArray(outcome)) {
        metrics.observe(method, status.OK, startedAt, outcome.length);
        callback(null, { receipts: outcome.map(receiptOf) });
      } else {
        metrics.observe(method, outcome.code, startedAt, messages.length);
        answerFailure(callback, outcome);
      }
    });
  };

  return {
    Cast(call, callback) {
      const startedAt = performance.now();
      if (isMalformed(call.request)) {
        metrics.observe("Cast", status.INVALID_ARGUMENT, startedAt, 1);
        answerFailure(callback, malformedMessage(call.request));
        return;
      }
      void cast([call.request], false, call).then((outcome) => {
        if (Array.isArray(outcome)) {
          metrics.observe("Cast", status.OK, startedAt, 1);
          callback(null, receiptOf(outcome[0] as Vote));
        } else {
          metrics.observe("Cast", outcome.code, startedAt, 1);
          answerFailure(callback, outcome);
        }
      });
    },

    CastStream(call, callback) {
      const startedAt = performance.now();
      const messages: VoteMessage__Output[] = [];
      let answered = false;
      // A stream that never half-closes would hold its votes and a slot forever: it has a deadline of its own.
      const deadline = setTimeout(
        () =>
          fail({
            code: status.DEADLINE_EXCEEDED,
            details: `the stream stayed open over ${streamDeadlineMs} ms; send at most ${MAX_BULK_VOTES} votes and half-close`,
            trailers: { [REASON_TRAILER]: "stream-deadline" },
          }),
        streamDeadlineMs,
      );
      const fail = (failure: CallFailure) => {
        answered = true;
        clearTimeout(deadline);
        metrics.observe("CastStream", failure.code, startedAt, messages.length);
        answerFailure(callback, failure);
      };
      call.on("data", (message: VoteMessage__Output | Malformed) => {
        if (answered) return;
        if (isMalformed(message)) return fail(malformedMessage(message, `[${messages.length}]`));
        messages.push(message);
        // Refused as soon as it is too long or a vote too large, so a runaway stream cannot hold the server's memory.
        if (messages.length > MAX_BULK_VOTES) fail(tooManyVotes(`more than ${MAX_BULK_VOTES}`));
        else if (textLength(message) > MAX_VOTE_MESSAGE_BYTES) {
          fail(
            invalidArgument([
              { field: `[${messages.length - 1}]`, message: `holds more than ${MAX_VOTE_MESSAGE_BYTES} characters; no vote is that large` },
            ]),
          );
        }
      });
      call.on("end", () => {
        if (answered) return;
        answered = true;
        clearTimeout(deadline);
        castMany("CastStream", messages, call, startedAt, callback);
      });
      // A caller that cancels before half-closing gets nothing published.
      call.on("error", () => {
        answered = true;
        clearTimeout(deadline);
      });
    },

    CastBatch(call, callback) {
      const startedAt = performance.now();
      if (isMalformed(call.request)) {
        metrics.observe("CastBatch", status.INVALID_ARGUMENT, startedAt, 0);
        answerFailure(callback, malformedMessage(call.request));
        return;
      }
      // An empty repeated field decodes as absent; validation then says the batch holds no vote.
      const messages = call.request.votes ?? [];
      // Counted before any vote is read: 1 MiB of empty messages would be hundreds of thousands.
      if (messages.length > MAX_BULK_VOTES) {
        const failure = tooManyVotes(String(messages.length));
        metrics.observe("CastBatch", failure.code, startedAt, messages.length);
        answerFailure(callback, failure);
        return;
      }
      castMany("CastBatch", messages, call, startedAt, callback);
    },
  };
}
