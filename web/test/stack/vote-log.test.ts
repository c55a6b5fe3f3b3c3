import { afterAll, describe, expect, test } from "bun:test";
import { NEWEST_VOTES_COLLECTION, NEWEST_VOTES_ID, type NewestVotesDocument, VOTES_COLLECTION } from "@marimba/shared";
import { createMongo } from "@marimba/shared/storage";
import { post, readTallies, stackEnv, uniqueVote, urls, waitFor } from "@marimba/testkit";
import { VoteLogReader } from "../../src/server/vote-log.ts";

const client = createMongo(stackEnv.MONGO_URL);
const db = client.db(stackEnv.MONGO_DB);

afterAll(() => client.close());

// biome-ignore lint/suspicious/noExplicitAny: explain output differs by server and version
type Explained = Record<string, any>;

/**
 * What the store will do for a query, from `explain`: FerretDB names the SQLite table it scans
 * and whether the filter went into SQL; MongoDB names its winning plan's stage.
 */
function plan(explained: Explained): { server: "ferretdb" | "mongodb"; table?: string; pushdown?: boolean; stage?: string } {
  if (explained.serverInfo?.ferretdbVersion) {
    const steps: string[] = explained.queryPlanner?.Plan ?? [];
    return { server: "ferretdb", table: steps.join(" ").match(/(?:SCAN|SEARCH) (\S+)/)?.[1], pushdown: explained.filterPushdown };
  }
  const winning = explained.queryPlanner?.winningPlan;
  return { server: "mongodb", stage: winning?.stage ?? winning?.queryPlan?.stage };
}

describe("the dashboard's newest-votes read (real MongoDB-wire store)", () => {
  test("is one _id lookup in newest_votes: one document, never a scan or a sort of the vote log", async () => {
    const band = uniqueVote();
    const answer = await post(`${urls.http}/http/votes`, [band, band]);
    expect(answer.status).toBe(202);
    await waitFor("the votes to be counted", async () => (await readTallies()).band[band.name] === 2, 15_000, 50);

    const newest = db.collection<NewestVotesDocument>(NEWEST_VOTES_COLLECTION);
    expect(await newest.countDocuments()).toBe(1);
    const explained = (await newest.find({ _id: NEWEST_VOTES_ID }).explain()) as Explained;
    const found = plan(explained);
    if (found.server === "ferretdb") {
      // The filter becomes SQL on the one-row table of newest_votes, not on the log's table.
      expect(found.pushdown).toBe(true);
      expect(found.table ?? "").toStartWith(`${NEWEST_VOTES_COLLECTION}_`);
    } else {
      expect(["IDHACK", "EXPRESS_IXSCAN"]).toContain(found.stage ?? "");
    }

    const rows = await new VoteLogReader(db).newest(100);
    const ids = (answer.body as { id: string }[]).map((vote) => vote.id);
    expect(rows.map((row) => row.id)).toEqual(expect.arrayContaining(ids));
    expect(rows.length).toBeLessThanOrEqual(100);
  }, 30_000);

  test("the old read, a sort of the whole log by acceptedAt, is what it replaced", async () => {
    const explained = (await db.collection(VOTES_COLLECTION).find({}).sort({ acceptedAt: -1 }).limit(20).explain()) as Explained;
    const found = plan(explained);
    if (found.server === "ferretdb") {
      // FerretDB 1.24 on SQLite cannot push the sort down: it reads every stored vote to sort them.
      expect(explained.sortPushdown).toBe(false);
      expect(found.table ?? "").toStartWith(`${VOTES_COLLECTION}_`);
    } else {
      // MongoDB walks the acceptedAt index backwards and stops after 20.
      expect(JSON.stringify(explained.queryPlanner.winningPlan)).toContain("acceptedAt_desc");
    }
  });
});
