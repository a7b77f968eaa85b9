import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";
import { WxtVitest } from "wxt/testing/vitest-plugin";

const root = fileURLToPath(new URL("..", import.meta.url));

export default defineConfig({
  root,
  test: {
    // A poll waits for what a loaded CI machine may be slow to show (a round trip, a render, a renewal);
    // a poll that is met returns at once, so only a failing one takes this long.
    expect: { poll: { timeout: 10_000 } },
    projects: [
      {
        extends: true,
        test: {
          name: "agent",
          include: ["test/agent/**/*.test.ts", "test/shared/**/*.test.ts"],
        },
      },
      {
        extends: true,
        test: {
          name: "storage",
          include: ["test/store/**/*.test.ts"],
          globalSetup: ["test/support/postgres-server.ts"],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        extends: true,
        plugins: [WxtVitest()],
        test: { name: "extension", include: ["test/extension/**/*.test.ts", "test/conventions.test.ts"] },
      },
      {
        extends: true,
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          testTimeout: 180_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
