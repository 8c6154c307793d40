import { defineConfig } from "vitest/config";

// Separate from vite.config.ts so the Remix plugin is not loaded for tests.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["tests/unit/**/*.test.ts"],
          environment: "node",
        },
      },
      {
        test: {
          name: "integration",
          include: ["tests/integration/**/*.test.ts"],
          environment: "node",
          testTimeout: 60_000,
          hookTimeout: 60_000,
          fileParallelism: false,
          setupFiles: ["tests/setup/fail-on-console-error.ts"],
        },
      },
    ],
  },
});
