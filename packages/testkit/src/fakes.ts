/**
 * Stand-ins for what sits behind the apps' own interfaces, for the in-process tier: they record
 * what the app handed on and fail on demand. The stack tier tests the real publisher and stores.
 */
import { type EncodedVote, encodeVote, type Vote, type VoteForwarder, type VotePublisher } from "@marimba/shared";

/** The vote the in-process tests pass around: accepted at a fixed time over HTTP, with the id given. */
export function acceptedVote(id = "019ada7e-0000-7000-8000-000000000001"): Vote {
  return { id, name: "Alux Nahual", album: "Alux Nahual", year: "1980", rank: "1", route: "http", acceptedAt: "2026-12-01T10:00:00.000Z" };
}

/** Behind a server's `publisher`: keeps every batch it was given, or throws `failure` when set. */
export class RecordingPublisher implements Pick<VotePublisher, "publish" | "publishEncoded"> {
  readonly batches: Vote[][] = [];
  /** The Kafka values of every batch, as the publisher would send them. */
  readonly values: string[][] = [];
  failure: Error | null = null;

  publish(votes: readonly Vote[]): Promise<void> {
    return this.publishEncoded(votes.map(encodeVote));
  }

  async publishEncoded(messages: readonly EncodedVote[]): Promise<void> {
    if (this.failure) throw this.failure;
    this.values.push(messages.map((message) => message.value));
    this.batches.push(messages.map((message) => JSON.parse(message.value) as Vote));
  }

  /** Every vote published, in order. */
  get votes(): Vote[] {
    return this.batches.flat();
  }
}

/** Behind an edge's `upstream`: keeps every batch it was asked to forward, or throws `failure` when set. */
export class RecordingForwarder implements VoteForwarder {
  readonly batches: Vote[][] = [];
  failure: Error | null = null;
  isReachable = true;

  async forward(votes: readonly Vote[]): Promise<void> {
    if (this.failure) throw this.failure;
    this.batches.push([...votes]);
  }

  async reachable(): Promise<boolean> {
    return this.isReachable;
  }

  get votes(): Vote[] {
    return this.batches.flat();
  }
}

/** A request to an app built in-process: `app.handle(request(...))`. */
export function request(path: string, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}): Request {
  const { method = init.body === undefined ? "GET" : "POST", body, headers } = init;
  const text = body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body);
  const all: Record<string, string> = text === undefined ? {} : { "content-type": "application/json" };
  return new Request(`http://localhost${path}`, { method, body: text, headers: { ...all, ...headers } });
}

/** Status, parsed JSON (or text) and headers of an in-process answer. */
export async function read(response: Response | Promise<Response>) {
  const answer = await response;
  const text = await answer.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: the test sees the text
  }
  // biome-ignore lint/suspicious/noExplicitAny: a test reads whatever came back and checks it with expect()
  return { status: answer.status, body: body as any, headers: answer.headers };
}
