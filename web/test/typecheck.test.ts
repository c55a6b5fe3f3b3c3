import { expect, test } from "bun:test";
import { join } from "node:path";

const web = join(import.meta.dir, "..");

// The root tsconfig leaves web/ out: the Vue files need vue-tsc and the page's own settings.
test("the dashboard's TypeScript and Vue files type-check (vue-tsc)", () => {
  const result = Bun.spawnSync(
    [process.execPath, join(web, "node_modules", "vue-tsc", "bin", "vue-tsc.js"), "--noEmit", "-p", "tsconfig.json"],
    {
      cwd: web,
    },
  );
  const output = `${result.stdout.toString()}${result.stderr.toString()}`;
  expect(output).toBe("");
  expect(result.exitCode).toBe(0);
}, 180_000);
