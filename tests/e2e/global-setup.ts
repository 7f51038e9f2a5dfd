import { execFileSync } from 'node:child_process';

// The e2e tests load the real bundles the server serves, so build them once first.
export default function setup(): void {
  execFileSync(process.execPath, ['scripts/build.mjs', '--test'], { stdio: 'inherit' });
}
