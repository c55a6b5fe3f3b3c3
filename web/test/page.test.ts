import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dashboardPage } from "../src/server/spa.ts";

const dist = mkdtempSync(join(tmpdir(), "marimba-dist-"));
mkdirSync(join(dist, "assets"));
writeFileSync(join(dist, "index.html"), "<!doctype html><title>marimba</title>");
writeFileSync(join(dist, "assets", "index-abc123.js"), "console.log('page')");
writeFileSync(join(tmpdir(), "marimba-secret.txt"), "not for the web");
afterAll(() => {
  rmSync(dist, { recursive: true, force: true });
  rmSync(join(tmpdir(), "marimba-secret.txt"), { force: true });
});

const page = dashboardPage(dist);
const get = (path: string, app = page) => app.handle(new Request(`http://localhost${path}`));

describe("serving the built page", () => {
  test("/ is the page, never cached, with a content security policy", async () => {
    const response = await get("/");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/html");
    expect(response.headers.get("cache-control")).toBe("no-cache");
    expect(response.headers.get("content-security-policy")).toContain("default-src 'self'");
    expect(await response.text()).toContain("<title>marimba</title>");
  });

  test("hashed assets are cached for a year", async () => {
    const response = await get("/assets/index-abc123.js");
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toContain("immutable");
    expect(await response.text()).toBe("console.log('page')");
  });

  test("any other page path is the single-page app", async () => {
    const response = await get("/bands/alux-nahual");
    expect(response.status).toBe(200);
    expect(await response.text()).toContain("<title>marimba</title>");
  });

  test("a missing file is a JSON 404, not the page", async () => {
    const response = await get("/assets/missing.js");
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: "there is no file at /assets/missing.js", details: [] });
  });

  test("paths never reach outside the built folder", async () => {
    for (const path of ["/../marimba-secret.txt", "/%2e%2e/marimba-secret.txt", "/assets/%2e%2e%2f%2e%2e%2fmarimba-secret.txt"]) {
      const response = await get(path);
      expect(await response.text()).not.toContain("not for the web");
    }
  });

  test("an unbuilt page answers 503 saying how to build it", async () => {
    const response = await get("/", dashboardPage(join(dist, "nowhere")));
    expect(response.status).toBe(503);
    expect((await response.json()).error).toContain("vite build");
  });
});
