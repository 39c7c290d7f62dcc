import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// The build lands in the Python package, which serves it at "/".
export default defineConfig({
  plugins: [react()],
  build: {
    outDir: "../src/labledger/server/static",
    emptyOutDir: true,
    chunkSizeWarningLimit: 1500,
  },
  server: { proxy: { "/api": "http://127.0.0.1:5000" } },
});
