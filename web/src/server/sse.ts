/** One Server-Sent Events message; `data` is sent as one line of JSON. */
export interface SseMessage {
  event?: string;
  id?: string;
  data?: unknown;
  /** Milliseconds the browser waits before reconnecting. */
  retry?: number;
  comment?: string;
}

const LINE_BREAK = /[\r\n]/;

/** Encodes a message in the `text/event-stream` format, refusing fields that would break framing. */
export function sseMessage(message: SseMessage): string {
  let text = "";
  if (message.comment !== undefined) text += `: ${message.comment.replace(/[\r\n]+/g, " ")}\n`;
  if (message.retry !== undefined) text += `retry: ${Math.max(0, Math.trunc(message.retry))}\n`;
  if (message.event !== undefined) {
    if (LINE_BREAK.test(message.event)) throw new Error("an SSE event name cannot contain a line break");
    text += `event: ${message.event}\n`;
  }
  if (message.id !== undefined) {
    if (LINE_BREAK.test(message.id) || message.id.includes("\0")) throw new Error("an SSE id cannot contain a line break or NUL");
    text += `id: ${message.id}\n`;
  }
  // JSON.stringify escapes line breaks inside strings, so the payload is always one `data:` line.
  if (message.data !== undefined) text += `data: ${JSON.stringify(message.data)}\n`;
  return `${text}\n`;
}

/** The id the browser last saw: the `Last-Event-ID` header, or `?lastEventId=` when the page reconnects by itself. */
export function lastEventId(request: Request): string | null {
  const header = request.headers.get("last-event-id");
  if (header) return header;
  return new URL(request.url).searchParams.get("lastEventId");
}
