import vue from "@vitejs/plugin-vue";
import { defineConfig } from "vite";

/** Builds the page into `web/dist`, which the API serves; `vite` alone proxies the API for page work. */
export default defineConfig({
  root: import.meta.dirname,
  plugins: [vue()],
  build: { outDir: "dist", emptyOutDir: true, target: "es2022", reportCompressedSize: true },
  server: { proxy: { "/api": `http://127.0.0.1:${process.env.PORT ?? 8088}` } },
});
