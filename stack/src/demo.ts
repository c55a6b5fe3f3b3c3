import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { VoteInput } from "@marimba/shared";
import { ROOT } from "./paths.ts";
import { urls } from "./services.ts";

/** The old clients' paths, one per route; the demo sends each vote to one of them at random. */
export interface DemoRoute {
  route: string;
  url: string;
}

/** The old clients' path of every route the stack runs. */
export function demoRoutes(): DemoRoute[] {
  return [
    { route: "http", url: `${urls.http}/rust/send_data` },
    { route: "grpc", url: `${urls.grpc}/grpc/insert` },
  ];
}

export function sampleVotes(file = join(ROOT, "data", "votes.json")): VoteInput[] {
  return JSON.parse(readFileSync(file, "utf8")) as VoteInput[];
}

/** Replays the sample votes one request each, spread at random over the routes, a few at a time. */
export async function demoLoad(
  routes: DemoRoute[],
  votes = sampleVotes(),
  concurrency = 16,
): Promise<Record<string, { accepted: number; refused: number }>> {
  const outcome = Object.fromEntries(routes.map((r) => [r.route, { accepted: 0, refused: 0 }]));
  let next = 0;
  const worker = async () => {
    while (next < votes.length) {
      const vote = votes[next++];
      const target = routes[Math.floor(Math.random() * routes.length)] as DemoRoute;
      const response = await fetch(target.url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(vote),
      }).catch(() => null);
      const counts = outcome[target.route] as { accepted: number; refused: number };
      if (response?.status === 202) counts.accepted++;
      else counts.refused++;
      await response?.body?.cancel();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return outcome;
}
