import { describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deployDir, find, render } from "./lib/manifests.ts";

describe("load-generator component", () => {
  test("its replay script is valid TypeScript and runs the project's load tool through both routes", () => {
    const source = readFileSync(join(deployDir, "components", "load-generator", "replay.ts"), "utf8");
    expect(() => new Bun.Transpiler({ loader: "ts" }).transformSync(source)).not.toThrow();
    expect(source).toContain('["--target", target, "--route", "both", "--amount", amount, "--out", "/tmp/load-report.json"]');
    expect(source).toContain('"load/src/cli.ts", ...args');
  });

  test("may read only the marimba Ingress from the API server", () => {
    const objects = render(["load-generator"]);
    const rules = find(objects, "Role", "load-generator")?.rules;
    expect(rules).toEqual([{ apiGroups: ["networking.k8s.io"], resources: ["ingresses"], resourceNames: ["marimba"], verbs: ["get"] }]);
    expect(find(objects, "Ingress", "marimba")).toBeDefined();
  });

  test("with LOAD_TARGET set, waits until the target routes votes, then runs the load tool with both routes", async () => {
    let answers = 0;
    // Answers 503 first, like an Ingress whose backends are not ready yet, then 404 (routed, wrong method).
    const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response(null, { status: answers++ === 0 ? 503 : 404 }) });
    const workdir = mkdtempSync(join(tmpdir(), "marimba-replay-"));
    try {
      mkdirSync(join(workdir, "load", "src"), { recursive: true });
      writeFileSync(join(workdir, "load", "src", "cli.ts"), "console.log(JSON.stringify(process.argv.slice(2)));\n");
      const script = join(deployDir, "components", "load-generator", "replay.ts");
      const run = Bun.spawn([process.execPath, script], {
        cwd: workdir,
        env: { ...process.env, LOAD_TARGET: server.url.origin, LOAD_AMOUNT: "7", WAIT_SECONDS: "30", RETRY_SECONDS: "0.1" },
        stdout: "pipe",
      });
      expect(await run.exited).toBe(0);
      const output = await new Response(run.stdout).text();
      expect(output).toContain(
        JSON.stringify(["--target", server.url.origin, "--route", "both", "--amount", "7", "--out", "/tmp/load-report.json"]),
      );
      expect(answers).toBeGreaterThanOrEqual(2);
    } finally {
      server.stop(true);
      rmSync(workdir, { recursive: true, force: true });
    }
  });
});
