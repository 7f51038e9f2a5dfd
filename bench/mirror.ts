/**
 * `npm run bench`: how fast and how cheaply an agent sees the customer's page, measured against
 * plain rrweb-snapshot and against a screen-share video stream. Real Chromium, real WebRTC on
 * loopback, the real server. Not a test: it prints figures, nothing here can fail.
 *
 * Clocks: both pages run in one browser on one machine and read performance.timeOrigin + now().
 *
 * Environment: BENCH_RUNS (first-render runs per page, default 5), BENCH_SESSION_SECONDS (the
 * scripted session, default 120), BENCH_UPDATES (mutation latency samples, default 200),
 * BENCH_JOINS (throttled joins per page in section 5, bench/joins.ts, default 3).
 */
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium, newPerson } from '../tests/support/browser.js';
import { startFixtureServer } from '../tests/support/fixture-server.js';
import { startServer } from '../tests/support/server.js';
import { allowTsxEvaluate, readWire, recordWire } from '../tests/support/wire.js';
import { benchJoins } from './joins.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const SESSION_SECONDS = Number(process.env.BENCH_SESSION_SECONDS ?? 120);
const UPDATES = Number(process.env.BENCH_UPDATES ?? 200);
/** The customer's CPU slowdown in section 1 (CDP Emulation.setCPUThrottlingRate): 4 is a slow phone. */
const CPU = Number(process.env.BENCH_CPU ?? 1);
/** A 1 Mbit/s screen-share stream, in bytes per minute. */
const VIDEO_BYTES_PER_MINUTE = (1_000_000 / 8) * 60;

type Server = Awaited<ReturnType<typeof startServer>>;
type Fixtures = Awaited<ReturnType<typeof startFixtureServer>>;

interface Env {
  browser: Browser;
  server: Server;
  fixtures: Fixtures;
}

/** A long animation frame from Allow on: its scripts' time split between the widget's files and the page's, and the widget's longest script. */
interface LongFrame {
  duration: number;
  widgetMs: number;
  pageMs: number;
  widgetLongest: number;
  /** The widget's longest script in it: invoker and function, for finding what to split. */
  widgetTop: string;
}

/**
 * Records, in the customer's page from Allow on (`running`), how long the main thread was blocked:
 * long tasks, the longest gap between two heartbeats, and long animation frames with their scripts
 * attributed (Long Animation Frames API) to the widget (widget.js, widget-core.js) or the page.
 */
function watchMainThread(): void {
  type State = { longest: number; longTasks: number[]; frames: LongFrame[]; running: boolean };
  const w = window as unknown as { __blocking: State };
  const state: State = (w.__blocking = { longest: 0, longTasks: [], frames: [], running: false });
  new PerformanceObserver((list) => state.running && list.getEntries().forEach((entry) => state.longTasks.push(entry.duration))).observe({ entryTypes: ['longtask'] });
  try {
    new PerformanceObserver((list) => {
      if (!state.running) return;
      for (const entry of list.getEntries() as unknown as { duration: number; scripts: { sourceURL: string; duration: number; invoker: string; sourceFunctionName: string }[] }[]) {
        const frame: LongFrame = { duration: entry.duration, widgetMs: 0, pageMs: 0, widgetLongest: 0, widgetTop: '' };
        for (const script of entry.scripts) {
          if (!/\/widget(-core)?\.js(\?|$)/.test(script.sourceURL)) {
            frame.pageMs += script.duration;
            continue;
          }
          frame.widgetMs += script.duration;
          if (script.duration > frame.widgetLongest) {
            frame.widgetLongest = script.duration;
            frame.widgetTop = `${script.invoker} ${script.sourceFunctionName}`.trim();
          }
        }
        state.frames.push(frame);
      }
    }).observe({ type: 'long-animation-frame' });
  } catch {
    // No Long Animation Frames in this browser: the attribution columns stay empty.
  }
  const channel = new MessageChannel();
  let last = performance.now();
  channel.port1.onmessage = () => {
    const now = performance.now();
    if (state.running) state.longest = Math.max(state.longest, now - last);
    last = now;
    // Heartbeats every task turn, so a gap is how long some task held the thread.
    setTimeout(() => channel.port2.postMessage(null), 0);
  };
  channel.port2.postMessage(null);
}

