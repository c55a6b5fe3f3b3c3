/**
 * Idempotent retries at the edges. A client that sends `Idempotency-Key: K` gets a vote id derived
 * from K (UUID v5 in one namespace for both routes), so every retry of the request, on either
 * route, carries the same id and the consumer stores and counts it once. Vote i (from 0) of an
 * array sent with key K is the vote of key `K[i]`. Each edge also remembers the keys it saw
 * lately, to answer a key reused for another vote with 409 and a retry with the first answer.
 */
import { HttpError } from "./http.ts";
import { acceptVote, type Route, type Vote, type VoteInput } from "./vote.ts";

export const IDEMPOTENCY_KEY_HEADER = "idempotency-key";

/** The namespace of ids derived from keys; never change it, or retries across a deploy count twice. */
export const VOTE_KEY_NAMESPACE = "5f0c2f0e-7b1a-4c52-9d7e-3a61c0b0a7f1";

/** Most keyed votes an edge remembers (oldest forgotten first): measured 23 MB of heap at 100,000. */
export const DEFAULT_RECENT_KEYS = 100_000;

const MAX_KEY_LENGTH = 200;
// Visible ASCII only: what UUIDs, ULIDs and random tokens are written in; nothing to normalise.
const KEY = /^[\x21-\x7e]+$/;

/**
 * The request's Idempotency-Key, unquoted (the IETF draft sends it as a quoted string; most
 * clients send it bare), or undefined when there is none; a malformed one is a 400 naming it.
 */
export function readIdempotencyKey(request: Request): string | undefined {
  const header = request.headers.get(IDEMPOTENCY_KEY_HEADER);
  if (header === null) return undefined;
  const trimmed = header.trim();
  const key = trimmed.length >= 2 && trimmed.startsWith('"') && trimmed.endsWith('"') ? trimmed.slice(1, -1) : trimmed;
  if (key.length === 0 || key.length > MAX_KEY_LENGTH || !KEY.test(key)) {
    throw new HttpError(400, `the Idempotency-Key header must be 1 to ${MAX_KEY_LENGTH} visible ASCII characters (a UUID is a good key)`, [
      { field: "Idempotency-Key", message: "is malformed" },
    ]);
  }
  return key;
}

/** The key of one vote: the request's key, or `K[i]` for vote i of an array. */
export function voteKey(key: string, index: number, bulk: boolean): string {
  return bulk ? `${key}[${index}]` : key;
}

/** The id of the vote sent with this key, whichever route and edge replica takes it. */
export function keyedVoteId(key: string): string {
  return Bun.randomUUIDv5(key, VOTE_KEY_NAMESPACE);
}

/** What identifies a vote's body: its fields as the edge stored them (trimmed, NFC, strings). */
export function voteFingerprint(vote: VoteInput): bigint {
  return BigInt(Bun.hash(`${vote.name}\u0000${vote.album}\u0000${vote.year}\u0000${vote.rank}`));
}

interface Remembered {
  fingerprint: bigint;
  /** The first attempt's acceptance time: a retry is answered with it and carries it to Kafka. */
  acceptedAt: string;
  /** True once Kafka acknowledged a copy: a retry is then answered without sending another. */
  durable: boolean;
}

export interface KeyedVotes {
  votes: Vote[];
  /** True when every vote already has a Kafka acknowledgement: nothing needs to be sent again. */
  durable: boolean;
}

/** The keyed votes an edge saw lately, by vote id: bounded, oldest forgotten first. */
export class RecentKeys {
  private readonly entries = new Map<string, Remembered>();

  constructor(private readonly capacity = DEFAULT_RECENT_KEYS) {}

  get size(): number {
    return this.entries.size;
  }

  /**
   * Stamps the votes of a keyed request with their derived ids, or throws 409 when this edge
   * saw one of those keys with another body. Nothing is remembered unless the whole request passes.
   */
  accept(key: string, inputs: readonly VoteInput[], bulk: boolean, route: Route, now: Date): KeyedVotes {
    const votes: Vote[] = [];
    const fresh: [string, Remembered][] = [];
    const conflicts: { field: string; message: string }[] = [];
    let durable = true;
    inputs.forEach((input, index) => {
      const keyOfVote = voteKey(key, index, bulk);
      const id = keyedVoteId(keyOfVote);
      const fingerprint = voteFingerprint(input);
      const seen = this.entries.get(id);
      if (seen && seen.fingerprint !== fingerprint) {
        conflicts.push({ field: bulk ? `[${index}]` : "(body)", message: `the key "${keyOfVote}" was already used for a different vote` });
        return;
      }
      if (!seen?.durable) durable = false;
      const acceptedAt = seen?.acceptedAt ?? now.toISOString();
      if (!seen) fresh.push([id, { fingerprint, acceptedAt, durable: false }]);
      votes.push(acceptVote(input, route, new Date(acceptedAt), id));
    });
    if (conflicts.length > 0) {
      throw new HttpError(409, `the Idempotency-Key "${key}" was already used with a different body`, conflicts);
    }
    for (const [id, remembered] of fresh) this.remember(id, remembered);
    return { votes, durable };
  }

  /** Kafka acknowledged these votes: a retry of them needs no second copy. */
  markDurable(votes: readonly Vote[]): void {
    for (const vote of votes) {
      const seen = this.entries.get(vote.id);
      if (seen) seen.durable = true;
    }
  }

  private remember(id: string, remembered: Remembered): void {
    this.entries.set(id, remembered);
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }
}
