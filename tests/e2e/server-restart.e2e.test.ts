import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { launchChromium, newPerson } from '../support/browser.js';
import { startFixtureServer } from '../support/fixture-server.js';
import { freePort, startCoviewProcess, type RunningCoview } from '../support/processes.js';
import { AgentPage, CustomerPage, eventually } from './pages.js';

/**
 * The signaling server is a real process that is killed (SIGKILL: no goodbye, every room in its
 * memory lost) and started again on the same address while a session is live.
 */
let server: RunningCoview;
let port = 0;
let url = '';
let fixtures: Awaited<ReturnType<typeof startFixtureServer>>;
let browser: Browser;

beforeAll(async () => {
  port = await freePort();
  server = await startCoviewProcess({}, port);
  url = server.url;
  fixtures = await startFixtureServer(url);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await fixtures?.close();
  await server?.stop();
});

async function person(viewport?: { width: number; height: number }) {
  const context = await newPerson(browser, url, viewport);
  await context.grantPermissions(['microphone'], { origin: fixtures.url });
  return context;
}

describe('signaling server restart while a session is live', () => {
  it('the peer-to-peer session carries on, both sides re-register by themselves, and a new agent can join afterwards', async () => {
    const customer = await CustomerPage.open(await person(), `${fixtures.url}/account.html`);
    const agent = await AgentPage.open(await person({ width: 1280, height: 800 }), `${url}/join`);
    const { code } = await customer.page.evaluate(() => window.Coview!.start({ onJoinRequest: () => true }));
    await agent.join(code, 'Alex');
    await agent.waitForState('live', 30_000);

    await server.stop('SIGKILL');
    // No server: content still flows peer to peer.
    await customer.page.locator('#notes').fill('typed while the server is down');
    await eventually(() => agent.frame.locator('#notes').inputValue(), (v) => v === 'typed while the server is down');
    expect(await agent.state()).toBe('live');
    expect(await customer.state()).toBe('sharing');

    const restartedAt = Date.now();
    server = await startCoviewProcess({}, port);
    // Both clients come back on their own (Socket.IO's backoff) and say who they are.
    await eventually(
      async () => server.logs.filter((line) => line.msg === 'host resumed').length,
      (n) => n >= 1,
      15_000,
    );
    const metricsText = async () => (await fetch(`${url}/metrics`)).text();
    await eventually(metricsText, (text) => /coview_resumes_total\{role="agent",result="ok"\} [1-9]/.test(text), 15_000);
    console.log(`[resilience] server restart → host and agent re-registered: ${Date.now() - restartedAt} ms`);
    expect(await agent.state()).toBe('live');

    // The re-registered session still signals: the agent leaves, the customer gets a fresh code,
    // and a new agent joins with it.
    await agent.page.getByRole('button', { name: 'Leave' }).click();
    await customer.waitForState('waiting');
    const fresh = (await customer.widget.locator('[data-coview-code]').textContent())!.trim();
    expect(fresh).not.toBe(code);
    const second = await AgentPage.open(await person({ width: 1280, height: 800 }), `${url}/join`);
    // (The customer started sharing with onJoinRequest: () => true, so Sam is let in without a prompt.)
    await second.join(fresh, 'Sam');
    await second.waitForState('live', 30_000);
    expect(await customer.text()).toContain('You are sharing this page with Sam');
    expect(await second.frame.locator('#notes').inputValue()).toBe('typed while the server is down');
  });
});
