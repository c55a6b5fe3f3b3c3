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

/** The encodings an `Accept-Encoding` header accepts (those not given `q=0`). */
export function acceptedEncodings(header: string | null): Set<string> {
  const accepted = new Set<string>();
  for (const part of (header ?? "").toLowerCase().split(",")) {
    const [name, ...params] = part.split(";").map((piece) => piece.trim());
    const q = params.find((param) => param.startsWith("q="));
    if (name && !(q && Number(q.slice(2)) === 0)) accepted.add(name);
  }
  return accepted;
}

/** The precompressed twin the client accepts (`.br` before `.gz`), written next to each file by the build. */
async function precompressed(target: string, acceptEncoding: string | null): Promise<{ path: string; encoding: string } | null> {
  const accepted = acceptedEncodings(acceptEncoding);
  for (const [encoding, suffix] of [
    ["br", ".br"],
    ["gzip", ".gz"],
  ] as const) {
    if (accepted.has(encoding) && (await isFile(target + suffix))) return { path: target + suffix, encoding };
  }
  return null;
}

/** A built file, precompressed when the client takes it; `type` is the original file's content type. */
async function builtFile(target: string, request: Request, headers: Record<string, string>): Promise<Response> {
  const type = Bun.file(target).type;
  const twin = await precompressed(target, request.headers.get("accept-encoding"));
  const common = { ...PAGE_HEADERS, ...headers, "content-type": type, vary: "accept-encoding" };
  if (!twin) return new Response(Bun.file(target), { headers: common });
  return new Response(Bun.file(twin.path), { headers: { ...common, "content-encoding": twin.encoding } });
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
      return builtFile(target, request, { "cache-control": immutable ? "public, max-age=31536000, immutable" : "no-cache" });
    }
    if (!inside || extname(pathname) !== "") return new HttpError(404, `there is no file at ${pathname}`).toResponse();
    if (!(await isFile(index))) {
      return new HttpError(503, `the dashboard page is not built: run 'bunx --bun vite build' in web/ (looked in ${root})`).toResponse();
    }
    return builtFile(index, request, { "cache-control": "no-cache" });
  });
}
