/**
 * `npm run bench`: how fast an agent sees the customer's page, and how big the widget is.
 * Real Chromium, real WebRTC on loopback, the real server; not a test (nothing here can fail).
 *
 * "Allow → first render" runs from the moment the customer allows the agent (the widget's
 * onJoinRequest returns true, exactly what the Allow button does) to the first animation frame
 * after the join page shows the rebuilt page (data-coview-state = live). Both pages read the same
 * clock (performance.timeOrigin + now) in one browser on one machine.
 */
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import type { Browser } from 'playwright-core';
import { launchChromium, newPerson } from '../tests/support/browser.js';
import { startFixtureServer } from '../tests/support/fixture-server.js';
import { startServer } from '../tests/support/server.js';
import { allowTsxEvaluate, readWire, recordWire } from '../tests/support/wire.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 10);

interface Sample {
  ms: number;
  bytes: number;
  nodes: number;
}

async function firstRender(browser: Browser, pageUrl: string, joinUrl: string, origins: string[]): Promise<Sample> {
  const customerContext = await newPerson(browser, origins[0]!);
  for (const origin of origins.slice(1)) await customerContext.grantPermissions(['microphone'], { origin });
  const agentContext = await newPerson(browser, joinUrl);
  for (const context of [customerContext, agentContext]) await allowTsxEvaluate(context);
  // Count what the customer's page sends on the data channel.
  await recordWire(customerContext);
  try {
    const customer = await customerContext.newPage();
    await customer.goto(pageUrl);
    await customer.waitForFunction(() => window.Coview !== undefined);
    const nodes = await customer.evaluate(() => document.getElementsByTagName('*').length);

    const agent = await agentContext.newPage();
    await agent.goto(`${joinUrl}/join`);
    await agent.evaluate(() => {
      const w = window as unknown as { __liveAt?: Promise<number> };
      w.__liveAt = new Promise((resolve) => {
        new MutationObserver(() => {
          if (document.documentElement.dataset.coviewState === 'live') requestAnimationFrame(() => resolve(performance.timeOrigin + performance.now()));
        }).observe(document.documentElement, { attributes: true, attributeFilter: ['data-coview-state'] });
      });
    });

    const code = await customer.evaluate(async () => {
      const w = window as unknown as { __allowedAt: number };
      const { code } = await window.Coview!.start({
        onJoinRequest: () => {
          w.__allowedAt = performance.timeOrigin + performance.now();
          return true;
        },
      });
      return code;
    });
    await agent.getByLabel('Share code').fill(code);
    await agent.getByRole('button', { name: 'Join' }).click();
    const liveAt = await agent.evaluate(() => (window as unknown as { __liveAt: Promise<number> }).__liveAt);
    const allowedAt = await customer.evaluate(() => (window as unknown as { __allowedAt: number }).__allowedAt);
    const { bytes } = await readWire(customer);
    await customer.evaluate(() => window.Coview!.stop());
    return { ms: liveAt - allowedAt, bytes, nodes };
  } finally {
    await customerContext.close();
    await agentContext.close();
  }
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
const pad = (s: string | number, n: number) => String(s).padStart(n);

async function main(): Promise<void> {
  const server = await startServer();
  const fixtures = await startFixtureServer(server.url);
  const browser = await launchChromium();
  const pages = [
    { name: 'demo shop', url: `${server.url}/` },
    { name: 'big page (3,000 paragraphs)', url: `${fixtures.url}/big-page.html` },
  ];
  console.log(`Coview bench — ${new Date().toISOString().slice(0, 10)}, ${browser.version()}, loopback WebRTC, ${RUNS} runs each\n`);
  console.log('Allow → first render on the agent');
  console.log(`${'page'.padEnd(30)}${pad('DOM nodes', 10)}${pad('sent', 12)}${pad('median', 10)}${pad('p90', 9)}${pad('min', 9)}${pad('max', 9)}`);
  try {
    for (const page of pages) {
      const samples: Sample[] = [];
      for (let i = 0; i < RUNS; i++) samples.push(await firstRender(browser, page.url, server.url, [server.url, fixtures.url]));
      const ms = samples.map((s) => s.ms).sort((a, b) => a - b);
      const fmt = (v: number) => `${v.toFixed(0)} ms`;
      console.log(
        `${page.name.padEnd(30)}${pad(samples[0]!.nodes, 10)}${pad(kb(samples[0]!.bytes), 12)}${pad(fmt(quantile(ms, 0.5)), 10)}${pad(fmt(quantile(ms, 0.9)), 9)}${pad(fmt(ms[0]!), 9)}${pad(fmt(ms.at(-1)!), 9)}`,
      );
    }
  } finally {
    await browser.close();
    await fixtures.close();
    await server.close();
  }

  console.log('\nBundle sizes');
  console.log(`${'file'.padEnd(14)}${pad('minified', 12)}${pad('min+gzip', 12)}${pad('gzip ratio', 12)}`);
  for (const file of ['dist/widget.js', 'dist/join.js']) {
    const raw = readFileSync(file);
    const gz = gzipSync(raw, { level: 9 }).length;
    console.log(`${file.replace('dist/', '').padEnd(14)}${pad(kb(raw.length), 12)}${pad(kb(gz), 12)}${pad((raw.length / gz).toFixed(2) + '×', 12)}`);
  }
}

await main();
