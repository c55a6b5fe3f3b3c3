import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CHROMIUM_PATH as CHROMIUM, type Component, ROOT, redisAnswers, service, services } from "@marimba/stack";
import { ports, post, startComponent, stopComponent, uniqueVote, urls } from "@marimba/testkit";
import { type BrowserContext, chromium, type Page } from "playwright-core";

/** Debian's Chromium, started the way a root, offline machine needs it. */
const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const SCREENSHOTS = join(ROOT, ".marimba", "screenshots");

const web = services.find((component) => component.name === "web");
if (!web) throw new Error("the stack has no 'web' component: web/src/server/index.ts is missing");

let profile: string;
let context: BrowserContext;
let page: Page;

beforeAll(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  profile = mkdtempSync(join(tmpdir(), "marimba-chromium-"));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1920, height: 1080 },
  });
  page = context.pages()[0] ?? (await context.newPage());
}, 60_000);

/**
 * A second dashboard, for states the shared stack must not be put in: it reads a MongoDB database
 * nobody writes to and a Redis of its own, so it shows an empty contest, and its Redis can be
 * stopped without touching the pipeline's.
 */
const isolatedRedisPort = ports.redis + 7;
const isolatedRedis: Component = {
  name: "redis-web-test",
  port: isolatedRedisPort,
  spec: () => ({
    name: "redis-web-test",
    command: ["redis-server", "--port", String(isolatedRedisPort), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
  }),
  ready: () => redisAnswers(`redis://127.0.0.1:${isolatedRedisPort}`),
};
const isolatedWebPort = ports.web + 7;
const isolatedWeb = service("web-isolated", "web/src/server/index.ts", isolatedWebPort, {
  MONGO_DB: `marimba_empty_${crypto.randomUUID().slice(0, 8)}`,
  REDIS_URL: `redis://127.0.0.1:${isolatedRedisPort}`,
});

afterAll(async () => {
  await context?.close();
  rmSync(profile, { recursive: true, force: true });
  // Whatever a failed test left stopped, the stack gets back.
  await startComponent(web);
  await stopComponent(isolatedWeb);
  await stopComponent(isolatedRedis);
}, 60_000);

/** Waits until the connection badge says `state`; a failure names what it said instead. */
async function connectionSays(target: Page, state: string, timeout = 10_000): Promise<void> {
  try {
    await target.waitForFunction((wanted) => document.querySelector("[data-testid=connection]")?.textContent?.includes(wanted), state, {
      timeout,
    });
  } catch {
    const said = await target
      .getByTestId("connection")
      .textContent({ timeout: 1000 })
      .catch(() => "(no badge)");
    throw new Error(`the page did not say "${state}" within ${timeout / 1000} s; it says "${said}"`);
  }
}

const count = async (testId: string) => Number(((await page.getByTestId(testId).textContent()) ?? "").replace(/[^\d]/g, ""));

async function grpcRouteAnswers(): Promise<boolean> {
  try {
    return (await fetch(`${urls.grpc}/healthz`, { signal: AbortSignal.timeout(1000) })).ok;
  } catch {
    return false;
  }
}

describe("the dashboard in a real browser", () => {
  test("shows 5 votes sent through the routes in the table and the tallies within 3 s, without reloading", async () => {
    await page.goto(urls.dashboard);
    await connectionSays(page, "Live");
    await page.waitForFunction(() => /\d/.test(document.querySelector("[data-testid=total]")?.textContent ?? ""), null, {
      timeout: 5000,
    });
    const totalBefore = await count("total");
    const httpBefore = await count("route-http");
    const grpcBefore = await count("route-grpc");

    const band = uniqueVote();
    const viaGrpc = (await grpcRouteAnswers()) ? 2 : 0;
    const targets = Array.from({ length: 5 }, (_, i) => (i < viaGrpc ? `${urls.grpc}/grpc/votes` : `${urls.http}/http/votes`));
    const ids: string[] = [];
    for (const [i, target] of targets.entries()) {
      const answer = await post(target, { ...band, rank: String(i + 1) });
      expect(answer.status).toBe(202);
      ids.push(answer.body.id);
    }

    // Every vote is a row of the newest-votes table, marked as new, within 3 s of the last one being accepted.
    await page.waitForFunction((wanted) => wanted.every((id) => document.querySelector(`tr[data-vote-id="${id}"].is-new`)), ids, {
      timeout: 3000,
    });
    await page.waitForFunction(
      ({ total, http, grpc }) => {
        const read = (id: string) => Number((document.querySelector(`[data-testid=${id}]`)?.textContent ?? "").replace(/[^\d]/g, ""));
        return read("total") >= total && read("route-http") >= http && read("route-grpc") >= grpc;
      },
      { total: totalBefore + 5, http: httpBefore + 5 - viaGrpc, grpc: grpcBefore + viaGrpc },
      { timeout: 3000 },
    );
    const rows = page.getByRole("table", { name: "Newest votes" }).locator(`tr[data-vote-id="${ids[4]}"]`);
    await expect(rows.locator("th").textContent()).resolves.toContain(band.name);
    await page.screenshot({ path: join(SCREENSHOTS, "dashboard.png") });
  }, 30_000);

  test("says it is reconnecting while the API is down, and live again once it is back", async () => {
    await stopComponent(web);
    await connectionSays(page, "Reconnecting");
    await expect(page.getByRole("alert").first().textContent()).resolves.toContain("reconnecting");
    await page.screenshot({ path: join(SCREENSHOTS, "dashboard-reconnecting.png") });

    await startComponent(web);
    await connectionSays(page, "Live");
    expect(await page.getByRole("alert").count()).toBe(0);
  }, 60_000);

  test("says there are no votes yet when the contest is empty", async () => {
    await startComponent(isolatedRedis);
    await startComponent(isolatedWeb);
    const empty = await context.newPage();
    try {
      await empty.goto(`http://127.0.0.1:${isolatedWebPort}/`);
      await empty.waitForSelector("[data-testid=no-votes]", { timeout: 5000 });
      expect(await empty.getByTestId("total").textContent()).toBe("0");
      expect(await empty.getByText("No band has votes yet.").count()).toBe(1);
      await empty.screenshot({ path: join(SCREENSHOTS, "dashboard-empty.png") });
    } finally {
      await empty.close();
    }
  }, 60_000);

  test("tells the operator when the counters cannot be read, and clears it once they can", async () => {
    await startComponent(isolatedRedis);
    await startComponent(isolatedWeb);
    const isolated = await context.newPage();
    try {
      await isolated.goto(`http://127.0.0.1:${isolatedWebPort}/`);
      await isolated.waitForSelector("[data-testid=no-votes]", { timeout: 5000 });
      await stopComponent(isolatedRedis);
      await isolated.waitForSelector("[data-testid=problem]", { timeout: 8000 });
      expect(await isolated.getByTestId("problem").textContent()).toContain("Redis cannot be read");
      await isolated.screenshot({ path: join(SCREENSHOTS, "dashboard-problem.png") });
      await startComponent(isolatedRedis);
      await isolated.waitForSelector("[data-testid=problem]", { state: "detached", timeout: 8000 });
    } finally {
      await isolated.close();
    }
  }, 60_000);

  test("fits a phone's screen: nothing is wider than the viewport", async () => {
    const phone = await context.newPage();
    try {
      await phone.setViewportSize({ width: 390, height: 844 });
      await phone.goto(urls.dashboard);
      await connectionSays(phone, "Live");
      await phone.waitForSelector("[data-testid=newest-votes], [data-testid=no-votes]", { timeout: 5000 });
      await phone.screenshot({ path: join(SCREENSHOTS, "dashboard-phone.png"), fullPage: true });
      expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    } finally {
      await phone.close();
    }
  }, 30_000);
});
