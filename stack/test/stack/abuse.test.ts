/**
 * Abuse that only shows across a real socket: pipelined HTTP/1.1 requests and endless chunked
 * bodies, against both edges, the local ingress, the HTTP route's internal hop and the dashboard.
 * The promise checked: every pipelined request is answered in order, a vote is in Kafka exactly
 * when its client was answered 202, and memory stays bounded.
 */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { connect } from "node:net";
import { ports, runningPid, topicEndOffset, uniqueVote, urls } from "@marimba/testkit";

interface Raw {
  /** The status line of every response, in order. */
  statuses: number[];
  closed: boolean;
}

/**
 * Writes each text on a fresh connection (`gapMs` apart) and collects the answers until there is
 * one per request, or the connection closes, or it stays quiet for `quietMs`.
 */
function exchange(port: number, texts: string[], gapMs: number, quietMs = 10_000): Promise<Raw> {
  return new Promise((resolve) => {
    let received = "";
    let timer: ReturnType<typeof setTimeout>;
    const socket = connect(port, "127.0.0.1", async () => {
      if (gapMs === 0) return socket.write(texts.join(""));
      for (const [i, text] of texts.entries()) {
        if (i > 0) await Bun.sleep(gapMs);
        socket.write(text);
      }
    });
    // Answers follow each other with no line break between a body and the next status line.
    const statuses = () => [...received.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((match) => Number(match[1]));
    const finish = (closed: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ statuses: statuses(), closed });
    };
    const quiet = () => {
      clearTimeout(timer);
      timer = setTimeout(() => finish(false), quietMs);
    };
    socket.on("data", (chunk) => {
      received += chunk.toString("latin1");
      // The last answer is whole once its body has arrived: JSON bodies end with a brace.
      if (statuses().length === texts.length && received.endsWith("}")) finish(false);
      else quiet();
    });
    socket.on("close", () => finish(true));
    socket.on("error", () => finish(true));
    quiet();
  });
}

function post(path: string, body: string): string {
  return `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

function acceptedVoteBody(): string {
  return JSON.stringify([{ id: Bun.randomUUIDv7(), ...uniqueVote(), route: "http", acceptedAt: new Date().toISOString() }]);
}

/** Where clients connect: served over node:http, which answers pipelined requests in order. */
const targets = [
  { name: "the HTTP edge", port: ports.httpClient, path: "/http/votes", body: () => JSON.stringify(uniqueVote()) },
  { name: "the gRPC edge", port: ports.grpcClient, path: "/grpc/votes", body: () => JSON.stringify(uniqueVote()) },
  { name: "the ingress (HTTP route)", port: ports.ingress, path: "/rust/send_data", body: () => JSON.stringify(uniqueVote()) },
  { name: "the ingress (gRPC route)", port: ports.ingress, path: "/grpc/insert", body: () => JSON.stringify(uniqueVote()) },
];

describe("pipelined HTTP/1.1 requests are answered in order, and every vote answered 202 is kept", () => {
  for (const target of targets) {
    for (const [count, gapMs] of [
      [2, 0],
      [3, 0],
      [50, 0],
      [3, 5],
    ] as const) {
      const how = gapMs === 0 ? "in one write" : `${gapMs} ms apart, each behind one still being answered`;
      test(`${count} votes pipelined ${how} to ${target.name}: ${count} answers of 202, ${count} votes in Kafka`, async () => {
        const before = await topicEndOffset();
        const answer = await exchange(
          target.port,
          Array.from({ length: count }, () => post(target.path, target.body())),
          gapMs,
        );
        await Bun.sleep(300); // a vote sent on after the connection closed would be in Kafka by now
        const kept = (await topicEndOffset()) - before;
        expect({ statuses: answer.statuses, kept }).toEqual({ statuses: Array(count).fill(202), kept: count });
        expect(answer.closed).toBe(false);
      });
    }
  }

  // The internal hop stays on Bun.serve (only the edge calls it, and fetch never pipelines): a
  // pipelined write is refused there before any of its votes is kept.
  for (const count of [2, 3, 50]) {
    test(`${count} votes pipelined in one write to the HTTP route's hop: exactly the votes answered 202 reach Kafka`, async () => {
      const before = await topicEndOffset();
      const answer = await exchange(
        ports.httpServer,
        Array.from({ length: count }, () => post("/data", acceptedVoteBody())),
        0,
      );
      await Bun.sleep(300); // a vote sent on after the connection closed would be in Kafka by now
      const kept = (await topicEndOffset()) - before;
      const accepted = answer.statuses.filter((status) => status === 202).length;
      expect({ kept, accepted }).toEqual({ kept: accepted, accepted });
      expect(answer.statuses.length === count || answer.closed).toBe(true);
    });
  }

  test("GETs pipelined to the dashboard are all answered, in order", async () => {
    const get = (path: string) => `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`;
    const answer = await exchange(ports.web, [get("/healthz"), get("/api/tally"), get("/api/status"), get("/healthz")], 0);
    expect(answer.statuses).toEqual([200, 200, 200, 200]);
  });
});

/** Resident memory of a stack process, in MB. */
function rssMb(name: string): number {
  const pid = runningPid(name);
  if (pid === null) throw new Error(`${name} is not running`);
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

/** A chunked upload that would be `mb` MB if the server read it all; returns the answer and how much was sent. */
async function chunkedUpload(url: string, mb: number): Promise<{ status: number; sentMb: number }> {
  const chunk = new Uint8Array(64 * 1024).fill(0x20);
  let sent = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= mb * 1024 * 1024) return controller.close();
      sent += chunk.length;
      controller.enqueue(chunk);
    },
  });
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
      signal: AbortSignal.timeout(30_000),
    });
    await response.body?.cancel();
    return { status: response.status, sentMb: sent / 1024 / 1024 };
  } catch {
    return { status: 0, sentMb: sent / 1024 / 1024 };
  }
}

describe("chunked bodies past the limit are refused as they stream in, not buffered", () => {
  for (const [name, url] of [
    ["producer-http-client", `${urls.http}/http/votes`],
    ["producer-grpc-client", `${urls.grpc}/grpc/votes`],
  ] as const) {
    test(`8 parallel chunked uploads of 120 MB to ${name}: each answered 413 after about 1 MiB; its memory stays bounded`, async () => {
      const before = rssMb(name);
      let peak = before;
      const sampler = setInterval(() => {
        peak = Math.max(peak, rssMb(name));
      }, 20);
      const answers = await Promise.all(Array.from({ length: 8 }, () => chunkedUpload(url, 120)));
      clearInterval(sampler);
      peak = Math.max(peak, rssMb(name));
      console.log(`  ${name}: RSS ${before.toFixed(0)} MB before, ${peak.toFixed(0)} MB at the peak of 8 × 120 MB chunked uploads`);
      for (const answer of answers) {
        expect(answer.status).toBe(413);
        expect(answer.sentMb).toBeLessThan(16); // what the sockets' buffers held when the answer came, not 120 MB
      }
      // Buffering them whole took an edge from ~80 MB to over 1 GB (issue 12); bounded reading adds a few MB.
      expect(peak - before).toBeLessThan(128);
    }, 60_000);
  }
});
