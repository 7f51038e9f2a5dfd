import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

/**
 * widget.js is loaded on every page view of every visitor of a site that embeds Coview, so it is
 * only a loader (widget/index.ts): the button and `window.Coview`. Built here as scripts/build.mjs
 * builds it (bundled, minified, UTF-8), in memory. Its gzip budget (10 KiB) is with every bundle's
 * in scripts/check-sizes.mjs; this checks what it is made of, which is what keeps it small.
 */

async function buildBundle(entry: string) {
  const result = await build({
    entryPoints: [entry],
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
  it('carries no capture, transport, session or Preact code, nor the full catalogue (those load on demand)', async () => {
    const { bytes, inputs } = await buildBundle('widget/index.ts');
    console.log(`widget.js (loader): ${(bytes.length / 1024).toFixed(1)} KiB minified, ${(gzipSync(bytes, { level: 9 }).length / 1024).toFixed(1)} KiB gzip`);
    const onDemand = inputs.filter((path) => /node_modules|widget\/(transport|agent)\/|host\/capture\.ts|session\/host-session\.ts|ui\/host-widget\.tsx|i18n\/widget-(messages|en)\.ts/.test(path));
    expect(onDemand).toEqual([]);
    expect(inputs).toContain('widget/index.ts');
  });
});

describe('widget-core.js, the rest of the widget', () => {
  it('loaded on demand, carries English only: the other languages are fetched from widget-text/', async () => {
    const { inputs } = await buildBundle('widget/core.ts');
    expect(inputs).toContain('widget/i18n/widget-en.ts');
    expect(inputs).not.toContain('widget/i18n/widget-messages.ts');
  });
});