interface Session {
  customer: Page;
  agent: Page;
  customerContext: BrowserContext;
  agentContext: BrowserContext;
  /** Allow → first frame after the agent shows the page. */
  firstRenderMs: number;
  /** Allow → first frame after the whole page is in. */
  completeMs: number;
  close(): Promise<void>;
}

async function liveSession(env: Env, url: string): Promise<Session> {
  const customerContext = await newPerson(env.browser, env.server.url);
  await customerContext.grantPermissions(['microphone'], { origin: env.fixtures.url });
  const agentContext = await newPerson(env.browser, env.server.url);
  for (const context of [customerContext, agentContext]) await allowTsxEvaluate(context);
  await recordWire(customerContext);
  await customerContext.addInitScript(watchMainThread);
  const customer = await customerContext.newPage();
  if (CPU > 1) await (await customerContext.newCDPSession(customer)).send('Emulation.setCPUThrottlingRate', { rate: CPU });
  await customer.goto(url);
  await customer.waitForFunction(() => window.Coview !== undefined);
  const agent = await agentContext.newPage();
  await agent.goto(`${env.server.url}/join`);
  await agent.evaluate(() => {
    const w = window as unknown as { __liveAt?: Promise<number>; __completeAt?: Promise<number> };
    const when = (ready: () => boolean) =>
      new Promise<number>((resolve) => {
        const observer = new MutationObserver(() => {
          if (!ready()) return;
          observer.disconnect();
          requestAnimationFrame(() => resolve(performance.timeOrigin + performance.now()));
        });
        observer.observe(document.documentElement, { attributes: true, subtree: true, childList: true, attributeFilter: ['data-coview-state', 'data-coview-loading'] });
      });
    // First render: the page is on screen. Complete: its last snapshot part is in, too.
    w.__liveAt = when(() => document.documentElement.dataset.coviewState === 'live');
    w.__completeAt = when(() => {
      const frame = document.querySelector('[data-coview-frame]');
      return document.documentElement.dataset.coviewState === 'live' && !!frame && !frame.hasAttribute('data-coview-loading');
    });
  });
  const code = await customer.evaluate(async () => {
    const w = window as unknown as { __allowedAt: number; __blocking: { running: boolean } };
    const { code } = await window.Coview!.start({
      onJoinRequest: () => {
        w.__allowedAt = performance.timeOrigin + performance.now();
        w.__blocking.running = true;
        return true;
      },
    });
    return code;
  });
  await agent.getByLabel('Share code').fill(code);
  await agent.getByRole('button', { name: 'Join' }).click();
  const liveAt = await agent.evaluate(() => (window as unknown as { __liveAt: Promise<number> }).__liveAt);
  const completeAt = await agent.evaluate(() => (window as unknown as { __completeAt: Promise<number> }).__completeAt);
  const allowedAt = await customer.evaluate(() => (window as unknown as { __allowedAt: number }).__allowedAt);
  return {
    customer,
    agent,
    customerContext,
    agentContext,
    firstRenderMs: liveAt - allowedAt,
    completeMs: completeAt - allowedAt,
    close: async () => {
      await customer.evaluate(() => window.Coview!.stop()).catch(() => {});
      await customerContext.close();
      await agentContext.close();
    },
  };
}

interface FirstRender {
  nodes: number;
  ms: number[];
  completeMs: number[];
  longestTaskMs: number;
  longTasks: number;
  /** Long animation frames from Allow on, every run. */
  frames: LongFrame[];
  wireBytes: number;
  jsonBytes: number;
  htmlGzipBytes: number;
  rrweb: { ms: number; jsonBytes: number; gzipBytes: number };
}

