/** The gRPC server in process, on a loopback port, with a recording publisher in place of Kafka. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Client, credentials, loadPackageDefinition, type Metadata, ServerCredentials, type ServiceError, status } from "@grpc/grpc-js";
import { acceptVote, createLogger, createRegistry, MAX_HOP_BODY_BYTES, parseVoteBody, type Vote } from "@marimba/shared";
import { asVoteMessage, BAD_INPUTS, RecordingPublisher } from "@marimba/testkit";
import { toMessage } from "../src/client/upstream.ts";
import { loadContract, MAX_BATCH_MESSAGE_BYTES, type VoteMessage, type VoteServiceProto } from "../src/contract.ts";
import { createVoteServer } from "../src/server/app.ts";
import { KafkaHealth } from "../src/server/health.ts";

const log = createLogger("test");
log.level = "silent";

const publisher = new RecordingPublisher();
const server = createVoteServer({
  publisher,
  health: new KafkaHealth(async () => true),
  registry: createRegistry("test"),
  logger: log,
  streamDeadlineMs: 300,
});
let client: Client;

beforeAll(async () => {
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  client = new Client(`127.0.0.1:${port}`, credentials.createInsecure());
});
afterAll(() => {
  client.close();
  server.forceShutdown();
});

type Outcome = { error: ServiceError | null; trailers?: Metadata };
const deadline = () => ({ deadline: Date.now() + 5000 });

/** A unary call with raw bytes: what a caller that is not protobuf-speaking sends. */
function rawUnary(method: string, bytes: Buffer): Promise<Outcome> {
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      `/marimba.v1.VoteService/${method}`,
      (value: Buffer) => value,
      (value: Buffer) => value,
      bytes,
      deadline(),
      (error) => resolve({ error }),
    );
  });
}

/** A CastStream of raw messages; `end` false leaves it open. */
function rawStream(messages: Buffer[], end = true): Promise<Outcome> {
  return new Promise((resolve) => {
    const call = client.makeClientStreamRequest(
      "/marimba.v1.VoteService/CastStream",
      (value: Buffer) => value,
      (value: Buffer) => value,
      { deadline: Date.now() + 5000 },
      (error) => resolve({ error }),
    );
    for (const message of messages) call.write(message);
    if (end) call.end();
  });
}

/** Protobuf bytes of a Vote with the given string fields (field numbers from votes.proto). */
function voteBytes(vote: Partial<Record<"id" | "name" | "album" | "year" | "rank", string>>): Buffer {
  const numbers = { id: 1, name: 2, album: 3, year: 4, rank: 5 } as const;
  const parts: Buffer[] = [];
  for (const [field, value] of Object.entries(vote)) {
    const bytes = Buffer.from(value, "utf8");
    parts.push(Buffer.from([(numbers[field as keyof typeof numbers] << 3) | 2]), varint(bytes.length), bytes);
  }
  return Buffer.concat(parts);
}

function varint(value: number): Buffer {
  const bytes: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    bytes.push((rest & 0x7f) | 0x80);
    rest >>>= 7;
  }
  bytes.push(rest);
  return Buffer.from(bytes);
}

const good = { name: "Alux Nahual", album: "Alux Nahual", year: "1980", rank: "1" };
const MALFORMED = [
  // Field 15 (unknown to both messages), so the decoder must skip it: 64 bytes announced, 1 sent.
  ["a truncated field", Buffer.from([0x7a, 0x40, 0x41])],
  ["an invalid wire type", Buffer.from([0x7f, 0x01])],
  ["a varint that never ends", Buffer.alloc(12, 0xff)],
] as const;

describe("VoteService refuses what it cannot read as the caller's fault", () => {
  for (const [what, bytes] of MALFORMED) {
    for (const method of ["Cast", "CastBatch"]) {
      test(`${method} with ${what} is INVALID_ARGUMENT naming the message, and nothing is published`, async () => {
        const before = publisher.batches.length;
        const { error } = await rawUnary(method, bytes);
        expect(error?.code).toBe(status.INVALID_ARGUMENT);
        expect(error?.details).toMatch(/^the message is not a valid protobuf Votes? \(.+\)$/);
        expect(publisher.batches.length).toBe(before);
      });
    }
  }

  test("a CastStream with a malformed second message is INVALID_ARGUMENT, and none of it is published", async () => {
    const before = publisher.batches.length;
    const { error } = await rawStream([voteBytes(good), MALFORMED[0][1], voteBytes(good)]);
    expect(error?.code).toBe(status.INVALID_ARGUMENT);
    expect(publisher.batches.length).toBe(before);
  });

  test("a well-formed vote still goes through", async () => {
    const { error } = await rawUnary("Cast", voteBytes(good));
    expect(error).toBeNull();
    expect(publisher.batches.at(-1)?.[0]).toMatchObject({ ...good, route: "grpc" });
  });
});

