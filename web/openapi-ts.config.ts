import { defineConfig } from "@hey-api/openapi-ts";

export default defineConfig({
  input: "./openapi.json",
  output: { path: "src/client", format: false, lint: false },
  plugins: ["@hey-api/client-fetch", "@hey-api/typescript", { name: "@hey-api/sdk", asClass: true }],
});
