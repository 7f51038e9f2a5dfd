// Builds the browser bundles (widget.js and widget-core.js for customers' pages, join.js for agents,
// with their texts in other languages as dist/widget-text/ and dist/join-text/<locale>.json), the npm
// package's ES module (coview.js) and the server (server.js, the `coview-server` bin, and
// server-api.js for `coview/server`); the package's .d.ts come from `npm run build:types`. One
// esbuild call each; the plugins below fix rrweb-snapshot (no postcss) and build simple-peer
// from source without Node polyfills. scripts/check-sizes.mjs holds every bundle's size budget.
import { build } from 'esbuild';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
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
  accessors: /(testableAccessors = \{[\s\S]*?Element: \[\s*"shadowRoot"),\s*"querySelector",\s*"querySelectorAll"\s*\]/,
  methods: /(testableMethods = \{[\s\S]*?Element: )\[\]/,
  fix(text, path) {
    if (!this.accessors.test(text) || !this.methods.test(text)) throw new Error(`rrweb-snapshot changed: update the untainted-check fix in scripts/build.mjs (${path})`);
    return text.replace(this.accessors, '$1]').replace(this.methods, '$1["querySelector", "querySelectorAll"]');
  },
};

/**
 * rrweb-snapshot bundles postcss (~50 KiB minified, 18 KiB gzip) for one job: `adaptCssForReplay`
 * adds the `.\:hover` copies and device-query rewrites the agent's mirror needs. widget/agent/adapt-css.ts
 * does the same in one pass (tested against rrweb's own output), so postcss goes from every bundle.
 * rrweb also loads postcss eagerly at the top level (`var import_postcss = __toESM(require_postcss())`
 * and bare `import_postcss.default.parse;` re-exports), which esbuild must keep; loaded on demand,
 * and never called, it tree-shakes away. `noPostcss` checks that it did.
 */
const postcssOut = {
  call: /^(\t\tresult = )postcss_default\(\[mediaSelectorPlugin, pseudoClassPlugin\]\)\.process\(cssText\)\.css;$/m,
  load: /^var import_postcss = \/\* @__PURE__ \*\/ __toESM\(\(\/\* @__PURE__ \*\/ __commonJSMin\(\(\(exports, module\) => \{$([\s\S]*?)^\}\)\)\)\(\), 1\);$/m,
  binding: /^var postcss_default = import_postcss\.default;$/m,
  reExports: /^import_postcss\.default\.\w+;$/gm,
  fix(text, path) {
    if (!this.call.test(text) || !this.load.test(text) || !this.binding.test(text) || (text.match(this.reExports) ?? []).length < 10)
      throw new Error(`rrweb-snapshot changed: update the postcss fix in scripts/build.mjs (${path})`);
    return (
      'import { adaptCss } from "./widget/agent/adapt-css.ts";\n' +
      text
        .replace(this.call, '$1adaptCss(cssText);')
        .replace(this.load, 'var require_postcss = /* @__PURE__ */ __commonJSMin(((exports, module) => {$1}));')
        .replace(this.binding, 'var postcss_default = (plugins) => __toESM(require_postcss(), 1).default(plugins);')
        .replace(this.reExports, '')
    );
  },
};

const rrwebFixes = {
  name: 'rrweb-fixes',
  setup(b) {
    b.onLoad({ filter: /rrweb-snapshot[\\/]dist[\\/]rrweb-snapshot\.js$/ }, (args) => {
      const text = readFileSync(args.path, 'utf8');
      return { contents: postcssOut.fix(rrwebUntaintedCheck.fix(text, args.path), args.path), loader: 'js', resolveDir: root };
    });
  },
};

/** The build fails if postcss is in a browser bundle again. */
const noPostcss = {
  name: 'no-postcss',
  setup(b) {
    b.initialOptions.write = false;
    b.onEnd((result) => {
      for (const file of result.outputFiles ?? []) {
        if (file.path.endsWith('.js') && /CssSyntaxError|postcss/.test(file.text)) throw new Error(`${file.path}: postcss is back in a browser bundle (see postcssOut in scripts/build.mjs)`);
        mkdirSync(dirname(file.path), { recursive: true });
        writeFileSync(file.path, file.contents);
      }
    });
  },
};

/**
 * simple-peer from its source, not its prebuilt browser build (96 KiB minified, most of it
 * browserify's Node polyfills: streams, Buffer, process, events). Its Node dependencies become the
 * browser's own: a Duplex with the part of readable-stream it uses (widget/transport/peer-stream.ts),
 * Uint8Array for Buffer, crypto.getRandomValues, queueMicrotask, and no debug logging. The build
 * fails if simple-peer's source needs anything else, so an update can't bring a polyfill back silently.
 */
const simplePeerShims = {
  debug: 'module.exports = () => () => {};',
  'queue-microtask': 'module.exports = (callback) => queueMicrotask(callback);',
  randombytes: 'module.exports = (n) => ({ toString: () => Array.from(crypto.getRandomValues(new Uint8Array(n)), (byte) => byte.toString(16).padStart(2, "0")).join("") });',
  // Only `Buffer.from(arrayBuffer)`, for a binary message: peer.ts takes any Uint8Array.
  buffer: 'exports.Buffer = { from: (bytes) => new Uint8Array(bytes) };',
  'readable-stream': 'module.exports = require("./widget/transport/peer-stream.ts");',
};
const simplePeerRequires = [...Object.keys(simplePeerShims), 'get-browser-rtc', 'err-code'];

const simplePeerFromSource = {
  name: 'simple-peer-from-source',
  setup(b) {
    const source = require.resolve('simple-peer/index.js');
    b.onResolve({ filter: /^simple-peer$/ }, () => ({ path: source }));
    b.onLoad({ filter: /simple-peer[\\/]index\.js$/ }, (args) => {
      const text = readFileSync(args.path, 'utf8');
      const requires = [...text.matchAll(/require\('([^']+)'\)/g)].map((match) => match[1]).sort();
      const buffers = text.match(/Buffer\.\w+/g) ?? [];
      if (requires.join() !== [...simplePeerRequires].sort().join() || buffers.some((use) => use !== 'Buffer.from'))
        throw new Error(`simple-peer changed (requires ${requires.join(', ')}; uses ${buffers.join(', ')}): update simplePeerShims in scripts/build.mjs (${args.path})`);
      return { contents: text, loader: 'js' };
    });
    b.onResolve({ filter: new RegExp(`^(${Object.keys(simplePeerShims).join('|')})$`) }, (args) =>
      args.importer === source ? { path: args.path, namespace: 'simple-peer-shim' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'simple-peer-shim' }, (args) => ({ contents: simplePeerShims[args.path], loader: 'js', resolveDir: root }));
  },
};

/**
 * The widget's and the join page's CSS (`const NAME_CSS = \`…\`` in widget/ui/*-css.ts) without its
 * comments and spare whitespace: written to be read, and shipped to every customer who shares
 * (~0.5 KiB gzip of widget-core.js). Only whitespace is removed, never inside a quoted string.
 */
const cssLiterals = {
  name: 'css-literals',
  setup(b) {
    b.onLoad({ filter: /widget[\\/]ui[\\/][\w-]+-css\.ts$/ }, (args) => {
      const text = readFileSync(args.path, 'utf8');
      let found = 0;
      const contents = text.replace(/(const \w+ = )`([^`]*)`;/g, (_whole, head, css) => {
        found++;
        // Comments first (their apostrophes are not quotes), then whitespace outside quoted strings.
        const pieces = css.replace(/\/\*[\s\S]*?\*\//g, '').split(/("[^"\n]*"|'[^'\n]*')/);
        const squeezed = pieces
          .map((piece, i) => (i % 2 ? piece : piece.replace(/\s+/g, ' ').replace(/ ?([{};,>]) ?/g, '$1').replace(/: /g, ':')))
          .join('')
          .trim();
        return `${head}\`${squeezed}\`;`;
      });
      if (found === 0) throw new Error(`${args.path}: no \`const NAME = \`…\`;\` CSS found (see cssLiterals in scripts/build.mjs)`);
      return { contents, loader: 'ts' };
    });
  },
};