describe("client streams are bounded", () => {
  test("a stream that never half-closes is answered DEADLINE_EXCEEDED at the server's stream deadline; nothing is published", async () => {
    const before = publisher.batches.length;
    const started = performance.now();
    const { error } = await rawStream([voteBytes(good)], false);
    expect(error?.code).toBe(status.DEADLINE_EXCEEDED);
    expect(error?.details).toContain("half-close");
    expect(performance.now() - started).toBeLessThan(4000); // the caller's own deadline is 5 s
    expect(publisher.batches.length).toBe(before);
  });

  test("a stream of 501 votes is refused at the 501st, and nothing is published", async () => {
    const before = publisher.batches.length;
    const { error } = await rawStream(Array.from({ length: 501 }, () => voteBytes(good)));
    expect(error?.code).toBe(status.INVALID_ARGUMENT);
    expect(error?.details).toContain("at most 500");
    expect(publisher.batches.length).toBe(before);
  });
});

describe("the hop re-checks the edge's rules", () => {
  // Every corpus case protobuf can carry (four optional strings): the server names the same problems as the edge.
  for (const input of BAD_INPUTS) {
    const message = asVoteMessage(input);
    if (!message) continue;
    test(`${input.case}: Cast is INVALID_ARGUMENT with the edge's field problems, and nothing is published`, async () => {
      const before = publisher.batches.length;
      const { error } = await rawUnary("Cast", voteBytes(message));
      expect(error?.code).toBe(status.INVALID_ARGUMENT);
      const problems = JSON.parse(String(error?.metadata.get("marimba-field-problems-bin")[0] ?? "[]"));
      expect(problems).toEqual(input.details);
      expect(publisher.batches.length).toBe(before);
    });
  }

  test("a batch with one vote the edge would refuse is refused whole, naming it", async () => {
    const before = publisher.batches.length;
    const vote = (overrides: Partial<VoteMessage>) =>
      toMessage({ id: Bun.randomUUIDv7(), ...good, route: "grpc", acceptedAt: new Date().toISOString(), ...overrides } as Vote);
    const outcome = await new Promise<ServiceError | null>((resolve) => {
      // Votes message: field 1, repeated Vote.
      const body = Buffer.concat(
        [vote({}), vote({ name: "\u202eEvil\u0000band" }), vote({ id: "00000000-0000-4000-8000-000000000000" })].map((message) => {
          const bytes = voteBytes({
            id: String(message.id),
            name: String(message.name),
            album: String(message.album),
            year: String(message.year),
            rank: String(message.rank),
          });
          return Buffer.concat([Buffer.from([0x0a]), varint(bytes.length), bytes]);
        }),
      );
      client.makeUnaryRequest(
        "/marimba.v1.VoteService/CastBatch",
        (value: Buffer) => value,
        (value: Buffer) => value,
        body,
        deadline(),
        (error) => resolve(error),
      );
    });
    expect(outcome?.code).toBe(status.INVALID_ARGUMENT);
    expect(outcome?.details).toContain("[1].name must not contain control characters or broken Unicode");
    expect(outcome?.details).toContain("[2].id must be a UUID");
    expect(publisher.batches.length).toBe(before);
  });
});

describe("the largest valid votes fit every hop", () => {
  // 120 characters of a 3-byte letter under five 3-byte combining marks: 720 code units, 2,160 UTF-8 bytes.
  const longest = "\u20ac\u20d0\u20d1\u20d2\u20d3\u20d4".repeat(120);
  const votes = Array.from({ length: 500 }, () =>
    acceptVote({ name: longest, album: longest, year: "1999", rank: "999" }, "grpc", new Date(), Bun.randomUUIDv7()),
  );

  test("such a vote is valid, and one code unit more is not", () => {
    expect(parseVoteBody({ name: longest, album: longest, year: "1999", rank: "999" }).ok).toBe(true);
    expect(parseVoteBody({ name: `${longest}\u20d0`, album: "a", year: "1999", rank: "1" }).ok).toBe(false);
  });

  test("500 of them are one CastBatch under the message limit, and one /data body under the hop's limit", () => {
    const proto = loadPackageDefinition(loadContract()) as unknown as { marimba: { v1: VoteServiceProto } };
    const encoded = proto.marimba.v1.VoteService.service.CastBatch.requestSerialize({ votes: votes.map(toMessage) });
    expect(encoded.length).toBeLessThan(MAX_BATCH_MESSAGE_BYTES);
    expect(Buffer.byteLength(JSON.stringify(votes))).toBeLessThan(MAX_HOP_BODY_BYTES);
  });
});
