/**
 * What an operator's browser sees of the dashboard, measured against the running local stack:
 * page weight over the wire, vote→browser delay (accepted 202 → the stream event that carries it:
 * the counted tally, and the newest-votes list) at idle and under load, and the renderer's main
 * thread CPU idle and under load (Chrome's TaskDuration over wall time), and `/api/tally` one request
 * at a time and with 50 clients at once (they share one Redis read).
 *   bun web/bench/dashboard.ts [--rate 300] [--seconds 30]
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { CHROMIUM_ARGS, CHROMIUM_PATH, ROOT, urls } from "@marimba/stack";
import { chromium, type Page } from "playwright-core";

const { values } = parseArgs({ options: { rate: { type: "string", default: "300" }, seconds: { type: "string", default: "30" } } });
const rate = Number(values.rate);
const seconds = Number(values.seconds);

async function wireBytes(path: string): Promise<number> {
  const response = await fetch(`${urls.dashboard}${path}`, {
    headers: { "accept-encoding": "br, gzip" },
    decompress: false,
  } as RequestInit);
  return (await response.arrayBuffer()).byteLength;
}

async function pageWeight(): Promise<Record<string, number>> {
  const html = await (await fetch(urls.dashboard)).text();
  const assets = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((match) => match[1] as string);
  const sizes: Record<string, number> = { "/": await wireBytes("/") };
  for (const asset of assets) sizes[asset] = await wireBytes(asset);
  sizes.total = Object.values(sizes).reduce((sum, n) => sum + n, 0);
  return sizes;
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;

/** p50/p99 of `path`, one request at a time and then with `clients` at once. */
async function readLatency(path: string, clients = 50, each = 20): Promise<Record<string, number>> {
  const run = async (callers: number, requests: number) => {
    const ms: number[] = [];
    await Promise.all(
      Array.from({ length: callers }, async () => {
        for (let i = 0; i < requests; i++) {
          const started = performance.now();
          const response = await fetch(`${urls.dashboard}${path}`);
          await response.arrayBuffer();
          if (!response.ok) throw new Error(`${path} answered ${response.status}`);
          ms.push(performance.now() - started);
        }
      }),
    );
    return ms.sort((a, b) => a - b);
  };
  await run(10, 10); // warm-up
  const sequential = await run(1, Math.min(clients * each, 200));
  const concurrent = await run(clients, each);
  const round = (n: number) => Math.round(n * 10) / 10;
  return {
    p50: round(percentile(sequential, 50)),
    p99: round(percentile(sequential, 99)),
    [`p50 at ${clients} clients`]: round(percentile(concurrent, 50)),
    [`p99 at ${clients} clients`]: round(percentile(concurrent, 99)),
  };
}

/** Sends `count` probe votes one by one and times each from its 202 to the stream events that carry it. */
async function probeDelays(
  page: Page,
  count: number,
): Promise<{ tally: { p50: number; p99: number }; votes: { p50: number; p99: number } }> {
  await page.evaluate(() => {
    const seen = new Map<string, number>();
    (window as unknown as { seen: Map<string, number> }).seen = seen;
    const source = new EventSource("/api/stream");
    const note = (kind: string) => (event: MessageEvent) => {
      for (const match of event.data.matchAll(/Probe [0-9a-f]{8}|019[0-9a-f-]{33}|01a[0-9a-f-]{33}/g)) {
        const key = `${kind}:${match[0]}`;
        if (!seen.has(key)) seen.set(key, Date.now());
      }
    };
    source.addEventListener("tally", note("tally"));
    source.addEventListener("votes", note("votes"));
  });
  await page.waitForTimeout(1500);
  const sent: { band: string; id: string; at: number }[] = [];
  for (let i = 0; i < count; i++) {
    const band = `Probe ${crypto.randomUUID().slice(0, 8)}`;
    const response = await fetch(`${urls.http}/http/votes`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: band, album: "Bench", year: "2026", rank: "1" }),
    });
    const at = Date.now();
    const { id } = (await response.json()) as { id: string };
    sent.push({ band, id, at });
    await page.waitForTimeout(400);
  }
  await page.waitForTimeout(5000);
  const seen = new Map(await page.evaluate(() => [...(window as unknown as { seen: Map<string, number> }).seen]));
  const delays = (kind: string, key: (probe: (typeof sent)[number]) => string) =>
    sent
      .map((probe) => (seen.get(`${kind}:${key(probe)}`) ?? Number.NaN) - probe.at)
      .filter((delay) => !Number.isNaN(delay))
      .sort((a, b) => a - b);
  const tally = delays("tally", (probe) => probe.band);
  const votes = delays("votes", (probe) => probe.id);
  console.log(`  probes: ${count}, seen in a tally: ${tally.length}, seen in the newest votes: ${votes.length}`);
  return {
    tally: { p50: percentile(tally, 50), p99: percentile(tally, 99) },
    votes: { p50: percentile(votes, 50), p99: percentile(votes, 99) },
  };
}

/** Share of one core the renderer's main thread used over `ms`. */
async function rendererCpu(page: Page, ms: number): Promise<number> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Performance.enable");
  const read = async () => Object.fromEntries((await cdp.send("Performance.getMetrics")).metrics.map((m) => [m.name, m.value]));
  const before = await read();
  await page.waitForTimeout(ms);
  const after = await read();
  const share = (name: string) =>
    ((((after[name] ?? 0) - (before[name] ?? 0)) / ((after.Timestamp ?? 0) - (before.Timestamp ?? 0) || 1)) * 100).toFixed(1);
  console.log(`  script ${share("ScriptDuration")} %, layout ${share("LayoutDuration")} %, style ${share("RecalcStyleDuration")} %`);
  return ((after.TaskDuration ?? 0) - (before.TaskDuration ?? 0)) / ((after.Timestamp ?? 0) - (before.Timestamp ?? 0) || 1);
}

const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS] });
try {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await page.goto(urls.dashboard);
  await page.waitForTimeout(3000);
  console.log("page weight over the wire (bytes, brotli):", JSON.stringify(await pageWeight()));
  console.log("/api/tally (ms):", JSON.stringify(await readLatency("/api/tally")));
  console.log(`renderer CPU idle: ${(100 * (await rendererCpu(page, 15_000))).toFixed(1)} % of a core`);
  console.log("vote→browser delay at idle (ms):", JSON.stringify(await probeDelays(page, 25)));
  const load = spawn(
    process.execPath,
    [join(ROOT, "load/src/cli.ts"), "--rate", String(rate), "--duration", String(seconds + 25), "--connections", "16"],
    {
      stdio: "ignore",
      env: process.env,
    },
  );
  try {
    await page.waitForTimeout(3000);
    console.log(`renderer CPU at ${rate} votes/s: ${(100 * (await rendererCpu(page, 15_000))).toFixed(1)} % of a core`);
    console.log(`vote→browser delay at ${rate} votes/s (ms):`, JSON.stringify(await probeDelays(page, 25)));
  } finally {
    load.kill("SIGTERM");
  }
} finally {
  await browser.close();
}
