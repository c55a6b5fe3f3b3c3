/** The gRPC route while Kafka is away: health says so, the edge refuses promptly, and both recover when it returns. */
import { afterAll, describe, expect, test } from "bun:test";
import { status } from "@grpc/grpc-js";
import { kafkaComponent, post, readTallies, runningPid, startComponent, stopComponent, uniqueVote, urls, waitFor } from "@marimba/testkit";
import { REASON_TRAILER } from "../../src/contract.ts";
import { voteServerClient } from "../grpc-client.ts";

// `npm test` hands this process the stack's own KAFKA_BROKERS, which marks Kafka "external" here;
// a live pid file says this stack runs it, so the test may stop and start it.
const kafka = runningPid(kafkaComponent.name) !== null ? { ...kafkaComponent, external: undefined } : kafkaComponent;

const client = voteServerClient();
afterAll(async () => {
  client.close();
  // Never leave the stack without Kafka, whatever failed above.
  await startComponent(kafka);
});

describe.skipIf(Boolean(kafka.external))("with Kafka stopped", () => {
  test("the health service turns NOT_SERVING, the edge answers 503 within 10 s, a batch is UNAVAILABLE, and after Kafka restarts votes are accepted and counted again", async () => {
    expect(await client.healthStatus("marimba.v1.VoteService")).toBe("SERVING");

    await stopComponent(kafka);
    await waitFor(
      "the health service to say NOT_SERVING",
      async () => (await client.healthStatus("marimba.v1.VoteService")) === "NOT_SERVING",
      15_000,
    );
    expect(await client.healthStatus("")).toBe("NOT_SERVING");
    expect((await fetch(`${urls.grpc}/readyz`)).status).toBe(503);

    const refusedVote = uniqueVote();
    const startedAt = performance.now();
    const refused = await post(`${urls.grpc}/grpc/insert`, refusedVote);
    const seconds = (performance.now() - startedAt) / 1000;
    console.log(`with Kafka down the edge answered ${refused.status} in ${seconds.toFixed(2)} s`);
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("1");
    expect(refused.body.error).toBeString();
    expect(seconds).toBeLessThan(10);

    // A batch straight to the server is refused as a whole, with the reason the edge turns into 503.
    const refusedBatch = [uniqueVote(), uniqueVote()];
    const batch = await client.castBatch(refusedBatch);
    expect(!batch.ok && batch.error.code).toBe(status.UNAVAILABLE);
    expect(!batch.ok && batch.error.metadata.get(REASON_TRAILER)).toEqual(["unavailable"]);

    await startComponent(kafka);
    await waitFor(
      "the health service to say SERVING",
      async () => (await client.healthStatus("marimba.v1.VoteService")) === "SERVING",
      30_000,
    );

    // The first votes after a restart may meet a broker still electing leaders: retry as a client would.
    let acceptedBand = "";
    await waitFor(
      "a vote to be accepted",
      async () => {
        const vote = uniqueVote();
        const answer = await post(`${urls.grpc}/grpc/insert`, vote);
        if (answer.status === 202) acceptedBand = vote.name;
        return answer.status === 202;
      },
      30_000,
      500,
    );
    // The consumer rejoins its group once Kafka drops its old session, so counting may lag acceptance.
    const acceptedAt = performance.now();
    await waitFor("the accepted vote to be counted", async () => ((await readTallies()).band[acceptedBand] ?? 0) >= 1, 90_000);
    console.log(`after the restart the first accepted vote was counted in ${((performance.now() - acceptedAt) / 1000).toFixed(1)} s`);
    const tallies = await readTallies();
    expect(tallies.band[acceptedBand]).toBe(1);
    // The refused vote never reached Kafka, so it is never counted.
    expect(tallies.band[refusedVote.name]).toBeUndefined();
    for (const vote of refusedBatch) expect(tallies.band[vote.name]).toBeUndefined();
  }, 240_000);
});
