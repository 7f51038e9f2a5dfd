import { execFileSync } from 'node:child_process';

// The e2e tests load the real bundles the server serves, so build them once first (both e2e
// projects name this setup; it runs in vitest's own process, so once per run is enough).
export default function setup(): void {
  if (process.env.COVIEW_TEST_BUNDLES_BUILT) return;
  execFileSync(process.execPath, ['scripts/build.mjs', '--test'], { stdio: 'inherit' });
  process.env.COVIEW_TEST_BUNDLES_BUILT = '1';
}
