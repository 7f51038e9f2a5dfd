/**
 * `npm run bench:soak`: a busy session, compressed. The customer's page changes at 10× a busy
 * page's pace (list churn, typing, scrolling, a canvas redrawn) and the agent's clock runs 10×
 * fast, so a simulated hour of time travel passes in 6 real minutes. Every simulated 10 minutes
 * both sides' JS heap is read after a forced garbage collection (CDP). Not a test: the figures depend on the machine.
 *
 *   SOAK_MINUTES       simulated minutes (default 120: 12 real minutes)
 *   TIME_TRAVEL_MINUTES the agent's full-detail window (default: the product's 60)
 */
import type { Page } from 'playwright-core';
import { launchChromium, newPerson } from '../tests/support/browser.js';
import { startServer } from '../tests/support/server.js';
import { allowTsxEvaluate } from '../tests/support/wire.js';

const SPEED = 10;
const SIMULATED_MINUTES = Number(process.env.SOAK_MINUTES ?? 120);
const WINDOW_MINUTES = process.env.TIME_TRAVEL_MINUTES ? Number(process.env.TIME_TRAVEL_MINUTES) : undefined;
const SAMPLE_EVERY_MINUTES = 10;
const MiB = 1024 * 1024;

const server = await startServer({ serveDemo: true, ...(WINDOW_MINUTES ? { timeTravelMinutes: WINDOW_MINUTES } : {}) });
const browser = await launchChromium();
const customerContext = await newPerson(browser, server.url);
const agentContext = await newPerson(browser, server.url);
for (const context of [customerContext, agentContext]) await allowTsxEvaluate(context);
const customer = await customerContext.newPage();
const agent = await agentContext.newPage();

async function heapMiB(page: Page): Promise<number> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('HeapProfiler.collectGarbage');
  const { usedSize } = (await cdp.send('Runtime.getHeapUsage')) as { usedSize: number };
  await cdp.detach();
  return usedSize / MiB;
}

await customer.goto(`${server.url}/`);
await customer.waitForFunction(() => window.Coview !== undefined);
await agent.goto(`${server.url}/join`);
const { code } = await customer.evaluate(() => window.Coview!.start({ onJoinRequest: () => true }));
await agent.getByLabel('Share code').fill(code);
await agent.getByRole('button', { name: 'Join' }).click();
await agent.waitForFunction(() => document.documentElement.dataset.coviewState === 'live', undefined, { timeout: 60_000 });

// The agent's clock, 10× fast from now on (the timeline reads Date.now() for every message).
await agent.evaluate((speed) => {
  const realNow = Date.now.bind(Date);
  const start = realNow();
  Date.now = () => start + (realNow() - start) * speed;
}, SPEED);

// A busy page at 10× pace, its size steady: what grows is only what Coview keeps.
await customer.evaluate((speed) => {
  const box = document.createElement('section');
  box.innerHTML = '<h2 id="soak-title">Soak</h2><input id="soak-field"><div id="soak-scroll" style="height:120px;overflow:auto"><ul id="soak-list"></ul></div><canvas id="soak-canvas" width="200" height="80"></canvas>';
  document.body.prepend(box);
  const list = document.getElementById('soak-list')!;
  const field = document.getElementById('soak-field') as HTMLInputElement;
  const scroller = document.getElementById('soak-scroll')!;
  const canvas = (document.getElementById('soak-canvas') as HTMLCanvasElement).getContext('2d')!;
  let n = 0;
  // A busy page: 5 list changes, 4 keystrokes, 2 scrolls a second, a canvas redrawn every second.
  setInterval(() => {
    n++;
    const item = document.createElement('li');
    item.innerHTML = `<b>row ${n}</b> <span class="price">${(n % 97) + 0.99} €</span>`;
    list.append(item);
    if (list.children.length > 60) list.firstElementChild!.remove();
    document.getElementById('soak-title')!.textContent = `Soak: ${n} rows`;
  }, 200 / speed);
  setInterval(() => {
    field.value = field.value.length > 40 ? '' : field.value + String.fromCharCode(97 + (n % 26));
    field.dispatchEvent(new Event('input', { bubbles: true }));
  }, 250 / speed);
  setInterval(() => {
    scroller.scrollTop = (scroller.scrollTop + 37) % Math.max(1, scroller.scrollHeight - 120);
    window.scrollTo(0, (n * 13) % 400);
  }, 500 / speed);
  setInterval(() => {
    canvas.fillStyle = `hsl(${(n * 7) % 360} 70% 50%)`;
    canvas.fillRect((n * 11) % 200, 0, 20, 80);
  }, 1000 / speed);
}, SPEED);

console.log(`Soak: ${SIMULATED_MINUTES} simulated minutes at ${SPEED}× (agent's full-detail window: ${WINDOW_MINUTES ?? 60} min)`);
console.log('simulated   customer heap   agent heap');
const rows: { minute: number; customer: number; agent: number }[] = [];
const realStart = Date.now();
for (let minute = 0; minute <= SIMULATED_MINUTES; minute += SAMPLE_EVERY_MINUTES) {
  const wait = realStart + (minute * 60_000) / SPEED - Date.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  const row = { minute, customer: await heapMiB(customer), agent: await heapMiB(agent) };
  rows.push(row);
  console.log(`${`${minute} min`.padEnd(11)} ${`${row.customer.toFixed(1)} MiB`.padStart(13)} ${`${row.agent.toFixed(1)} MiB`.padStart(12)}`);
}
const state = await agent.evaluate(() => document.documentElement.dataset.coviewState);
const customers = rows.slice(1).map((row) => row.customer);
const spread = (Math.max(...customers) - Math.min(...customers)) / Math.min(...customers);
console.log(`agent still ${state}; agent heap max ${Math.max(...rows.map((r) => r.agent)).toFixed(1)} MiB; customer heap spread after the first sample ${(spread * 100).toFixed(1)} %`);

await browser.close();
await server.close();
process.exit(0);
