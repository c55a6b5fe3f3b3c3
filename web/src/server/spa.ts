import { stat } from "node:fs/promises";
import { extname, resolve, sep } from "node:path";
import { HttpError } from "@marimba/shared";
import { Elysia } from "elysia";

/** The page may load only its own scripts and styles and talk only to its own origin. */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'none'",
].join("; ");

const PAGE_HEADERS = {
  "content-security-policy": CONTENT_SECURITY_POLICY,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
};

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/**
 * Serves the built page from `distDir`: files under `assets/` carry a content hash and are
 * cached for a year; any other path without a file extension is the single-page app itself.
 */
export function dashboardPage(distDir: string) {
  const root = resolve(distDir);
  const index = resolve(root, "index.html");
  return new Elysia({ name: "dashboard-page" }).get("/*", async ({ request }) => {
    let pathname: string;
    try {
      pathname = decodeURIComponent(new URL(request.url).pathname);
    } catch {
      return new HttpError(400, "the path is not valid URL encoding").toResponse();
    }
    const target = resolve(root, `.${pathname}`);
    const inside = target === root || target.startsWith(root + sep);
    if (inside && target !== root && (await isFile(target))) {
      const immutable = target.startsWith(resolve(root, "assets") + sep);
      return new Response(Bun.file(target), {
        headers: { ...PAGE_HEADERS, "cache-control": immutable ? "public, max-age=31536000, immutable" : "no-cache" },
      });
    }
    if (!inside || extname(pathname) !== "") return new HttpError(404, `there is no file at ${pathname}`).toResponse();
    if (!(await isFile(index))) {
      return new HttpError(503, `the dashboard page is not built: run 'bunx --bun vite build' in web/ (looked in ${root})`).toResponse();
    }
    return new Response(Bun.file(index), {
      headers: { ...PAGE_HEADERS, "content-type": "text/html; charset=utf-8", "cache-control": "no-cache" },
    });
  });
}
