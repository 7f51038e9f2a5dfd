/**
 * `npm run bench:toolbox`: what time travel and recordings cost the agent. Real Chromium, real
 * WebRTC on loopback, the real server; printed figures, nothing here can fail.
 *
 * - scrub back: clicking the first page marker rebuilds the page from its snapshot (synchronous,
 *   measured inside the join page around the click);
 * - back to live: replaying the changes since then;
 * - export: "Download recording" to the file, and its size against the raw events;
 * - open: "Open recording" on a fresh join page until the page is shown.
 */
import { stat } from 'node:fs/promises';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchChromium, newPerson } from '../tests/support/browser.js';
import { startFixtureServer } from '../tests/support/fixture-server.js';
import { startServer } from '../tests/support/server.js';
import { allowTsxEvaluate, readWire, recordWire } from '../tests/support/wire.js';
import { AgentPage, CustomerPage, eventually } from '../tests/e2e/pages.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const server = await startServer();
const fixtures = await startFixtureServer(server.url);
const browser = await launchChromium();
const dir = await mkdtemp(join(tmpdir(), 'coview-bench-'));
const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;

async function measure(label: string, url: string, origin: string, churn: (customer: CustomerPage) => Promise<void>, ready: string) {
  const customerContext = await newPerson(browser, server.url);
  await customerContext.grantPermissions(['microphone'], { origin });
  await recordWire(customerContext);
  const agentContext = await newPerson(browser, server.url, { width: 1280, height: 800 });
  for (const context of [customerContext, agentContext]) await allowTsxEvaluate(context);
  const customer = await CustomerPage.open(customerContext, url);
  const agent = await AgentPage.open(agentContext, `${server.url}/join`);
  const { code } = await customer.page.evaluate(() => window.Coview!.start({ onJoinRequest: () => true }));
  await agent.join(code);
  await agent.waitForState('live', 60_000);
  await churn(customer);
  await new Promise((resolve) => setTimeout(resolve, 500));

  const back: number[] = [];
  const live: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    back.push(await agent.page.evaluate(() => {
      const t0 = performance.now();
      (document.querySelector('[data-coview-marker="page"]') as HTMLElement).click();
      return performance.now() - t0;
    }));
    await agent.page.locator('[data-coview-go-live]').waitFor();
    live.push(await agent.page.evaluate(() => {
      const t0 = performance.now();
      (document.querySelector('[data-coview-go-live]') as HTMLElement).click();
      return performance.now() - t0;
    }));
    await eventually(() => agent.page.locator('[data-coview-go-live]').count(), (n) => n === 0);
  }

  const exportStart = Date.now();
  const [download] = await Promise.all([agent.page.waitForEvent('download'), agent.page.locator('[data-coview-export]').click()]);
  const file = join(dir, `${label.replace(/\W+/g, '-')}.coview`);
  await download.saveAs(file);
  const exportMs = Date.now() - exportStart;
  const fileBytes = (await stat(file)).size;
  const wireBytes = (await readWire(customer.page)).bytes;

  const reviewer = await AgentPage.open(await newPerson(browser, server.url, { width: 1280, height: 800 }), `${server.url}/join`);
  const openStart = Date.now();
  await reviewer.page.locator('[data-coview-open-recording]').setInputFiles(file);
  await reviewer.frame.locator(ready).waitFor({ timeout: 60_000 });
  const openMs = Date.now() - openStart;
  await Promise.all([customerContext.close(), agentContext.close(), reviewer.page.context().close()]);
  return { label, back: median(back), live: median(live), exportMs, fileBytes, wireBytes, openMs };
}

try {
  const rows = [
    await measure('demo shop, 40 changes', `${server.url}/`, server.url, async (customer) => {
      for (let i = 0; i < 20; i++) await customer.page.locator('.add-to-cart').nth(i % 6).click();
      await customer.page.locator('#name').fill('Ada Lovelace'.repeat(2));
    }, '#products'),
    await measure('big page (3,000 paragraphs)', `${fixtures.url}/big-page.html`, fixtures.url, async (customer) => {
      await customer.page.evaluate(() => {
        for (let i = 0; i < 20; i++) document.getElementById('last')!.textContent = `change ${i}`;
      });
    }, '#last'),
  ];
  console.log(`\nTime travel and recordings (median of ${RUNS} scrubs)`);
  console.log('page                           scrub back   back to live   export     file     wire sent   open file');
  for (const r of rows) {
    console.log(
      `${r.label.padEnd(30)} ${`${r.back.toFixed(0)} ms`.padStart(10)} ${`${r.live.toFixed(1)} ms`.padStart(14)} ${`${r.exportMs} ms`.padStart(8)} ${kib(r.fileBytes).padStart(10)} ${kib(r.wireBytes).padStart(11)} ${`${r.openMs} ms`.padStart(11)}`,
    );
  }
} finally {
  await browser.close();
  await fixtures.close();
  await server.close();
  await rm(dir, { recursive: true, force: true });
}
