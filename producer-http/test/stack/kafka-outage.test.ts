import { afterAll, describe, expect, test } from "bun:test";
import {
  kafkaComponent,
  post,
  readTallies,
  startComponent,
  stopComponent,
  topicOffsets,
  uniqueVote,
  urls,
  votesInKafkaSince,
  waitFor,
} from "@marimba/testkit";

afterAll(async () => {
  await startComponent(kafkaComponent); // whatever happened, leave the stack whole
});

describe.skipIf(Boolean(kafkaComponent.external))("the HTTP route while Kafka is down", () => {
  test("a vote is answered 503 within seconds, never reaches Kafka nor the counters, and acceptance resumes when Kafka is back", async () => {
    const since = await topicOffsets();
    await stopComponent(kafkaComponent);
    // The server's background probe notices within about a second.
    await Bun.sleep(2500);
    const refused = uniqueVote();
    const started = performance.now();
    const answer = await post(`${urls.http}/http/votes`, refused);
    const seconds = (performance.now() - started) / 1000;
    expect(answer.status).toBe(503);
    expect(answer.headers.get("retry-after")).toBe("1");
    expect(answer.body.error).toMatch(/retry/);
    expect(seconds).toBeLessThan(3);

    await startComponent(kafkaComponent);
    const marker = uniqueVote();
    await waitFor(
      "the route to accept votes again",
      async () => (await post(`${urls.http}/http/votes`, marker)).status === 202,
      60_000,
      500,
    );
    await waitFor("the consumer to count again", async () => ((await readTallies()).band[marker.name] ?? 0) >= 1, 60_000, 250);
    expect((await readTallies()).band[refused.name]).toBeUndefined();
    // Nothing reaches MongoDB but through Kafka: a vote Kafka never held is never stored.
    expect((await votesInKafkaSince(since)).filter((vote) => vote.name === refused.name)).toEqual([]);
  }, 120_000);
});