async function firstRender(env: Env, url: string, runs: number): Promise<FirstRender> {
  const result: FirstRender = { nodes: 0, ms: [], completeMs: [], longestTaskMs: 0, longTasks: 0, frames: [], wireBytes: 0, jsonBytes: 0, htmlGzipBytes: 0, rrweb: { ms: 0, jsonBytes: 0, gzipBytes: 0 } };
  for (let run = 0; run < runs; run++) {
    const session = await liveSession(env, url);
    try {
      result.ms.push(session.firstRenderMs);
      result.completeMs.push(session.completeMs);
      // Let the last slices and the first change batch settle before reading the figures.
      await new Promise((resolve) => setTimeout(resolve, 300));
      const blocking = await session.customer.evaluate(() => (window as unknown as { __blocking: { longest: number; longTasks: number[]; frames: LongFrame[] } }).__blocking);
      result.frames.push(...blocking.frames);
      result.longestTaskMs = Math.max(result.longestTaskMs, blocking.longest);
      result.longTasks = Math.max(result.longTasks, blocking.longTasks.length);
      if (run === 0) {
        const wire = await readWire(session.customer);
        result.wireBytes = wire.bytes;
        result.jsonBytes = wire.messages.reduce((sum, m) => sum + Buffer.byteLength(m), 0);
        result.nodes = await session.customer.evaluate(() => {
          let count = 0;
          const walker = document.createTreeWalker(document, NodeFilter.SHOW_ALL);
          while (walker.nextNode()) count++;
          return count;
        });
        const html = await session.customer.evaluate(() => document.documentElement.outerHTML);
        result.htmlGzipBytes = gzipSync(html, { level: 6 }).length;
      }
    } finally {
      await session.close();
    }
  }
  // Plain rrweb-snapshot on the same page, in the same browser: one synchronous call.
  const context = await env.browser.newContext();
  await allowTsxEvaluate(context);
  const page = await context.newPage();
  // As slow as the customer's CPU above, so the two columns compare.
  if (CPU > 1) await (await context.newCDPSession(page)).send('Emulation.setCPUThrottlingRate', { rate: CPU });
  await page.goto(url);
  await page.addScriptTag({ content: rrwebBundle });
  const plain = await page.evaluate(() => {
    const start = performance.now();
    const tree = (window as unknown as { rrwebSnapshot: { snapshot(d: Document): unknown } }).rrwebSnapshot.snapshot(document);
    const ms = performance.now() - start;
    return { ms, json: JSON.stringify(tree) };
  });
  result.rrweb = { ms: plain.ms, jsonBytes: Buffer.byteLength(plain.json), gzipBytes: gzipSync(plain.json, { level: 6 }).length };
  await context.close();
  return result;
}

