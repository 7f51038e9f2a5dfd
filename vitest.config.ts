import { defineConfig } from 'vitest/config';

/**
 * End-to-end files that must run alone: the throttled joins time the product against a bound (10 s
 * to an equal mirror on a slow phone), and two files rebuild dist/ (the secrets check, and
 * `npm pack`'s prepack), which every other file serves to its browsers.
 */
const ALONE = ['corpus', 'joins', 'bundle-secrets', 'package'].map((name) => `tests/e2e/${name}.e2e.test.ts`);

const e2e = {
  environment: 'node' as const,
  globalSetup: ['tests/e2e/global-setup.ts'],
  testTimeout: 60_000,
  hookTimeout: 60_000,
};

// Three projects: fast node-only unit tests and end-to-end tests that drive real browsers against
// real servers (inside a loopback-only network namespace, by scripts/test.sh) run in one group, two
// files at a time (vitest shares the group's workers between the two projects). Each e2e file runs
// its own servers on free ports and its own browsers, and most of their time is spent waiting on
// the network and the product's own timers, so two such files share the machine's two cores. The
// timed and dist-rebuilding ones run in a second group afterwards, one at a time, on a machine
// nothing else uses.
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
          // Node 20's standard WebSocket (the one browsers have) is behind this flag: the widget's
          // Socket.IO client (widget/transport/socket-io.ts) runs on it in its unit tests.
          execArgv: ['--experimental-websocket'],
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          ...e2e,
          name: 'e2e',
          include: ['tests/e2e/**/*.e2e.test.ts'],
          exclude: ALONE,
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          ...e2e,
          name: 'e2e-alone',
          include: ALONE,
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
