/**
 * `npm run bench:resilience`: how long until the agent is live again after the network returns.
 * Real Chromium, real WebRTC, the real server, inside a private network namespace whose only
 * interface (loopback) is taken down for a while, then brought back up; meanwhile the customer
 * changes the page. Measured from "link up" to the agent's mirror showing that change.
 * Not a test: run as root (or with user namespaces), it needs to switch `lo` off and on.
 */
import { execFileSync } from 'node:child_process';
import { launchChromium, newPerson } from '../tests/support/browser.js';
import { startFixtureServer } from '../tests/support/fixture-server.js';
import { startServer } from '../tests/support/server.js';
import { allowTsxEvaluate } from '../tests/support/wire.js';

const OUTAGES_S = [1, 3, 10];
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

const link = (state: 'up' | 'down') => execFileSync('ip', ['link', 'set', 'lo', state]);

const server = await startServer();
const fixtures = await startFixtureServer(server.url);
const browser = await launchChromium();

async function once(outageS: number): Promise<number> {
  const customerContext = await newPerson(browser, fixtures.url);
  const agentContext = await newPerson(browser, server.url);
  for (const context of [customerContext, agentContext]) await allowTsxEvaluate(context);
  try {
    const customer = await customerContext.newPage();
    await customer.goto(`${fixtures.url}/account.html`);
    await customer.waitForFunction(() => window.Coview !== undefined);
    const agent = await agentContext.newPage();
    await agent.goto(`${server.url}/join`);
    const { code } = await customer.evaluate(() => window.Coview!.start({ onJoinRequest: () => true }));
    await agent.getByLabel('Share code').fill(code);
    await agent.getByRole('button', { name: 'Join' }).click();
    await agent.waitForFunction(() => document.documentElement.dataset.coviewState === 'live', undefined, { timeout: 30_000 });

    link('down');
    await new Promise((resolve) => setTimeout(resolve, outageS * 1000));
    const marker = `changed during a ${outageS} s outage`;
    await customer.evaluate((text) => (document.getElementById('title')!.textContent = text), marker);
    link('up');
    const upAt = Date.now();
    await agent.waitForFunction(
      (text) => (document.querySelector('[data-coview-frame]') as HTMLIFrameElement | null)?.contentDocument?.getElementById('title')?.textContent === text,
      marker,
      { timeout: 60_000, polling: 20 },
    );
    return Date.now() - upAt;
  } finally {
    link('up');
    await customerContext.close();
    await agentContext.close();
  }
}

console.log('Live again after the network returns (loopback down, page changed, loopback up → agent shows the change)');
console.log('outage      runs    median       max');
for (const outage of OUTAGES_S) {
  const samples: number[] = [];
  for (let run = 0; run < RUNS; run++) samples.push(await once(outage));
  samples.sort((a, b) => a - b);
  console.log(`${`${outage} s`.padEnd(10)} ${String(RUNS).padStart(5)} ${`${samples[Math.floor(samples.length / 2)]} ms`.padStart(9)} ${`${samples.at(-1)} ms`.padStart(9)}`);
}
await browser.close();
await fixtures.close();
await server.close();
process.exit(0);
