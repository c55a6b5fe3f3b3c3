/**
 * Abuse that only shows across a real socket: pipelined HTTP/1.1 requests and endless chunked
 * bodies, against both edges, the local ingress and the HTTP route's internal hop. The promise
 * checked: a vote is in Kafka only if its client was answered 202, and memory stays bounded.
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

/** Writes the text in one write on a fresh connection and collects the answers until it closes or goes quiet. */
function exchange(port: number, text: string, quietMs = 1500): Promise<Raw> {
  return new Promise((resolve) => {
    let received = "";
    let timer: ReturnType<typeof setTimeout>;
    const socket = connect(port, "127.0.0.1", () => socket.write(text));
    const finish = (closed: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ statuses: [...received.matchAll(/^HTTP\/1\.1 (\d{3})/gm)].map((match) => Number(match[1])), closed });
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
    quiet();
  });
}

function post(path: string, body: string): string {
  return `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

function acceptedVoteBody(): string {
  return JSON.stringify([{ id: Bun.randomUUIDv7(), ...uniqueVote(), route: "http", acceptedAt: new Date().toISOString() }]);
}

const targets = [
  { name: "the HTTP edge", port: ports.httpClient, path: "/http/votes", body: () => JSON.stringify(uniqueVote()) },
  { name: "the gRPC edge", port: ports.grpcClient, path: "/grpc/votes", body: () => JSON.stringify(uniqueVote()) },
  { name: "the ingress (HTTP route)", port: ports.ingress, path: "/rust/send_data", body: () => JSON.stringify(uniqueVote()) },
  { name: "the ingress (gRPC route)", port: ports.ingress, path: "/grpc/insert", body: () => JSON.stringify(uniqueVote()) },
  { name: "the HTTP route's hop", port: ports.httpServer, path: "/data", body: acceptedVoteBody },
];

describe("pipelined HTTP/1.1 requests: answered in order, or refused before any vote is kept", () => {
  for (const target of targets) {
    for (const count of [2, 3, 50]) {
      test(`${count} votes pipelined in one write to ${target.name}: exactly the votes answered 202 reach Kafka`, async () => {
        const before = await topicEndOffset();
        const text = Array.from({ length: count }, () => post(target.path, target.body())).join("");
        const answer = await exchange(target.port, text);
        await Bun.sleep(300); // a vote sent on after the connection closed would be in Kafka by now
        const kept = (await topicEndOffset()) - before;
        const accepted = answer.statuses.filter((status) => status === 202).length;
        expect({ kept, accepted }).toEqual({ kept: accepted, accepted });
        // Whatever was answered came in order and whole: never a 202 after a refusal of the same batch.
        expect(answer.statuses.length === count || answer.closed).toBe(true);
      });
    }
  }
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
