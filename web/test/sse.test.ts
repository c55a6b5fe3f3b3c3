import { describe, expect, test } from "bun:test";
import { lastEventId, sseMessage } from "../src/server/sse.ts";

describe("Server-Sent Events framing", () => {
  test("a message is its fields, one per line, closed by a blank line", () => {
    expect(sseMessage({ event: "snapshot", id: "3.abc", data: { total: 3 } })).toBe('event: snapshot\nid: 3.abc\ndata: {"total":3}\n\n');
  });

  test("data with line breaks stays on one data line", () => {
    const text = sseMessage({ data: { name: "line\nbreak\r\n" } });
    expect(text.split("\n").filter(Boolean)).toEqual(['data: {"name":"line\\nbreak\\r\\n"}']);
  });

  test("retry and comments are framed too", () => {
    expect(sseMessage({ retry: 1000, comment: "hello\nthere" })).toBe(": hello there\nretry: 1000\n\n");
  });

  test("an id or event name that would break the framing is refused", () => {
    expect(() => sseMessage({ id: "a\nb" })).toThrow();
    expect(() => sseMessage({ event: "a\rb" })).toThrow();
  });

  test("the last event id comes from the header, or from the query when the page reconnects itself", () => {
    expect(lastEventId(new Request("http://x/api/stream", { headers: { "last-event-id": "7.a" } }))).toBe("7.a");
    expect(lastEventId(new Request("http://x/api/stream?lastEventId=8.b"))).toBe("8.b");
    expect(lastEventId(new Request("http://x/api/stream"))).toBeNull();
  });
});
