import { describe, expect, it } from 'vitest';
import { startServer } from '../support/server.js';
import { CustomerPage, eventually } from './pages.js';
import { useHarness } from './harness.js';

const h = useHarness();

describe('what the agent sees of the customer', () => {
  it('scrolling inside a pane, resizing the window and clicking all show up', async () => {
    const { customer, agent } = await h.liveSession('layout.html');

    await customer.page.locator('#messages').evaluate((pane) => (pane.scrollTop = 1500));
    await eventually(() => agent.frame.locator('#messages').evaluate((pane) => pane.scrollTop), (top) => Math.abs(top - 1500) < 2);

    // The agent's view takes the customer's viewport size (then scales it to fit).
    await customer.page.setViewportSize({ width: 900, height: 600 });
    await eventually(() => agent.inMirror((_doc, win) => [win.innerWidth, win.innerHeight]), (size) => size[0] === 900 && size[1] === 600);

    await customer.page.locator('#compose').click();
    await agent.page.locator('.coview-click-ripple').waitFor({ timeout: 5_000 });
  });
});

describe('sessions', () => {
  it('sharing adds no frame to the customer’s page (rrweb’s clean-prototype <iframe> is not built on an unpatched page)', async () => {
    const { customer, agent } = await h.liveSession('layout.html', {
      beforeJoin: async (c) => {
        await c.page.evaluate(() => {
          const w = window as unknown as { __framesAdded: number };
          w.__framesAdded = 0;
          new MutationObserver((records) => {
            for (const record of records) for (const node of Array.from(record.addedNodes)) if (node.nodeName === 'IFRAME') w.__framesAdded++;
          }).observe(document, { childList: true, subtree: true });
        });
      },
    });
    await eventually(() => agent.inMirror((doc) => doc.querySelectorAll('#messages').length), (n) => n === 1);
    expect(await customer.page.evaluate(() => (window as unknown as { __framesAdded: number }).__framesAdded)).toBe(0);
  });

  it('data-server points the widget at another Coview server than the one it loads from', async () => {
    const other = await startServer();
    try {
      const { agent } = await h.liveSession(`layout.html?server=${encodeURIComponent(other.url)}`, { joinUrl: other.url });
      expect(await agent.frame.locator('#m200').textContent()).toBe('Message 200: your order has shipped');
    } finally {
      await other.close();
    }
  });

  it('an unreachable server gives the customer a clear error in plain words, and the page keeps working', async () => {
    const context = await h.person();
    const errors: Error[] = [];
    const customer = await CustomerPage.open(context, `${h.fixtures.url}/layout.html?server=${encodeURIComponent('http://127.0.0.1:9')}`);
    customer.page.on('pageerror', (error) => errors.push(error));
    await customer.button('Share my screen').click();
    await customer.widget.getByText('Sharing could not start').waitFor();
    // The customer reads what happened and what to do; the server's address and the code are for the site's developers.
    const text = await customer.text();
    expect(text).toContain("We couldn't reach the help service. Check your internet connection and try again.");
    expect(text).not.toMatch(/https?:|127\.0\.0\.1|ERR_/);
    expect(await customer.state()).toBe('error');
    expect(await customer.widget.getAttribute('data-coview-host-reason')).toBe('ERR_SIGNALING_UNREACHABLE');
    await expect(customer.page.evaluate(() => window.Coview!.start())).rejects.toThrow(/Cannot reach the Coview server at http:\/\/127\.0\.0\.1:9/);

    // The page itself is untouched.
    await customer.page.locator('#messages').evaluate((pane) => (pane.scrollTop = 300));
    expect(await customer.page.locator('#m1').textContent()).toBe('Message 1: your order has shipped');
    expect(errors).toEqual([]);
  });

  it('closing the customer’s tab ends the session on the agent’s side at once', async () => {
    const { customer, agent } = await h.liveSession('layout.html');
    const closedAt = Date.now();
    await customer.page.close({ runBeforeUnload: true });
    await agent.waitForState('ended', 5_000);
    expect(Date.now() - closedAt).toBeLessThan(5_000);
    expect(await agent.page.locator('html').getAttribute('data-coview-reason')).toBe('host-left');
    // The last frame stays for the agent to read.
    expect(await agent.frame.locator('#m1').textContent()).toBe('Message 1: your order has shipped');
  });
});
