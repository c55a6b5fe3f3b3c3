/** serveHttp over a loopback socket: what Bun.serve gets wrong (pipelining) and what the glue must keep. */
import { afterEach, describe, expect, test } from "bun:test";
import { connect } from "node:net";
import { type FetchHandler, type HttpServer, serveHttp, sleep } from "../src/index.ts";

let server: HttpServer | undefined;

afterEach(async () => {
  await server?.stop(true);
  server = undefined;
});

async function serve(handler: FetchHandler, maxBufferedBodyBytes?: number): Promise<number> {
  server = await serveHttp(handler, { hostname: "127.0.0.1", port: 0, ...(maxBufferedBodyBytes ? { maxBufferedBodyBytes } : {}) });
  return server.port;
}

/** Writes each text on one connection (waiting `gapMs` between them) and reads until it closes or goes quiet. */
function exchange(port: number, texts: string[], gapMs = 0, quietMs = 500): Promise<{ received: string; closed: boolean }> {
  return new Promise((resolve) => {
    let received = "";
    let timer: ReturnType<typeof setTimeout> | undefined;
    const socket = connect(port, "127.0.0.1", async () => {
      for (const [i, text] of texts.entries()) {
        if (i > 0 && gapMs > 0) await sleep(gapMs);
        socket.write(text);
      }
    });
    const finish = (closed: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ received, closed });
    };
    const quiet = () => {
      clearTimeout(timer);
      timer = setTimeout(() => finish(false), quietMs);
    };
    socket.on("data", (chunk) => {
      received += chunk.toString("latin1");
      quiet();
    });
    socket.on("close", () => finish(true));
    socket.on("error", () => finish(true));
  });
}

const statuses = (received: string) => [...received.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((match) => Number(match[1]));

function post(path: string, body: string, host = "127.0.0.1"): string {
  return `POST ${path} HTTP/1.1\r\nHost: ${host}\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

/** Answers each body back after `delayMs`, so later requests arrive while earlier ones are still being answered. */
const echo =
  (delayMs: number): FetchHandler =>
  async (request) => {
    const text = await request.text();
    await sleep(delayMs);
    return new Response(`echo:${text};`, { status: 201 });
  };

describe("serveHttp", () => {
  test("50 requests pipelined in one write are all answered, in order", async () => {
    const port = await serve(echo(1));
    const bodies = Array.from({ length: 50 }, (_, i) => `vote-${i}`);
    const { received } = await exchange(port, [bodies.map((body) => post("/v", body)).join("")]);
    expect(statuses(received)).toEqual(bodies.map(() => 201));
    expect([...received.matchAll(/echo:([^;]*);/g)].map((match) => match[1])).toEqual(bodies);
  });

  test("a request pipelined while the one before it is still being answered waits its turn", async () => {
    const port = await serve(async (request) => {
      const text = await request.text();
      await sleep(text === "first" ? 200 : 0); // the second arrives well before the first is answered
      return new Response(`echo:${text};`, { status: 201 });
    });
    const { received, closed } = await exchange(port, [post("/v", "first"), post("/v", "second"), post("/v", "third")], 20);
    expect(closed).toBe(false);
    expect([...received.matchAll(/echo:([^;]*);/g)].map((match) => match[1])).toEqual(["first", "second", "third"]);
  });

  test("the handler sees the path on the server's own origin, and the Host header as sent", async () => {
    let seen: { url: string; host: string | null } | undefined;
    const port = await serve((request) => {
      seen = { url: request.url, host: request.headers.get("host") };
      return new Response("ok");
    });
    const { received } = await exchange(port, [post("/http/votes?x=1", "{}", "x")]);
    expect(statuses(received)).toEqual([200]);
    expect(seen).toEqual({ url: `http://127.0.0.1:${port}/http/votes?x=1`, host: "x" });
  });

  test("a chunked body the handler does not read is answered, then the connection is closed", async () => {
    let reached = false;
    const port = await serve(() => new Response("too big", { status: 413 }));
    const head = "POST /v HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
    const chunk = `${(64 * 1024).toString(16)}\r\n${" ".repeat(64 * 1024)}\r\n`;
    const { received, closed } = await exchange(port, [head, chunk, chunk, post("/after", "never")], 10, 1000);
    reached = received.includes("never");
    expect(statuses(received)).toEqual([413]);
    expect(received.toLowerCase()).toContain("connection: close");
    expect(closed).toBe(true);
    expect(reached).toBe(false);
  });

  test("a body declared past the buffered size streams to the handler, which reads only what it needs", async () => {
    let first = 0;
    const port = await serve(async (request) => {
      const reader = (request.body as ReadableStream<Uint8Array>).getReader();
      first = (await reader.read()).value?.byteLength ?? 0;
      await reader.cancel();
      return new Response("too big", { status: 413 });
    }, 1024);
    const head = `POST /v HTTP/1.1\r\nHost: a\r\nContent-Length: ${10 * 1024 * 1024}\r\n\r\n`;
    const { received, closed } = await exchange(port, [head, "x".repeat(8 * 1024)], 10, 1000);
    expect(statuses(received)).toEqual([413]);
    expect(first).toBeGreaterThan(0);
    expect(closed).toBe(true);
  });

  test("a client that closes its connection aborts the request's signal", async () => {
    let resolveAborted: (aborted: boolean) => void = () => {};
    const aborted = new Promise<boolean>((resolve) => {
      resolveAborted = resolve;
    });
    const port = await serve(async (request) => {
      await Promise.race([new Promise((resolve) => request.signal.addEventListener("abort", resolve)), sleep(3000)]);
      resolveAborted(request.signal.aborted);
      return new Response("late");
    });
    const socket = connect(port, "127.0.0.1", () => socket.write(post("/v", "x")));
    await sleep(100);
    socket.destroy();
    expect(await aborted).toBe(true);
  });

  test("an event stream is sent as it is written, not when it ends", async () => {
    let close: () => void = () => {};
    const port = await serve(
      () =>
        new Response(
          new ReadableStream({
            start(controller) {
              controller.enqueue(new TextEncoder().encode("data: one\n\n"));
              close = () => controller.close();
            },
          }),
          { headers: { "content-type": "text/event-stream" } },
        ),
    );
    const response = await fetch(`http://127.0.0.1:${port}/stream`, { signal: AbortSignal.timeout(5000) });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe("data: one\n\n");
    close();
    expect((await reader.read()).done).toBe(true);
  });

  test("HEAD gets the status and headers without a body; a thrown error is a 500 naming nothing internal", async () => {
    const port = await serve((request) => {
      if (new URL(request.url).pathname === "/throw") throw new Error("secret detail");
      return new Response("hello", { headers: { "x-kind": "greeting" } });
    });
    const head = await fetch(`http://127.0.0.1:${port}/`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("x-kind")).toBe("greeting");
    expect(await head.text()).toBe("");
    const thrown = await fetch(`http://127.0.0.1:${port}/throw`);
    expect(thrown.status).toBe(500);
    expect(await thrown.text()).not.toContain("secret");
  });

  test("stop lets a request in flight finish, then stops listening", async () => {
    const port = await serve(echo(300));
    const answer = fetch(`http://127.0.0.1:${port}/v`, { method: "POST", body: "slow" }).then((response) => response.text());
    await sleep(100);
    const stopped = (server as HttpServer).stop();
    expect(await answer).toBe("echo:slow;");
    await stopped;
    server = undefined;
    expect(
      await fetch(`http://127.0.0.1:${port}/`).then(
        () => "answered",
        () => "refused",
      ),
    ).toBe("refused");
  });
});
