import { defineConfig } from "vite";

// `npm run dev` proxies the API to a running job-api (make up), so the UI can be worked on with hot reload.
export default defineConfig({
  base: "/",
  build: { outDir: "dist", emptyOutDir: true, sourcemap: false, target: "es2022" },
  server: {
    proxy: { "/v1": "http://127.0.0.1:8080", "/openapi.json": "http://127.0.0.1:8080" },
  },
});
