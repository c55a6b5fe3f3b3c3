import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import { albumField } from "@marimba/shared";
import { post, readTallies, sampleVotes, settle, storedVotes, uniqueVote, urls, votesCollection, waitFor } from "@marimba/testkit";

const { client, votes } = votesCollection();
afterAll(() => client.close());
// Totals are compared before and after: votes of earlier tests must be counted first.
beforeEach(() => settle(), 60_000);

describe("the HTTP route, end to end on the real stack", () => {
  for (const path of ["/http/votes", "/rust/send_data"]) {
    test(`a vote posted to ${path} is answered 202 and is stored and counted within 2 s`, async () => {
      const vote = uniqueVote({ rank: "7" });
      const before = await readTallies();
      const answer = await post(`${urls.http}${path}`, vote);
      expect(answer.status).toBe(202);
      expect(answer.body).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), acceptedAt: expect.any(String) });
      await waitFor("the vote in MongoDB and Redis", async () => (await readTallies()).band[vote.name] === 1, 2000, 50);
      const after = await readTallies();
      expect(after.total - before.total).toBe(1);
      expect(after.album[albumField(vote)]).toBe(1);
      expect((after.rank["7"] ?? 0) - (before.rank["7"] ?? 0)).toBe(1);
      expect((after.route.http ?? 0) - (before.route.http ?? 0)).toBe(1);
      expect(await votes.findOne({ _id: answer.body.id })).toMatchObject({
        ...vote,
        route: "http",
        acceptedAt: new Date(answer.body.acceptedAt),
      });
    });
  }

  test("a bulk request of 500 votes is answered with 500 receipts, in order", async () => {
    const band = uniqueVote();
    const answer = await post(
      `${urls.http}/http/votes`,
      Array.from({ length: 500 }, (_, i) => ({ ...band, rank: String(i + 1) })),
    );
    expect(answer.status).toBe(202);
    expect(answer.body).toHaveLength(500);
    await waitFor("the bulk to be counted", async () => (await readTallies()).band[band.name] === 500, 5000, 100);
    const ids: string[] = answer.body.map((receipt: { id: string }) => receipt.id);
    const stored = await storedVotes(ids);
    expect(ids.map((id) => stored.get(id)?.name)).toEqual(ids.map(() => band.name));
    expect(ids.map((id) => stored.get(id)?.rank)).toEqual(Array.from({ length: 500 }, (_, i) => String(i + 1)));
  });

  test("the 1,000-vote sample file sent through the route is stored and counted exactly", async () => {
    const sample = sampleVotes();
    const before = await readTallies();
    const ids: string[] = [];
    for (let i = 0; i < sample.length; i += 50) {
      const answers = await Promise.all(sample.slice(i, i + 50).map((vote) => post(`${urls.http}/rust/send_data`, vote)));
      for (const answer of answers) {
        expect(answer.status).toBe(202);
        ids.push(answer.body.id);
      }
    }
    await waitFor("1,000 votes to be counted", async () => (await readTallies()).total - before.total >= 1000, 15_000, 100);
    await Bun.sleep(300); // anything extra would show up now
    const after = await readTallies();
    expect(after.total - before.total).toBe(1000);
    const expected = (key: (v: (typeof sample)[number]) => string) =>
      sample.reduce<Record<string, number>>((counts, vote) => {
        counts[key(vote)] = (counts[key(vote)] ?? 0) + 1;
        return counts;
      }, {});
    for (const [band, count] of Object.entries(expected((v) => v.name)))
      expect((after.band[band] ?? 0) - (before.band[band] ?? 0)).toBe(count);
    for (const [album, count] of Object.entries(expected(albumField)))
      expect((after.album[album] ?? 0) - (before.album[album] ?? 0)).toBe(count);
    expect((await storedVotes(ids)).size).toBe(1000);
  }, 30_000);
});
