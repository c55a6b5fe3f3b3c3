import {
  type BatchOptions,
  Coalescer,
  type EncodedVote,
  type ErrorBody,
  encodeVote,
  HOP_CONTENT_TYPE,
  HttpError,
  hopBody,
  type Vote,
} from "@marimba/shared";

/** Longer than the server's worst case, so the edge never answers 503 for a vote the server wrote. */
export const FORWARD_TIMEOUT_MS = 25_000;

/** One `POST /data` with a batch of votes, one Kafka value a line: resolves on 202, throws the HttpError every vote in it is answered with otherwise. */
export async function postVotes(baseUrl: string, votes: readonly EncodedVote[]): Promise<void> {
  let response: Response;
  try {
    response = await fetch(`${baseUrl}/data`, {
      method: "POST",
      headers: { "content-type": HOP_CONTENT_TYPE },
      body: hopBody(votes),
      signal: AbortSignal.timeout(FORWARD_TIMEOUT_MS),
    });
  } catch {
    throw new HttpError(503, "the vote service is unreachable; retry shortly");
  }
  if (response.status === 202) {
    await response.body?.cancel();
    return;
  }
  const body = (await response.json().catch(() => null)) as ErrorBody | null;
  if (response.status === 503 || response.status === 429) {
    throw new HttpError(response.status, body?.error ?? "the vote could not be made durable; retry shortly");
  }
  throw new HttpError(502, `the vote service answered ${response.status}: ${body?.error ?? "no reason given"}`);
}

/** The producer-http server, reached over kept-alive HTTP connections; concurrent requests share one `POST /data`. */
export class VoteUpstream {
  private readonly coalescer: Coalescer<EncodedVote>;

  constructor(
    private readonly baseUrl: string,
    batch: Partial<BatchOptions> = {},
  ) {
    this.coalescer = new Coalescer<EncodedVote>((votes) => postVotes(this.baseUrl, votes), batch);
  }

  /** Resolves once the server answered 202 (Kafka acknowledged); throws an HttpError to answer with otherwise. */
  forward(votes: readonly Vote[]): Promise<void> {
    // Each vote is serialized here once: the server hands the same text to Kafka.
    return this.coalescer.forward(votes.map(encodeVote));
  }

  async reachable(): Promise<boolean> {
    const response = await fetch(`${this.baseUrl}/healthz`, { signal: AbortSignal.timeout(2000) });
    return response.ok;
  }
}
