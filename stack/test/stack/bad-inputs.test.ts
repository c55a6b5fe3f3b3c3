/** The bad-input corpus through both routes and both path spellings: clear 4xx, nothing reaches Kafka. */
import { beforeAll, describe, expect, test } from "bun:test";
import { BAD_INPUTS, sendBadInput, topicEndOffset, urls } from "@marimba/testkit";

const paths = [`${urls.http}/http/votes`, `${urls.http}/rust/send_data`, `${urls.grpc}/grpc/votes`, `${urls.grpc}/grpc/insert`];

describe("bad input is refused with the status of the wire contract and a JSON error naming the problem", () => {
  let offsetBefore = 0;
  beforeAll(async () => {
    offsetBefore = await topicEndOffset();
  });

  test("the corpus holds at least 50 cases", () => {
    expect(BAD_INPUTS.length).toBeGreaterThanOrEqual(50);
  });

  for (const input of BAD_INPUTS) {
    test(`${input.case} → ${input.status}, the same on every route and path`, async () => {
      const answers = await Promise.all(paths.map((url) => sendBadInput(url, input)));
      for (const [i, answer] of answers.entries()) {
        const where = paths[i];
        expect({ where, status: answer.status }).toEqual({ where, status: input.status });
        expect(answer.headers.get("content-type")).toBe("application/json");
        const body = answer.body as { error: string; details: unknown };
        if (input.error instanceof RegExp) expect(body.error).toMatch(input.error);
        else expect(body.error).toBe(input.error);
        expect(body.details).toEqual(input.details);
        expect(JSON.stringify(body)).not.toMatch(/\bat \S+\.(ts|js):\d+|node_modules/); // no stack trace
      }
    });
  }

  // Declared last, so it runs after every case.
  test("afterwards not one refused vote is in Kafka, and both edges are still ready", async () => {
    expect(await topicEndOffset()).toBe(offsetBefore);
    for (const base of [urls.http, urls.grpc]) expect((await fetch(`${base}/readyz`)).status).toBe(200);
  });
});
