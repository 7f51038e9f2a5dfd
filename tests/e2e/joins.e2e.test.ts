import { describe, expect, it } from 'vitest';
import { throttledJoin } from '../support/throttled-join.js';
import { useHarness } from './harness.js';
import { eventually } from './pages.js';

const h = useHarness();

describe('every join shows the whole page, on a slow customer device too', () => {
  it('the demo shop, joined 5 times with the customer CPU throttled 4×, snapshot parts of 5 nodes and the page changing meanwhile, is equal on the agent within 10 s every time, in the page\'s own document mode', async () => {
    const outcomes = [];
    for (let i = 0; i < 5; i++) {
      const outcome = await throttledJoin(h, `${h.server.url}/`);
      outcomes.push(outcome);
      await outcome.customer.page.context().close();
      await outcome.agent.page.context().close();
    }
    const summary = outcomes.map((o) => ({ equal: o.equal, ms: o.msToEqual, resyncs: o.resyncs, divergences: o.divergences.length, mode: `${o.customerMode}/${o.agentMode}` }));
    console.info('[joins] demo shop', JSON.stringify(summary));
    for (const outcome of outcomes) {
      expect(outcome.equal, outcome.difference).toBe(true);
      // Nothing was left to heal: the mirror was right without an automatic resync.
      expect(outcome.divergences).toEqual([]);
      expect(outcome.resyncs).toBe(0);
      expect(outcome.agentMode).toBe(outcome.customerMode);
    }
    expect(outcomes[0]!.customerMode).toBe('CSS1Compat');
  });

  it('a quirks-mode page stays in quirks mode on the agent, and a standards page in standards mode', async () => {
    const quirks = await throttledJoin(h, `${h.fixtures.url}/quirks.html`, { cpuRate: 1, churnMs: 200 });
    expect(quirks.equal, quirks.difference).toBe(true);
    expect([quirks.customerMode, quirks.agentMode]).toEqual(['BackCompat', 'BackCompat']);
    // <html> keeps its attributes (direction, language, classes): they change the layout.
    const html = await quirks.agent.inMirror((doc) => [doc.documentElement.dir, doc.documentElement.lang, doc.documentElement.className].join(' '));
    expect(html).toBe('rtl ar page-root');
  });
});

describe('the view never diverges silently', () => {
  const resyncs = (page: import('playwright-core').Page) => page.locator('html').getAttribute('data-coview-resyncs').then(Number);

  it('a change the view cannot apply heals by itself with a resync, counted, shown and noted in the console panel', async () => {
    const { customer, agent } = await h.liveSession('mutations.html');
    const warnings: string[] = [];
    agent.page.on('console', (message) => message.text().includes('the view diverged') && warnings.push(message.text()));
    expect(await resyncs(agent.page)).toBe(0);
    // Something breaks the view (as a bug would): the node a later change names is gone.
    await agent.inMirror((doc) => doc.getElementById('s3')!.remove());
    await customer.page.evaluate(() => void (document.getElementById('s3')!.textContent = 'changed after the damage'));
    await eventually(() => agent.frame.locator('#s3').textContent().catch(() => null), (t) => t === 'changed after the damage', 10_000);
    expect(await resyncs(agent.page)).toBe(1);
    expect(warnings.length).toBeGreaterThan(0);
    await agent.page.locator('[data-coview-tab="console"]').click();
    await eventually(() => agent.page.locator('[data-coview-console-entry]').filter({ hasText: 'out of step' }).count(), (n) => n === 1, 5_000);
    expect(await agent.page.locator('html').getAttribute('data-coview-resyncing')).toBeNull();
  });

  it('a view that lost nodes while nothing changed is found by the structure digest and healed', async () => {
    const { agent } = await h.liveSession('mutations.html');
    await agent.inMirror((doc) => doc.getElementById('s2')!.remove());
    // The customer's page is quiet: only the periodic digest (every 5 s) can notice.
    await eventually(() => agent.frame.locator('#s2').count(), (n) => n === 1, 15_000);
    expect(await resyncs(agent.page)).toBe(1);
    expect(await agent.frame.locator('#s2 p').textContent()).toBe('beta');
  });
});
