import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

/**
 * widget.js is loaded on every page view of every visitor of a site that embeds Coview, so it is
 * only a loader (widget/index.ts): the button and `window.Coview`. Built here as scripts/build.mjs
 * builds it (bundled, minified, UTF-8), in memory.
 */
const LOADER_BUDGET_GZIP = 10 * 1024;

async function buildLoader() {
  const result = await build({
    entryPoints: ['widget/index.ts'],
    absWorkingDir: new URL('../..', import.meta.url).pathname,
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: ['chrome100', 'firefox100', 'safari15'],
    minify: true,
    charset: 'utf8',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    define: { __COVIEW_VERSION__: '"0.0.0"', 'process.env.NODE_ENV': '"production"', global: 'globalThis' },
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  return { bytes: result.outputFiles[0]!.contents, inputs: Object.keys(result.metafile.inputs) };
}

describe('widget.js, the loader', () => {
  it(`weighs at most ${LOADER_BUDGET_GZIP / 1024} KiB gzipped`, async () => {
    const { bytes } = await buildLoader();
    const gzipped = gzipSync(bytes, { level: 9 }).length;
    console.log(`widget.js (loader): ${(bytes.length / 1024).toFixed(1)} KiB minified, ${(gzipped / 1024).toFixed(1)} KiB gzip`);
    expect(gzipped).toBeLessThanOrEqual(LOADER_BUDGET_GZIP);
  });

  it('carries no capture, transport, session or Preact code, nor the full catalogue (those load on demand)', async () => {
    const { inputs } = await buildLoader();
    const onDemand = inputs.filter((path) => /node_modules|widget\/(transport|agent)\/|host\/capture\.ts|session\/host-session\.ts|ui\/host-widget\.tsx|i18n\/widget-messages\.ts/.test(path));
    expect(onDemand).toEqual([]);
    expect(inputs).toContain('widget/index.ts');
  });
});