const browser = {
  plugins: [rrwebFixes, noPostcss, simplePeerFromSource, cssLiterals],
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

/**
 * The texts of the join page and of the widget in each language but English (built into join.js
 * and widget-core.js), as dist/join-text/<locale>.json and dist/widget-text/<locale>.json: each side
 * fetches only its own language, so neither carries nine languages every user but a few never reads.
 * The catalogues are bundled for Node and read here.
 */
async function writeTexts() {
  const sides = [
    { entry: 'widget/i18n/join-messages.ts', name: 'JOIN_MESSAGES', folder: 'join-text' },
    { entry: 'widget/i18n/widget-messages.ts', name: 'WIDGET_MESSAGES', folder: 'widget-text' },
  ];
  const { outputFiles } = await build({ ...node, entryPoints: Object.fromEntries(sides.map((side) => [side.folder, side.entry])), outdir: 'dist/texts', write: false });
  for (const { name, folder } of sides) {
    const bundled = outputFiles.find((file) => file.path.endsWith(`/${folder}.js`));
    const catalogues = (await import(`data:text/javascript;base64,${Buffer.from(bundled.text).toString('base64')}`))[name];
    mkdirSync(new URL(`../dist/${folder}/`, import.meta.url), { recursive: true });
    for (const [locale, texts] of Object.entries(catalogues)) {
      if (locale !== 'en') writeFileSync(new URL(`../dist/${folder}/${locale}.json`, import.meta.url), JSON.stringify(texts));
    }
  }
}

await Promise.all([
  ...testBundles,
  writeTexts(),
  // widget.js is the loader (the button and `window.Coview`); it loads widget-core.js, the rest, when needed.
  build({ ...browser, entryPoints: ['widget/index.ts'], outfile: 'dist/widget.js' }),
  build({ ...browser, entryPoints: ['widget/core.ts'], outfile: 'dist/widget-core.js' }),
  build({ ...browser, entryPoints: ['widget/join.ts'], outfile: 'dist/join.js' }),
  // `import … from 'coview'` (the npm package): the widget as an ES module, self-contained like
  // widget.js (its dependencies are bundled with the same fixes), so any bundler takes it as it is.
  build({ ...browser, entryPoints: ['widget/module.ts'], outfile: 'dist/coview.js', format: 'esm' }),
  // The server's files sit directly in dist/: createAppServer finds dist/ and demo/ one folder up.
  build({ ...node, entryPoints: ['signaling/main.ts'], outfile: 'dist/server.js', banner: { js: '#!/usr/bin/env node' } }),
  build({ ...node, entryPoints: ['signaling/index.ts'], outfile: 'dist/server-api.js' }),
]);
