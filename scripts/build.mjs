// Builds the two browser bundles (widget.js for customers' pages, join.js for agents), the npm
// package's ES module (coview.js) and the server (server.js, the `coview-server` bin, and
// server-api.js for `coview/server`); the package's .d.ts come from `npm run build:types`. One
// esbuild call each; simple-peer is aliased to its self-contained browser build so no Node
// polyfills are needed in the browser.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const root = new URL('..', import.meta.url).pathname;

/**
 * rrweb-snapshot 2.x checks that a page has not patched the DOM accessors it uses, and lists
 * `querySelector`/`querySelectorAll` as *accessors* of Element (they are methods, with no getter).
 * So the check always fails for Element, and rrweb builds a hidden <iframe> for a clean prototype
 * on the first snapshot: a new browsing context, 100–500 ms of the customer's main thread on a
 * slow phone, right when sharing starts. Listed as methods, the check passes on an unpatched page
 * and still catches a patched one. The build fails if rrweb's text changes, so this is never lost silently.
 */
const rrwebUntaintedCheck = {
  name: 'rrweb-untainted-check',
  setup(b) {
    b.onLoad({ filter: /rrweb-snapshot[\\/]dist[\\/]rrweb-snapshot\.js$/ }, (args) => {
      const text = readFileSync(args.path, 'utf8');
      const accessors = /(testableAccessors = \{[\s\S]*?Element: \[\s*"shadowRoot"),\s*"querySelector",\s*"querySelectorAll"\s*\]/;
      const methods = /(testableMethods = \{[\s\S]*?Element: )\[\]/;
      if (!accessors.test(text) || !methods.test(text)) throw new Error(`rrweb-snapshot changed: update the untainted-check fix in scripts/build.mjs (${args.path})`);
      return { contents: text.replace(accessors, '$1]').replace(methods, '$1["querySelector", "querySelectorAll"]'), loader: 'js' };
    });
  },
};

const browser = {
  plugins: [rrwebUntaintedCheck],
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

/** Node code: dependencies stay packages (installed beside Coview), not bundled. */
const node = { bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', absWorkingDir: root, logLevel: 'warning' };

// `--test` adds test-only bundles (tests/support/*-entry.ts) to dist/test/.
const testBundles = process.argv.includes('--test')
  ? [build({ ...browser, minify: false, entryPoints: ['tests/support/loopback-entry.ts'], outfile: 'dist/test/loopback.js' })]
  : [];

await Promise.all([
  ...testBundles,
  build({ ...browser, entryPoints: ['widget/index.ts'], outfile: 'dist/widget.js' }),
  build({ ...browser, entryPoints: ['widget/join.ts'], outfile: 'dist/join.js' }),
  // `import … from 'coview'` (the npm package): the widget as an ES module, self-contained like
  // widget.js (its dependencies are bundled with the same fixes), so any bundler takes it as it is.
  build({ ...browser, entryPoints: ['widget/module.ts'], outfile: 'dist/coview.js', format: 'esm' }),
  // The server's files sit directly in dist/: createAppServer finds dist/ and demo/ one folder up.
  build({ ...node, entryPoints: ['signaling/main.ts'], outfile: 'dist/server.js', banner: { js: '#!/usr/bin/env node' } }),
  build({ ...node, entryPoints: ['signaling/index.ts'], outfile: 'dist/server-api.js' }),
]);
