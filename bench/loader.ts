/**
 * `npm run bench:loader`: what the widget's tag costs a page view that never shares (almost
 * all of them). The demo shop is loaded in real Chromium from the real server, with and without
 * `<script src="/widget.js" async>`, the CPU slowed down like a mid-range phone; the main thread's
 * long tasks (PerformanceObserver `longtask`) are read from navigation until 1.5 s after `load`.
 * Printed figures, nothing here can fail.
 *
 * - total blocking time: each long task's time over 50 ms, summed (from navigation, not from
 *   first contentful paint as Lighthouse does: anything the tag adds counts);
 * - longest task, and the longest run of widget.js inside a long animation frame (Long Animation
 *   Frames' script attribution: 0 when the loader never ran in a frame over 50 ms);
 * - main-thread task time (CDP Performance.getMetrics TaskDuration) and script time;
 * - bytes: widget.js (the loader) and widget-core.js (loaded on demand), minified and gzipped.
 */
import { readFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import type { Page } from 'playwright-core';
import { launchChromium, newPerson } from '../tests/support/browser.js';
import { startServer } from '../tests/support/server.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const CPU_SLOWDOWN = Number(process.env.BENCH_CPU ?? 4);
const TAG = '<script src="/widget.js" async></script>';
const server = await startServer();
const browser = await launchChromium();
const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;

const shop = await (await fetch(`${server.url}/`)).text();
if (!shop.includes(TAG)) throw new Error(`the demo shop no longer has ${TAG}: update bench/loader.ts`);
const variants = { 'without the tag': shop.replace(TAG, ''), 'with the tag': shop };

interface Run {
  tbt: number;
  longest: number;
  longTasks: number;
  /** The longest run of widget.js inside a long animation frame (0: it never ran in one). */
  widgetScript: number;
  taskMs: number;
  scriptMs: number;
  widget: boolean;
}

async function loadOnce(html: string): Promise<Run> {
  const context = await newPerson(browser, server.url);
  const page: Page = await context.newPage();
  // Both variants are served the same way: the page itself from here, everything it loads from the server.
  await page.route(`${server.url}/`, (route) => route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: html }));
  await page.addInitScript(() => {
    const tasks: number[] = [];
    const widgetInLongFrames: number[] = [];
    Object.assign(window, { __longTasks: tasks, __widgetInLongFrames: widgetInLongFrames });
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) tasks.push(entry.duration);
    }).observe({ type: 'longtask', buffered: true });
    // Long Animation Frames name the scripts that ran in a frame over 50 ms: widget.js's share of them.
    try {
      new PerformanceObserver((list) => {
        for (const entry of list.getEntries() as unknown as { scripts: { sourceURL: string; duration: number }[] }[]) {
          for (const script of entry.scripts) if (/\/widget(-core)?\.js$/.test(script.sourceURL)) widgetInLongFrames.push(script.duration);
        }
      }).observe({ type: 'long-animation-frame', buffered: true });
    } catch {
      // No Long Animation Frames in this browser: the column stays 0.
    }
  });
  const cdp = await context.newCDPSession(page);
  await cdp.send('Performance.enable');
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: CPU_SLOWDOWN });
  await page.goto(`${server.url}/`, { waitUntil: 'load' });
  await page.waitForTimeout(1500);
  const { tasks, widgetInLongFrames } = await page.evaluate(() => {
    const seen = window as unknown as { __longTasks: number[]; __widgetInLongFrames: number[] };
    return { tasks: seen.__longTasks, widgetInLongFrames: seen.__widgetInLongFrames };
  });
  const { metrics } = (await cdp.send('Performance.getMetrics')) as { metrics: { name: string; value: number }[] };
  const metric = (name: string) => (metrics.find((m) => m.name === name)?.value ?? 0) * 1000;
  const widget = await page.evaluate(() => document.querySelector('[data-coview-widget]') !== null);
  await context.close();
  return {
    tbt: tasks.reduce((sum, d) => sum + Math.max(0, d - 50), 0),
    longest: Math.max(0, ...tasks),
    longTasks: tasks.length,
    widgetScript: Math.max(0, ...widgetInLongFrames),
    taskMs: metric('TaskDuration'),
    scriptMs: metric('ScriptDuration'),
    widget,
  };
}

const results: Record<string, Run[]> = { 'without the tag': [], 'with the tag': [] };
// Interleaved, so a busy moment of the machine falls on both.
await loadOnce(shop); // warm the server's and the browser's first-run costs
for (let i = 0; i < RUNS; i++) {
  for (const [label, html] of Object.entries(variants)) results[label]!.push(await loadOnce(html));
}
if (results['with the tag']!.some((r) => !r.widget) || results['without the tag']!.some((r) => r.widget)) throw new Error('a run did not load what it was meant to');

console.log(`\nDemo shop page load, CPU ${CPU_SLOWDOWN}× slower, median of ${RUNS} (navigation → load + 1.5 s)\n`);
const rows: [string, (r: Run) => number, string][] = [
  ['total blocking time', (r) => r.tbt, 'ms'],
  ['longest task', (r) => r.longest, 'ms'],
  ['long tasks (> 50 ms)', (r) => r.longTasks, ''],
  ['widget.js in long frames', (r) => r.widgetScript, 'ms'],
  ['main-thread task time', (r) => r.taskMs, 'ms'],
  ['script time', (r) => r.scriptMs, 'ms'],
];
console.log(`${''.padEnd(24)}${'without the tag'.padStart(18)}${'with the tag'.padStart(16)}`);
for (const [name, pick, unit] of rows) {
  const cell = (label: string) => `${median(results[label]!.map(pick)).toFixed(unit ? 1 : 0)} ${unit}`.trim();
  console.log(`${name.padEnd(24)}${cell('without the tag').padStart(18)}${cell('with the tag').padStart(16)}`);
}

console.log('\nBytes (dist/)');
for (const file of ['widget.js', 'widget-core.js']) {
  const body = await readFile(new URL(`../dist/${file}`, import.meta.url));
  const role = file === 'widget.js' ? 'the loader, on every page view' : 'loaded when the customer shares';
  console.log(`${file.padEnd(16)}${kib(body.length).padStart(10)} minified ${kib(gzipSync(body, { level: 9 }).length).padStart(10)} gzip   (${role})`);
}

await browser.close();
await server.close();
