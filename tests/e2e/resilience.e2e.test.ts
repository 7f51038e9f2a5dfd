import { describe, expect, it } from 'vitest';
import type { BrowserContext } from 'playwright-core';
import { AgentPage, CustomerPage, eventually } from './pages.js';
import { useHarness } from './harness.js';
import { trackPeerConnections } from '../support/peer-connections.js';

const h = useHarness();

/** Every value the page's state marker takes (so short-lived states like "reconnecting" are seen). */
async function recordStates(context: BrowserContext): Promise<void> {
  await context.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { __states: string[] }).__states = seen;
    const watch = () => {
      const read = () => document.documentElement.getAttribute('data-coview-state') ?? document.querySelector('[data-coview-widget]')?.getAttribute('data-coview-host-state');
      new MutationObserver(() => {
        const state = read();
        if (state && seen.at(-1) !== state) seen.push(state);
      }).observe(document, { attributes: true, subtree: true, attributeFilter: ['data-coview-state', 'data-coview-host-state'] });
    };
    if (document.documentElement) watch();
    else document.addEventListener('DOMContentLoaded', watch);
  });
}

const statesOf = (page: { evaluate<R>(fn: () => R): Promise<R> }) => page.evaluate(() => (window as unknown as { __states: string[] }).__states);

async function live(path = 'account.html'): Promise<{ customer: CustomerPage; agent: AgentPage; code: string }> {
  const customerContext = await h.person();
  await trackPeerConnections(customerContext);
  await recordStates(customerContext);
  const customer = await CustomerPage.open(customerContext, `${h.fixtures.url}/${path}`);
  const agentContext = await h.person({ width: 1280, height: 800 });
  await recordStates(agentContext);
  const agent = await AgentPage.open(agentContext, `${h.server.url}/join`);
  const { code } = await customer.page.evaluate(() => window.Coview!.start({ onJoinRequest: () => true }));
  await agent.join(code);
  await agent.waitForState('live', 30_000);
  await customer.waitForState('sharing');
  return { customer, agent, code };
}

const title = (agent: AgentPage) => () => agent.frame.locator('#title').textContent();

describe('sessions survive faults', () => {
  it('a cut peer connection is detected on both sides, re-signaled, and the agent sees what changed meanwhile', async () => {
    const { customer, agent, code } = await live();
    const cutAt = Date.now();
    // Cut the link from the customer's side, then change the page while nothing can be sent.
    await customer.page.evaluate(() => {
      (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs.forEach((pc) => pc.close());
      document.getElementById('title')!.textContent = 'Changed while cut';
      (document.getElementById('notes') as HTMLInputElement).value = 'typed while cut';
    });
    await eventually(title(agent), (t) => t === 'Changed while cut', 15_000);
    console.log(`[resilience] peer cut → agent live with the change: ${Date.now() - cutAt} ms`);
    await agent.waitForState('live');
    await customer.waitForState('sharing');
    expect(await agent.frame.locator('#notes').inputValue()).toBe('typed while cut');
    expect(await statesOf(customer.page)).toContain('reconnecting');
    expect(await statesOf(agent.page)).toContain('reconnecting');
    // Same session: same code, no new consent, and it keeps streaming.
    expect(await customer.widget.locator('.hint').last().textContent()).toContain(code);
    await customer.page.locator('#notes').fill('after recovery');
    await eventually(() => agent.frame.locator('#notes').inputValue(), (v) => v === 'after recovery');
  });

  it('a link to another site that leaves the page where it is (a 204) does not count as leaving: a same-site link just after still resumes', async () => {
    const { customer, agent, code } = await live();
    // The other site answers 204 No Content: the browser stays on this page.
    await customer.page.context().route(`${h.server.url}/healthz`, (route) => route.fulfill({ status: 204 }));
    await customer.page.locator('#to-elsewhere').click();
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await customer.state()).toBe('sharing');
    // Within the server's 10 s window: the page's next load must be taken as the same-site move it is.
    await customer.page.locator('#to-orders').click();
    await customer.page.waitForURL(/orders\.html/);
    await eventually(title(agent), (t) => t === 'Your orders', 15_000);
    await agent.waitForState('live');
    await customer.waitForState('sharing');
    expect(await customer.text()).toContain(`Code ${code}`);
    expect(await statesOf(agent.page)).not.toContain('ended');
  });

  it('following a link on the same site carries the session to the next page: same code, no new consent', async () => {
    const { customer, agent, code } = await live();
    await customer.page.locator('#to-orders').click();
    await customer.page.waitForURL(/orders\.html/);
    await eventually(title(agent), (t) => t === 'Your orders', 15_000);
    await agent.waitForState('live');
    expect(await agent.frame.locator('#orders li').count()).toBe(2);
    await customer.waitForState('sharing');
    expect(await customer.text()).toContain(`Code ${code}`);
    expect(await statesOf(agent.page)).not.toContain('ended');

    // A reload resumes too.
    await customer.page.reload();
    await eventually(() => customer.state(), (s) => s === 'sharing', 15_000);
    await agent.waitForState('live');
    await customer.page.evaluate(() => document.getElementById('orders')!.insertAdjacentHTML('beforeend', '<li>Order 1044: after reload</li>'));
    await eventually(() => agent.frame.locator('#orders li').count(), (n) => n === 3);
  });

  it('leaving the site ends sharing clearly for the agent', async () => {
    const { customer, agent } = await live();
    await customer.page.locator('#to-elsewhere').click();
    await agent.waitForState('ended', 10_000);
    expect(await agent.page.locator('html').getAttribute('data-coview-reason')).toBe('host-left');
    expect(await agent.statusText()).toContain('the customer left the site');
    // Coming back to the site later starts fresh: nothing resumes.
    await customer.page.goto(`${h.fixtures.url}/account.html`);
    await customer.page.waitForFunction(() => window.Coview !== undefined);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await customer.state()).toBe('idle');
  });

  it('the agent reloading the join page resumes without a new code; the customer sees "reconnecting" meanwhile', async () => {
    const { customer, agent } = await live();
    await agent.page.reload();
    await agent.waitForState('live', 15_000);
    await customer.waitForState('sharing');
    expect(await statesOf(customer.page)).toContain('reconnecting');
    await customer.page.locator('#notes').fill('seen after the agent reloaded');
    await eventually(() => agent.frame.locator('#notes').inputValue(), (v) => v === 'seen after the agent reloaded');
  });

  it('an agent tab that crashes leaves the customer in a clear "reconnecting" state, and the restored tab resumes', async () => {
    const { customer, agent } = await live();
    const saved = await agent.page.evaluate(() => sessionStorage.getItem('coview.agent.v1'));
    expect(saved).not.toBeNull();
    await agent.page.goto('chrome://crash').catch(() => {});
    await customer.waitForState('reconnecting');
    expect(await customer.text()).toContain('Reconnecting to Alex');

    // Chromium's "Reload" on a crashed tab keeps the tab's sessionStorage; Playwright cannot drive
    // a crashed page, so a new tab is given that same storage before the join page loads.
    const restored = await agent.page.context().newPage();
    await restored.addInitScript((value) => sessionStorage.setItem('coview.agent.v1', value), saved!);
    await restored.goto(`${h.server.url}/join`);
    const back = new AgentPage(restored);
    await back.waitForState('live', 20_000);
    await customer.waitForState('sharing');
    await customer.page.locator('#notes').fill('after the crash');
    await eventually(() => back.frame.locator('#notes').inputValue(), (v) => v === 'after the crash');
  });
});
