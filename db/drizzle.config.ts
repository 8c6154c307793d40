import { defineConfig } from "drizzle-kit";

// Generates SQL migrations from db/schema; `openStore()` applies them on start.
export default defineConfig({
  dialect: "postgresql",
  schema: "./db/schema/index.ts",
  out: "./db/migrations",
});
