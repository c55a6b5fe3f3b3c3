/**
 * Serves a fetch-style handler over `node:http`, for the servers clients reach directly (the edges,
 * the dashboard, the local ingress). Bun.serve closes a connection on which an HTTP/1.1 request
 * arrives while an earlier one is still being answered (oven-sh/bun#38128), so a vote already on
 * its way to Kafka would lose its answer; `node:http` queues the later request and answers both in
 * order. It costs more CPU per request than Bun.serve (BENCHMARKS.md, "Serving over node:http").
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { MAX_BODY_BYTES } from "./http.ts";

export type FetchHandler = (request: Request, clientAddress: string | undefined) => Response | Promise<Response>;

export interface ServeOptions {
  hostname: string;
  /** 0 picks a free port. */
  port: number;
  /** Seconds a connection may stay silent, in a request or between two, before it is closed. */
  idleTimeoutSeconds?: number;
  /** Bodies declared up to this size are read whole before the handler runs; others stream to it. */
  maxBufferedBodyBytes?: number;
}

export interface HttpServer {
  port: number;
  /** Stops listening; with `force`, cuts open connections, else lets their requests finish. */
  stop(force?: boolean): Promise<void>;
}

/** Bun.serve's default: a connection silent this long is closed. */
const DEFAULT_IDLE_TIMEOUT_SECONDS = 10;

const NO_BODY = new Set(["GET", "HEAD", "OPTIONS"]);

/** The request body as the handler reads it: buffered when small and framed, else a stream. */
function requestBody(req: IncomingMessage, maxBuffered: number): Promise<Buffer | ReadableStream<Uint8Array> | null> {
  if (NO_BODY.has(req.method ?? "GET") && req.headers["content-length"] === undefined && !req.headers["transfer-encoding"]) {
    return Promise.resolve(null);
  }
  const declared = req.headers["content-length"];
  if (declared !== undefined && Number(declared) <= maxBuffered) {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.once("end", () => resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks)));
      req.once("error", reject);
    });
  }
  // Chunked, or declared past the limit: the handler decides how much to read; whatever it
  // leaves unread is never read at all (the connection is closed after its answer).
  return Promise.resolve(
    new ReadableStream<Uint8Array>(
      {
        start(controller) {
          req.on("data", (chunk: Buffer) => {
            controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
            if ((controller.desiredSize ?? 0) <= 0) req.pause();
          });
          req.once("end", () => controller.close());
          req.once("error", (error) => controller.error(error));
        },
        pull() {
          req.resume();
        },
        cancel() {
          req.pause();
        },
      },
      { highWaterMark: 64 * 1024, size: (chunk) => chunk?.byteLength ?? 0 },
    ),
  );
}

function responseHeaders(response: Response, closing: boolean): Record<string, string> {
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    headers[name] = value;
  });
  if (closing) headers.connection = "close";
  return headers;
}

/** Writes a streamed body (an event stream) chunk by chunk, waiting for the socket to drain. */
async function pipeBody(body: ReadableStream<Uint8Array>, res: ServerResponse): Promise<void> {
  const reader = body.getReader();
  const gone = new Promise<void>((resolve) => res.once("close", resolve));
  let open = true;
  void gone.then(() => {
    open = false;
    reader.cancel().catch(() => {});
  });
  while (open) {
    const { done, value } = await reader.read().catch(() => ({ done: true, value: undefined }));
    if (done || !open) break;
    if (!res.write(value)) await Promise.race([new Promise((resolve) => res.once("drain", resolve)), gone]);
  }
  res.end();
}

interface Settings extends Required<ServeOptions> {
  origin: string;
}

async function answer(handler: FetchHandler, req: IncomingMessage, res: ServerResponse, options: Settings): Promise<void> {
  const aborted = new AbortController();
  res.once("close", () => {
    if (!res.writableFinished) aborted.abort();
  });
  let response: Response;
  try {
    const body = await requestBody(req, options.maxBufferedBodyBytes);
    // The server's own origin, not the Host header: Elysia finds the path at a fixed offset
    // past the scheme, which a one-letter host defeats. The Host header stays among the headers.
    const request = new Request(`${options.origin}${req.url ?? "/"}`, {
      method: req.method,
      headers: req.headers as Record<string, string>,
      body: body as BodyInit | null,
      signal: aborted.signal,
    });
    response = await handler(request, req.socket.remoteAddress);
  } catch (error) {
    const bad = error instanceof TypeError && /url/i.test(error.message);
    response = Response.json(
      { error: bad ? "the request target is not a valid URL" : "internal error", details: [] },
      { status: bad ? 400 : 500 },
    );
  }
  // A body left unread cannot be skipped on a kept-alive connection: the answer closes it.
  const closing = !req.complete;
  if (closing) res.once("finish", () => req.socket.destroy());
  const headers = responseHeaders(response, closing);
  if (response.body !== null && req.method !== "HEAD" && response.headers.get("content-type")?.startsWith("text/event-stream")) {
    req.socket.setTimeout(0); // a live stream stays open however long its events take
    res.writeHead(response.status, response.statusText, headers);
    await pipeBody(response.body, res);
    return;
  }
  const bytes = response.body === null || req.method === "HEAD" ? null : await response.bytes();
  if (bytes === null) await response.body?.cancel().catch(() => {});
  else headers["content-length"] = String(bytes.byteLength);
  res.writeHead(response.status, response.statusText, headers);
  res.end(bytes ?? undefined);
}

/** Serves the handler on hostname:port; resolves once it listens. */
export function serveHttp(handler: FetchHandler, options: ServeOptions): Promise<HttpServer> {
  const settings: Settings = {
    idleTimeoutSeconds: DEFAULT_IDLE_TIMEOUT_SECONDS,
    maxBufferedBodyBytes: MAX_BODY_BYTES,
    origin: "",
    ...options,
  };
  const active = new Map<Socket, number>();
  let stopping = false;
  const server = createServer((req, res) => {
    const socket = req.socket;
    active.set(socket, (active.get(socket) ?? 0) + 1);
    res.once("close", () => {
      const left = (active.get(socket) ?? 1) - 1;
      active.set(socket, left);
      if (stopping && left === 0) socket.destroy();
    });
    void answer(handler, req, res, settings).catch(() => res.destroy());
  });
  const idleMs = settings.idleTimeoutSeconds * 1000;
  server.keepAliveTimeout = idleMs;
  server.headersTimeout = idleMs;
  server.requestTimeout = 0;
  server.setTimeout(idleMs);
  server.on("connection", (socket: Socket) => {
    active.set(socket, 0);
    socket.once("close", () => active.delete(socket));
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(settings.port, settings.hostname, () => {
      server.off("error", reject);
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : settings.port;
      settings.port = port;
      settings.origin = `http://${settings.hostname.includes(":") ? `[${settings.hostname}]` : settings.hostname}:${port}`;
      resolve({
        port,
        stop: (force = false) =>
          new Promise<void>((done) => {
            stopping = true;
            server.close(() => done());
            for (const [socket, requests] of active) if (force || requests === 0) socket.destroy();
          }),
      });
    });
  });
}
