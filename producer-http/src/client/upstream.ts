import { type ErrorBody, HttpError, type Vote } from "@marimba/shared";

/** Longer than the server's worst case, so the edge never answers 503 for a vote the server wrote. */
const FORWARD_TIMEOUT_MS = 25_000;

/** The producer-http server, reached over kept-alive HTTP connections. */
export class VoteUpstream {
  constructor(private readonly baseUrl: string) {}

  /** Resolves once the server answered 202 (Kafka acknowledged); throws an HttpError to answer with otherwise. */
  async forward(votes: readonly Vote[], _bulk = false): Promise<void> {
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}/data`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(votes),
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

  async reachable(): Promise<boolean> {
    const response = await fetch(`${this.baseUrl}/healthz`, { signal: AbortSignal.timeout(2000) });
    return response.ok;
  }
}
