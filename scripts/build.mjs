// Builds the two browser bundles (widget.js for customers' pages, join.js for agents) and the
// server. One esbuild call each; simple-peer is aliased to its self-contained browser build so no
// Node polyfills are needed in the browser.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const root = new URL('..', import.meta.url).pathname;

const browser = {
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: ['chrome100', 'firefox100', 'safari15'],
  minify: true,
  sourcemap: true,
  // Catalogues in Arabic and Japanese: as UTF-8 they weigh a third of their \u escapes (the bundles are served as UTF-8).
  charset: 'utf8',
  jsx: 'automatic',
  jsxImportSource: 'preact',
  alias: { 'simple-peer': require.resolve('simple-peer/simplepeer.min.js') },
  define: { __COVIEW_VERSION__: JSON.stringify(version), 'process.env.NODE_ENV': '"production"', global: 'globalThis' },
  absWorkingDir: root,
  logLevel: 'warning',
};

// `--test` adds test-only bundles (tests/support/*-entry.ts) to dist/test/.
const testBundles = process.argv.includes('--test')
  ? [build({ ...browser, minify: false, entryPoints: ['tests/support/loopback-entry.ts'], outfile: 'dist/test/loopback.js' })]
  : [];

await Promise.all([
  ...testBundles,
  build({ ...browser, entryPoints: ['widget/index.ts'], outfile: 'dist/widget.js' }),
  build({ ...browser, entryPoints: ['widget/join.ts'], outfile: 'dist/join.js' }),
  build({
    entryPoints: ['signaling/main.ts'],
    outfile: 'dist/server.js',
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    absWorkingDir: root,
    logLevel: 'warning',
  }),
]);
