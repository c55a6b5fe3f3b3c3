/** A small Server-Sent Events reader for tests: parses the stream as a browser would. */
export interface StreamEvent {
  event: string;
  data: string;
  id?: string;
}

export interface OpenStream {
  response: Response;
  /** Every event parsed so far, in order. */
  received: StreamEvent[];
  /** The `retry:` the server asked for, if any. */
  retry(): number | undefined;
  /** Resolves with the first event, from now on or already received and not yet taken, that matches. */
  next(match: (event: StreamEvent) => boolean, timeoutMs: number): Promise<StreamEvent>;
  close(): void;
}

export async function openStream(url: string, headers: Record<string, string> = {}): Promise<OpenStream> {
  const controller = new AbortController();
  const response = await fetch(url, { headers: { accept: "text/event-stream", ...headers }, signal: controller.signal });
  if (!response.ok || !response.body) throw new Error(`the stream answered ${response.status}`);
  const received: StreamEvent[] = [];
  let taken = 0;
  let retry: number | undefined;
  let waiters: (() => void)[] = [];
  let ended = false;

  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  void (async () => {
    let buffer = "";
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end = buffer.indexOf("\n\n");
        while (end !== -1) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event: StreamEvent = { event: "message", data: "" };
          let hasData = false;
          for (const line of block.split("\n")) {
            if (line.startsWith(":")) continue;
            const colon = line.indexOf(":");
            const field = colon === -1 ? line : line.slice(0, colon);
            const text = colon === -1 ? "" : line.slice(colon + 1).replace(/^ /, "");
            if (field === "event") event.event = text;
            else if (field === "id") event.id = text;
            else if (field === "retry") retry = Number(text);
            else if (field === "data") {
              event.data += hasData ? `\n${text}` : text;
              hasData = true;
            }
          }
          if (hasData) received.push(event);
          end = buffer.indexOf("\n\n");
        }
        for (const wake of waiters) wake();
        waiters = [];
      }
    } catch {
      // aborted by close()
    } finally {
      ended = true;
      for (const wake of waiters) wake();
    }
  })();

  return {
    response,
    received,
    retry: () => retry,
    async next(match, timeoutMs) {
      const deadline = performance.now() + timeoutMs;
      for (;;) {
        while (taken < received.length) {
          const event = received[taken++] as StreamEvent;
          if (match(event)) return event;
        }
        if (ended) throw new Error("the stream ended");
        const left = deadline - performance.now();
        if (left <= 0) throw new Error(`no matching event within ${timeoutMs} ms; got ${received.map((e) => e.event).join(", ")}`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
    },
    close: () => controller.abort(),
  };
}
