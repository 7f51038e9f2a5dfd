import { defineConfig } from 'vitest/config';

// Two projects: fast node-only unit tests, and end-to-end tests that drive real Chromium against a
// real signaling server (run inside a loopback-only network namespace by scripts/test.sh).
export default defineConfig({
  test: {
    reporters: ['default', './tests/support/summary-reporter.ts'],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['tests/unit/**/*.test.ts'],
          environment: 'node',
          // A few unit tests are seconds of honest CPU (deflating megabytes, thousands of fuzz
          // cases); with both cores busy they take several times that. Not a wait: a bound.
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['tests/e2e/**/*.e2e.test.ts'],
          environment: 'node',
          globalSetup: ['tests/e2e/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          // One Chromium at a time: the machine has two cores and WebRTC needs both pages responsive.
          fileParallelism: false,
        },
      },
    ],
  },
});
