import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import {
  CHROMIUM_PATH as CHROMIUM,
  CHROMIUM_ARGS,
  type Component,
  mongoComponent,
  ROOT,
  redisAnswers,
  service,
  services,
} from "@marimba/stack";
import { ports, post, startComponent, stopComponent, uniqueVote, urls } from "@marimba/testkit";
import { type Browser, chromium, type Page } from "playwright-core";

/** Where the screenshots of each state go; `MARIMBA_SCREENSHOTS=docs/screenshots` refreshes the README's. */
const SCREENSHOTS = (() => {
  const dir = process.env.MARIMBA_SCREENSHOTS ?? join(".marimba", "screenshots");
  return isAbsolute(dir) ? dir : join(ROOT, dir);
})();
const WIDE = { width: 1440, height: 900 };
const PHONE = { width: 390, height: 844 };

const component = (name: string) => {
  const found = services.find((candidate) => candidate.name === name);
  if (!found) throw new Error(`the stack has no '${name}' component`);
  return found;
};
const web = component("web");
const consumer = component("consumer");

let browser: Browser;

beforeAll(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: [...CHROMIUM_ARGS] });
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
  await browser?.close();
  // Whatever a failed test left stopped, the stack gets back.
  await startComponent(mongoComponent);
  await startComponent(consumer);
  await startComponent(web);
  await stopComponent(isolatedWeb);
  await stopComponent(isolatedRedis);
}, 120_000);

async function open(size: { width: number; height: number }, url = urls.dashboard): Promise<Page> {
  // Wide screens in the dark theme, phones in the light one: both themes are checked and pictured.
  // Rendered at 0.6 device pixels per CSS pixel: the layout is the real one, the screenshots stay small.
  const page = await browser.newPage({ viewport: size, colorScheme: size.width >= 1024 ? "dark" : "light", deviceScaleFactor: 0.6 });
  await page.goto(url);
  return page;
}

/** Waits until the state badge says `state`; a failure names what it said instead. */
async function badgeSays(page: Page, state: string, timeout = 15_000): Promise<void> {
  try {
    await page.waitForFunction((wanted) => document.querySelector("[data-testid=connection]")?.textContent?.includes(wanted), state, {
      timeout,
    });
  } catch {
    const said = await page
      .getByTestId("connection")
      .textContent({ timeout: 1000 })
      .catch(() => "(no badge)");
    throw new Error(`the page did not say "${state}" within ${timeout / 1000} s; it says "${said}"`);
  }
}

const numberIn = async (page: Page, testId: string) => Number(((await page.getByTestId(testId).textContent()) ?? "").replace(/[^\d]/g, ""));

/** The page is no wider than its viewport: nothing hides behind a horizontal scroller. */
async function expectNoOverflow(page: Page): Promise<void> {
  const { scroll, width } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, width: innerWidth }));
  expect(scroll).toBeLessThanOrEqual(width);
  const tableOverflows = await page.evaluate(() => {
    const table = document.querySelector("[data-testid=newest-votes]");
    const card = table?.closest(".card");
    return table && card ? table.getBoundingClientRect().right > card.getBoundingClientRect().right + 1 : false;
  });
  expect(tableOverflows).toBe(false);
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) });
}

async function sendVotes(count: number, band = uniqueVote()): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const answer = await post(`${urls.http}/http/votes`, { ...band, rank: String((i % 5) + 1) });
    expect(answer.status).toBe(202);
    ids.push(answer.body.id);
  }
  return ids;
}