/** A steady stream of changes on the customer's page: how long until each shows on the agent's screen. */
async function mutationLatency(env: Env, url: string): Promise<number[]> {
  const session = await liveSession(env, url);
  try {
    await session.agent.evaluate(() => {
      const w = window as unknown as { __latencies: number[] };
      w.__latencies = [];
      const doc = (document.querySelector('[data-coview-frame]') as HTMLIFrameElement).contentDocument!;
      new MutationObserver(() => {
        const text = doc.getElementById('bench-ticker')?.textContent ?? '';
        const sentAt = Number(text.split('@')[1]);
        // Shown = the frame after the change reached the mirror.
        if (sentAt) requestAnimationFrame(() => w.__latencies.push(performance.timeOrigin + performance.now() - sentAt));
      }).observe(doc, { subtree: true, characterData: true, childList: true });
    });
    await session.customer.evaluate(async (updates) => {
      const ticker = document.createElement('p');
      ticker.id = 'bench-ticker';
      document.body.prepend(ticker);
      await new Promise((resolve) => setTimeout(resolve, 500));
      for (let i = 0; i < updates; i++) {
        // Like a live price or a chat line: text, a class and a new row every 100 ms.
        ticker.textContent = `tick ${i} @${performance.timeOrigin + performance.now()}`;
        ticker.className = i % 2 ? 'odd' : 'even';
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }, UPDATES);
    await new Promise((resolve) => setTimeout(resolve, 500));
    return await session.agent.evaluate(() => (window as unknown as { __latencies: number[] }).__latencies);
  } finally {
    await session.close();
  }
}

/** A customer using the demo shop for SESSION_SECONDS: pointer moving, scrolling, shopping, typing. */
async function scriptedSession(env: Env): Promise<{ snapshotBytes: number; steadyBytes: number; seconds: number }> {
  const session = await liveSession(env, `${env.server.url}/`);
  try {
    const page = session.customer;
    await new Promise((resolve) => setTimeout(resolve, 500));
    const snapshotBytes = (await readWire(page)).bytes;
    const start = Date.now();
    let step = 0;
    while (Date.now() - start < SESSION_SECONDS * 1000) {
      step++;
      // The pointer wanders for most of the time, as a customer reading and pointing does.
      for (let i = 0; i < 20; i++) await page.mouse.move(200 + ((step * 37 + i * 23) % 900), 150 + ((step * 53 + i * 11) % 450), { steps: 2 });
      if (step % 3 === 0) await page.mouse.wheel(0, step % 6 === 0 ? -400 : 400);
      if (step % 4 === 0) await page.locator('.add-to-cart').nth(step % 3).click();
      if (step % 5 === 0) await page.locator('#name').fill(`Ada Lovelace ${step}`);
      if (step % 7 === 0) await page.locator('#email').pressSequentially('a', { delay: 20 });
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    const seconds = (Date.now() - start) / 1000;
    const steadyBytes = (await readWire(page)).bytes - snapshotBytes;
    return { snapshotBytes, steadyBytes, seconds };
  } finally {
    await session.close();
  }
}

const rrwebBundle = await build({
  stdin: { contents: "import { snapshot } from 'rrweb-snapshot'; window.rrwebSnapshot = { snapshot };", resolveDir: process.cwd(), loader: 'js' },
  bundle: true,
  format: 'iife',
  write: false,
  minify: true,
  logLevel: 'silent',
}).then((out) => out.outputFiles[0]!.text);

const quantile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
};
const kib = (bytes: number) => (bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(2)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`);
const ms = (v: number) => `${v.toFixed(0)} ms`;
const ratio = (v: number) => `${v >= 10 ? v.toFixed(0) : v.toFixed(2)}×`;
const row = (cells: (string | number)[], widths: number[]) => cells.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]!) : String(c).padStart(widths[i]!))).join('');

async function main(): Promise<void> {
  const server = await startServer();
  const fixtures = await startFixtureServer(server.url);
  const browser = await launchChromium();
  const env: Env = { browser, server, fixtures };
  console.log(`Coview bench — ${new Date().toISOString().slice(0, 10)}, ${browser.version()}, loopback WebRTC, 2 cores`);
  try {
    const pages = [
      { name: 'demo shop', url: `${server.url}/`, runs: RUNS },
      { name: 'docs 5k', url: `${fixtures.url}/docs.html?nodes=5000`, runs: RUNS },
      { name: 'docs 30k', url: `${fixtures.url}/docs.html?nodes=30000`, runs: RUNS },
      { name: 'docs 100k', url: `${fixtures.url}/docs.html?nodes=100000`, runs: Math.min(RUNS, 3) },
    ];
    console.log(`\n1. Allow → first render on the agent (median of ${RUNS}; 100k: of ${Math.min(RUNS, 3)}), and the customer's main thread meanwhile${CPU > 1 ? ` (the customer's CPU slowed ${CPU}×)` : ''}`);
    const w1 = [12, 9, 9, 9, 10, 10, 12, 12, 12, 11, 12, 11];
    console.log(row(['page', 'nodes', 'first', 'p90', 'complete', 'longest', 'long tasks', 'rrweb snap', 'sent', 'JSON', 'gzip HTML', 'sent/HTML'], w1));
    const results: [string, FirstRender][] = [];
    for (const page of pages) {
      const r = await firstRender(env, page.url, page.runs);
      results.push([page.name, r]);
      console.log(row([page.name, r.nodes, ms(quantile(r.ms, 0.5)), ms(quantile(r.ms, 0.9)), ms(quantile(r.completeMs, 0.5)), ms(r.longestTaskMs), r.longTasks, ms(r.rrweb.ms), kib(r.wireBytes), kib(r.jsonBytes), kib(r.htmlGzipBytes), ratio(r.wireBytes / r.htmlGzipBytes)], w1));
    }
    console.log('   first = Allow → the page on the agent\'s screen (median); complete = Allow → its last node shown (median);');
    console.log('   longest = longest gap between two turns of the customer\'s event loop from Allow until the page is complete (any task, ours, the page\'s or the OS scheduler\'s);');
    console.log('   long tasks = tasks over 50 ms from Allow on (PerformanceObserver); rrweb snap = one plain rrweb-snapshot snapshot() of the same page, a single task.');

    console.log('\n   Long animation frames on the customer\'s page from Allow until complete (all runs), their scripts attributed by file');
    const w3 = [12, 8, 15, 16, 15, 40];
    console.log(row(['page', 'frames', 'longest frame', 'widget longest', 'page scripts', "widget's longest script (invoker)"], w3));
    for (const [name, r] of results) {
      const top = r.frames.reduce<LongFrame | null>((best, frame) => (!best || frame.widgetLongest > best.widgetLongest ? frame : best), null);
      console.log(row([name, r.frames.length, ms(Math.max(0, ...r.frames.map((f) => f.duration))), ms(top?.widgetLongest ?? 0), ms(r.frames.reduce((sum, f) => sum + f.pageMs, 0)), (top?.widgetTop ?? '').slice(0, 40)], w3));
    }
    console.log('   widget longest = the longest single script of widget.js / widget-core.js in any long frame (the Long Animation Frames API\'s script attribution); page scripts = the page\'s own script time in those frames.');

    console.log('\n   Side by side with plain rrweb-snapshot (same page, same browser)');
    const w2 = [12, 16, 16, 14, 16, 14];
    console.log(row(['page', 'our longest', 'rrweb task', 'task ratio', 'our bytes', 'rrweb gzip'], w2));
    for (const [name, r] of results) {
      console.log(row([name, ms(r.longestTaskMs), ms(r.rrweb.ms), ratio(r.rrweb.ms / Math.max(1, r.longestTaskMs)), kib(r.wireBytes), kib(r.rrweb.gzipBytes)], w2));
    }

    console.log(`\n2. Change → agent render latency, ${UPDATES} updates every 100 ms on the 5k docs page`);
    const latencies = await mutationLatency(env, `${fixtures.url}/docs.html?nodes=5000`);
    console.log(row(['samples', 'p50', 'p95', 'max'], [10, 10, 10, 10]));
    console.log(row([latencies.length, ms(quantile(latencies, 0.5)), ms(quantile(latencies, 0.95)), ms(Math.max(...latencies))], [10, 10, 10, 10]));

    console.log(`\n3. Bytes on the wire: a scripted ${SESSION_SECONDS}s session on the demo shop (pointer, scrolling, cart, typing)`);
    const s = await scriptedSession(env);
    const perMinute = (s.steadyBytes / s.seconds) * 60;
    console.log(row(['snapshot', 'after it', 'per minute', '1 Mbit/s video/min', 'fewer bytes'], [12, 12, 14, 22, 14]));
    console.log(row([kib(s.snapshotBytes), kib(s.steadyBytes), kib(perMinute), kib(VIDEO_BYTES_PER_MINUTE), ratio(VIDEO_BYTES_PER_MINUTE / perMinute)], [12, 12, 14, 22, 14]));

    console.log('\n4. Bundle sizes');
    console.log(row(['file', 'minified', 'min+gzip'], [14, 12, 12]));
    for (const file of ['dist/widget.js', 'dist/widget-core.js', 'dist/join.js']) {
      const raw = readFileSync(file);
      console.log(row([file.replace('dist/', ''), kib(raw.length), kib(gzipSync(raw, { level: 9 }).length)], [14, 12, 12]));
    }

    // bench/joins.ts: joins on a slow customer device over the demo shop, the 5k page and the corpus.
    await benchJoins(env, '5. Every join shows the page');
  } finally {
    await browser.close();
    await fixtures.close();
    await server.close();
  }
}

await main();
