import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";
import vue from "@vitejs/plugin-vue";
import { defineConfig, type Plugin } from "vite";

const COMPRESSIBLE = /\.(js|css|html|svg|json)$/;

/** Writes `.br` and `.gz` beside every built text file, so the server sends them precompressed (never compressing per request). */
function precompress(): Plugin {
  let outDir = "";
  return {
    name: "marimba-precompress",
    apply: "build",
    configResolved(config) {
      outDir = join(config.root, config.build.outDir);
    },
    closeBundle() {
      const walk = (dir: string): string[] =>
        readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
          entry.isDirectory() ? walk(join(dir, entry.name)) : COMPRESSIBLE.test(entry.name) ? [join(dir, entry.name)] : [],
        );
      for (const file of walk(outDir)) {
        const content = readFileSync(file);
        writeFileSync(`${file}.br`, brotliCompressSync(content, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }));
        writeFileSync(`${file}.gz`, gzipSync(content, { level: 9 }));
      }
    },
  };
}

/** Builds the page into `web/dist`, which the API serves; `vite` alone proxies the API for page work. */
export default defineConfig({
  root: import.meta.dirname,
  plugins: [vue(), precompress()],
  build: { outDir: "dist", emptyOutDir: true, target: "es2022", reportCompressedSize: true },
  server: { proxy: { "/api": `http://127.0.0.1:${process.env.PORT ?? 8088}` } },
});
