/** The shared bad-input table through the gRPC route: same codes and messages as the HTTP route, and nothing reaches Kafka. */
import { beforeAll, describe, expect, test } from "bun:test";
import { BAD_INPUTS, sendBadInput } from "../../stack/src/bad-inputs.ts";
import { topicEndOffset, urls } from "../../stack/src/testkit.ts";

describe("bad input through the gRPC route", () => {
  let offsetBefore = 0;
  beforeAll(async () => {
    offsetBefore = await topicEndOffset();
  });

  for (const path of ["/grpc/votes", "/grpc/insert"]) {
    for (const input of BAD_INPUTS) {
      test(`POST ${path} with ${input.case} is answered ${input.status} with the HTTP route's message`, async () => {
        const answer = await sendBadInput(`${urls.grpc}${path}`, input);
        expect(answer.status).toBe(input.status);
        expect(answer.headers.get("content-type")).toBe("application/json");
        const body = answer.body as { error: string; details: unknown };
        if (input.error instanceof RegExp) expect(body.error).toMatch(input.error);
        else expect(body.error).toBe(input.error);
        expect(body.details).toEqual(input.details);
      });
    }
  }

  test("every case gets exactly the answer the HTTP route gives", async () => {
    for (const input of BAD_INPUTS) {
      const [grpc, http] = await Promise.all([
        sendBadInput(`${urls.grpc}/grpc/insert`, input),
        sendBadInput(`${urls.http}/rust/send_data`, input),
      ]);
      expect({ case: input.case, status: grpc.status, body: grpc.body }).toEqual({
        case: input.case,
        status: http.status,
        body: http.body,
      });
    }
  });

  // Declared last, so it runs after every case above.
  test("none of the refused requests wrote anything to the votes topic", async () => {
    expect(await topicEndOffset()).toBe(offsetBefore);
  });
});