describe("the dashboard in a real browser", () => {
  test("live, at 1440 px: votes reach the table and the tallies without a reload; nothing overflows at 1440 or 1280", async () => {
    const page = await open(WIDE);
    try {
      await badgeSays(page, "Live");
      await page.waitForFunction(() => /\d/.test(document.querySelector("[data-testid=total]")?.textContent ?? ""), null, {
        timeout: 10_000,
      });
      const before = await numberIn(page, "total");
      const ids = await sendVotes(5);
      await page.waitForFunction((wanted) => wanted.every((id) => document.querySelector(`tr[data-vote-id="${id}"]`)), ids, {
        timeout: 15_000,
      });
      await page.waitForFunction(
        (total) => Number((document.querySelector("[data-testid=total]")?.textContent ?? "").replace(/[^\d]/g, "")) >= total,
        before + 5,
        { timeout: 15_000 },
      );
      expect(await page.title()).toStartWith("● Live");
      await expectNoOverflow(page);
      await shot(page, "live-1440");
      await page.setViewportSize({ width: 1280, height: 800 });
      await expectNoOverflow(page);
    } finally {
      await page.close();
    }
  }, 60_000);

  test("live, at 390 px: the rankings come before the feed, nothing overflows", async () => {
    const page = await open(PHONE);
    try {
      await badgeSays(page, "Live");
      await page.waitForSelector("[data-testid=newest-votes], [data-testid=no-votes]", { timeout: 10_000 });
      const order = await page.evaluate(() => {
        const top = (selector: string) => document.querySelector(selector)?.getBoundingClientRect().top ?? Number.NaN;
        return { rankings: top("[data-testid=band-ranking]"), feed: top(".newest") };
      });
      expect(order.rankings).toBeLessThan(order.feed);
      await expectNoOverflow(page);
      await shot(page, "live-390");
    } finally {
      await page.close();
    }
  }, 60_000);

  test("before anything arrives the page claims nothing: no 0, no 'no votes yet'", async () => {
    const page = await browser.newPage({ viewport: WIDE });
    try {
      // Hold the stream back so the page stays in its loading state.
      await page.route("**/api/stream*", () => {});
      await page.goto(urls.dashboard);
      await page.waitForSelector("[data-testid=connection]");
      expect(await page.getByTestId("connection").textContent()).toContain("Connecting");
      expect(await page.getByTestId("total").textContent()).not.toContain("0");
      expect(await page.getByTestId("lag").textContent()).toBe("unknown");
      expect(await page.getByTestId("no-votes").count()).toBe(0);
    } finally {
      await page.close();
    }
  }, 30_000);

  test("consumer stopped: the lag shows the votes accepted since, within 5 s, and the state names the consumer", async () => {
    const page = await open(WIDE);
    try {
      await badgeSays(page, "Live");
      await stopComponent(consumer);
      const stoppedAt = Date.now();
      const lagBefore = await numberIn(page, "lag");
      await sendVotes(7);
      const sentAt = Date.now();
      // Stopped within 5 s of the stop (plus the time the votes took to send), with when it was last seen.
      await page.waitForFunction(
        () => document.querySelector("[data-testid=consumer]")?.textContent?.startsWith("consumer stopped"),
        null,
        {
          timeout: sentAt - stoppedAt + 5000,
        },
      );
      console.log(`consumer shown stopped ${Date.now() - stoppedAt} ms after it stopped`);
      await page.waitForFunction(
        (wanted) => Number(document.querySelector("[data-testid=lag]")?.textContent?.replace(/[^\d]/g, "")) >= wanted,
        lagBefore + 7,
        {
          timeout: 15_000,
        },
      );
      const shownAfter = Date.now() - sentAt;
      expect(await numberIn(page, "lag")).toBe(lagBefore + 7);
      await badgeSays(page, "Degraded");
      expect(await page.getByTestId("consumer").textContent()).toMatch(/consumer stopped · last seen .+ \(\d+ s ago\)/);
      expect(await page.getByTestId("problem").textContent()).toContain("7 votes are waiting");
      expect(await page.title()).toStartWith("⚠ Degraded");
      await shot(page, "consumer-stopped-1440");
      // The 5 s the issue asks for is a property of the status loop (1 s) and the heartbeat's threshold (3 s), logged here.
      console.log(`lag shown ${shownAfter} ms after the last vote was accepted`);
      await startComponent(consumer);
      await page.waitForFunction(() => document.querySelector("[data-testid=lag]")?.textContent === "0", null, { timeout: 90_000 });
      await badgeSays(page, "Live");
    } finally {
      await page.close();
    }
  }, 180_000);

  test("MongoDB down: the tallies stay on screen, the newest votes stay marked stale with the reason, the lag grows", async () => {
    const page = await open(WIDE);
    const phone = await open(PHONE);
    try {
      await badgeSays(page, "Live");
      await page.waitForSelector("[data-testid=newest-votes]", { timeout: 10_000 });
      const total = await numberIn(page, "total");
      await stopComponent(mongoComponent);
      await sendVotes(3);
      await page.waitForSelector("[data-testid=votes-stale]", { timeout: 15_000 });
      expect(await page.getByTestId("votes-stale").textContent()).toContain("MongoDB");
      // The last good list is still there, and the total Redis has is still shown, not blanked.
      expect(await page.locator("[data-testid=newest-votes] tbody tr").count()).toBeGreaterThan(0);
      expect(await numberIn(page, "total")).toBeGreaterThanOrEqual(total);
      await badgeSays(page, "Degraded");
      // The consumer stores before it counts: the votes wait, and the page says how many.
      await page.waitForFunction(() => Number(document.querySelector("[data-testid=lag]")?.textContent?.replace(/[^\d]/g, "")) >= 3, null, {
        timeout: 15_000,
      });
      await shot(page, "mongodb-down-1440");
      await badgeSays(phone, "Degraded");
      await shot(phone, "mongodb-down-390");
    } finally {
      await startComponent(mongoComponent);
      await badgeSays(page, "Live", 90_000).catch(() => {});
      await page.close();
      await phone.close();
    }
  }, 180_000);

  test("web server restarted: the page says Stale while it is away, then reconnects by itself and is Live", async () => {
    const page = await open(WIDE);
    try {
      await badgeSays(page, "Live");
      await stopComponent(web);
      await badgeSays(page, "Stale");
      expect(await page.getByTestId("connection-detail").textContent()).toContain("numbers from");
      await shot(page, "web-restart-1440");
      await startComponent(web);
      await badgeSays(page, "Live", 30_000);
      expect(await page.getByTestId("problem").count()).toBe(0);
    } finally {
      await page.close();
    }
  }, 90_000);

  test("an empty contest says so, with zeros that are known", async () => {
    await startComponent(isolatedRedis);
    await startComponent(isolatedWeb);
    const page = await open(WIDE, `http://127.0.0.1:${isolatedWebPort}/`);
    try {
      await page.waitForSelector("[data-testid=no-votes]", { timeout: 10_000 });
      await page.waitForFunction(() => document.querySelector("[data-testid=total]")?.textContent === "0", null, { timeout: 10_000 });
      expect(await page.getByText("No band has votes yet.").count()).toBe(1);
    } finally {
      await page.close();
    }
  }, 60_000);

  test("Redis down: the tallies are dimmed and marked, the rate is unknown, not 0; it clears once Redis is back", async () => {
    await startComponent(isolatedRedis);
    await startComponent(isolatedWeb);
    const page = await open(WIDE, `http://127.0.0.1:${isolatedWebPort}/`);
    const phone = await open(PHONE, `http://127.0.0.1:${isolatedWebPort}/`);
    try {
      await page.waitForSelector("[data-testid=no-votes]", { timeout: 10_000 });
      await stopComponent(isolatedRedis);
      // (This dashboard's Redis holds no applied offsets, so it also reports the shared topic's votes as waiting.)
      await page.waitForFunction(() => document.querySelector("[data-testid=problem]")?.textContent?.includes("Tallies (Redis)"), null, {
        timeout: 15_000,
      });
      await badgeSays(page, "Degraded");
      expect(await page.getByTestId("rate").textContent()).toBe("unknown");
      expect(await page.locator(".stat--total.is-stale").count()).toBe(1);
      await shot(page, "redis-down-1440");
      await badgeSays(phone, "Degraded");
      await shot(phone, "redis-down-390");
      await startComponent(isolatedRedis);
      await page.waitForFunction(() => !document.querySelector("[data-testid=problem]")?.textContent?.includes("Tallies (Redis)"), null, {
        timeout: 15_000,
      });
    } finally {
      await page.close();
      await phone.close();
    }
  }, 90_000);
});
