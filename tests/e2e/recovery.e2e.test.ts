import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext } from 'playwright-core';
import { newPerson } from '../support/browser.js';
import { startServer } from '../support/server.js';
import { AgentPage, CustomerPage, eventually } from './pages.js';
import { useHarness } from './harness.js';

const h = useHarness();

/** A customer on `url` sharing with whoever asks (no prompt); returns the page and its code. */
async function sharing(url: string, prepare: (context: BrowserContext) => Promise<unknown> = async () => {}) {
  const context = await h.person();
  await prepare(context);
  const customer = await CustomerPage.open(context, url);
  const { code } = await customer.page.evaluate(() => window.Coview!.start({ onJoinRequest: () => true }));
  return { customer, code };
}

const wholePage = (agent: AgentPage) => agent.page.locator('[data-coview-frame]:not([data-coview-loading])').waitFor();
const reason = (agent: AgentPage) => agent.page.locator('html').getAttribute('data-coview-reason');

describe('the join page recovers from every error state', () => {
  it('after a mistyped code, the right code joins and shows the customer’s page', async () => {
    const { customer, code } = await sharing(`${h.server.url}/`);
    const agent = await AgentPage.open(await h.person({ width: 1280, height: 800 }), `${h.server.url}/join`);

    await agent.join('000-000-000');
    await agent.waitForState('error');
    expect(await reason(agent)).toBe('ERR_ROOM_NOT_FOUND');
    // Nothing frozen or half-built is left behind the form.
    expect(await agent.page.locator('[data-coview-frame]').count()).toBe(0);

    await agent.join(code);
    await agent.waitForState('live');
    await wholePage(agent);
    expect(await agent.frame.locator('#products .product').count()).toBe(6);
    await customer.waitForState('sharing');
  });

  it('a new #CODE in the same tab leaves the session on screen and joins the new one', async () => {
    const first = await sharing(`${h.server.url}/`);
    const second = await sharing(`${h.fixtures.url}/layout.html`);
    const agent = await AgentPage.open(await h.person({ width: 1280, height: 800 }), `${h.server.url}/join#${first.code}`);
    await agent.waitForState('live');
    await wholePage(agent);
    expect(await agent.frame.locator('#products .product').count()).toBe(6);
    await agent.page.evaluate(() => ((window as { sameTab?: boolean }).sameTab = true));

    await agent.page.evaluate((code) => (location.hash = code), second.code);
    await eventually(() => agent.frame.locator('#m1').count().catch(() => 0), (n) => n === 1, 15_000);
    await agent.waitForState('live');
    expect(await agent.frame.locator('#m1').textContent()).toBe('Message 1: your order has shipped');
    expect(await agent.frame.locator('#products').count()).toBe(0);
    // The first customer is told the agent left; the page was never reloaded.
    await first.customer.waitForState('waiting');
    expect(await agent.page.evaluate(() => (window as { sameTab?: boolean }).sameTab)).toBe(true);

    // The same code again (typed differently) is the session on screen: nothing happens.
    await agent.page.evaluate((code) => (location.hash = code.toLowerCase().replaceAll('-', '')), second.code);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(await agent.state()).toBe('live');
    expect(await second.customer.state()).toBe('sharing');
  });

  it('after a session ended, “Join another session” joins the next one in the same page with nothing of the first left', async () => {
    const first = await sharing(`${h.server.url}/`);
    const agent = await AgentPage.open(await h.person({ width: 1280, height: 800 }), `${h.server.url}/join`);
    await agent.join(first.code, 'Alex');
    await agent.waitForState('live');
    await wholePage(agent);
    await first.customer.page.locator('.add-to-cart').first().click();
    await agent.page.locator('[data-coview-marker="click"]').first().waitFor();
    await agent.page.evaluate(() => ((window as { sameTab?: boolean }).sameTab = true));
    await first.customer.page.evaluate(() => window.Coview!.stop());
    await agent.waitForState('ended');

    await agent.page.getByRole('button', { name: 'Join another session' }).click();
    await agent.waitForState('idle');
    // Back to the form, with the agent's name kept.
    expect(await agent.page.getByLabel('Your name').inputValue()).toBe('Alex');
    expect(await agent.page.getByLabel('Share code').inputValue()).toBe('');

    const second = await sharing(`${h.fixtures.url}/layout.html`);
    await agent.page.getByLabel('Share code').fill(second.code);
    await agent.page.getByRole('button', { name: 'Join' }).click();
    await agent.waitForState('live');
    await wholePage(agent);
    expect(await agent.frame.locator('#m1').textContent()).toBe('Message 1: your order has shipped');
    expect(await agent.frame.locator('#products').count()).toBe(0);
    expect(await agent.page.evaluate(() => (window as { sameTab?: boolean }).sameTab)).toBe(true);

    // The timeline holds the new session only: its page, none of the first one's clicks.
    // The toolbox redraws at most every 100 ms: the new snapshot's marker follows the mirror shortly.
    const markers = () => agent.page.locator('[data-coview-marker="page"]').evaluateAll((els) => els.map((el) => el.getAttribute('aria-label') ?? ''));
    const pages = await eventually(markers, (labels) => labels.length > 0, 5_000);
    for (const label of pages) {
      expect(label).toContain('Inbox');
      expect(label).not.toContain('Northwind');
    }
    expect(await agent.page.locator('[data-coview-marker="click"]').count()).toBe(0);
    await second.customer.waitForState('sharing');
  });
});

/** With the relay on (the default), these sessions run relayed instead: see relay.e2e. */
describe('without WebRTC or a route between the peers, and the relay turned off (RELAY_FALLBACK=false)', () => {
  let off: Awaited<ReturnType<typeof startServer>>;
  beforeAll(async () => {
    off = await startServer({ relay: { enabled: false } });
  });
  afterAll(() => off?.close());
  const person = (viewport?: { width: number; height: number }) => newPerson(h.browser, off.url, viewport);
  const sharingOff = async (prepare: (context: BrowserContext) => Promise<unknown> = async () => {}) => {
    const context = await person();
    await prepare(context);
    const customer = await CustomerPage.open(context, `${off.url}/`);
    const { code } = await customer.page.evaluate(() => window.Coview!.start({ onJoinRequest: () => true }));
    return { customer, code };
  };

  it('a customer whose browser has no WebRTC is told plainly, and no code is handed out', async () => {
    const context = await person();
    await context.addInitScript(() => {
      const w = window as unknown as Record<string, unknown>;
      delete w.RTCPeerConnection;
      delete w.webkitRTCPeerConnection;
      delete w.RTCSessionDescription;
      delete w.RTCIceCandidate;
      delete w.RTCDataChannel;
    });
    const customer = await CustomerPage.open(context, `${off.url}/`);

    const rejection = await customer.page.evaluate(() =>
      window.Coview!.start({ onJoinRequest: () => true }).then(
        () => null,
        (error: { name?: string; code?: string; message?: string }) => ({ name: error.name, code: error.code, message: error.message }),
      ),
    );
    expect(rejection).toMatchObject({ name: 'CoviewError', code: 'ERR_WEBRTC_UNSUPPORTED' });
    expect(await customer.state()).toBe('error');
    expect(await customer.widget.getAttribute('data-coview-host-reason')).toBe('ERR_WEBRTC_UNSUPPORTED');
    const text = await customer.text();
    expect(text).toContain("This browser can't share your screen");
    expect(text).not.toMatch(/WebRTC|ERR_|https?:/);
    expect(await customer.widget.locator('[data-coview-code]').count()).toBe(0);
    // Trying again would fail the same way: only Close is offered, and it goes back to idle.
    expect(await customer.button('Try again').count()).toBe(0);
    await customer.button('Close').click();
    await customer.waitForState('idle');
    expect(await customer.widget.getAttribute('data-coview-host-reason')).toBeNull();
  });

  it('a customer’s browser that cannot create a connection ends the attempt on both sides at once', async () => {
    const { customer, code } = await sharingOff();
    // WebRTC goes away after the code was handed out (turned off, an extension): the peer cannot be made.
    await customer.page.evaluate(() => {
      delete (window as unknown as Record<string, unknown>).RTCPeerConnection;
      delete (window as unknown as Record<string, unknown>).webkitRTCPeerConnection;
    });
    const agent = await AgentPage.open(await person({ width: 1280, height: 800 }), `${off.url}/join`);
    const joinedAt = Date.now();
    await agent.join(code);
    await agent.waitForState('error', 5_000);
    expect(Date.now() - joinedAt).toBeLessThan(5_000);
    expect(await reason(agent)).toBe('ERR_WEBRTC_UNSUPPORTED');
    expect(await agent.page.getByRole('alert').innerText()).toContain("The customer's browser can't share their screen");
    await customer.waitForState('error');
    expect(await customer.widget.getAttribute('data-coview-host-reason')).toBe('ERR_WEBRTC_UNSUPPORTED');
    expect(await customer.text()).toContain("This browser can't share your screen");
  });

  it('an agent whose customer allowed but cannot be reached is told so within the bound', { timeout: 90_000 }, async () => {
    // No route between the peers: the customer may only use TURN relays, and there are none.
    const { customer, code } = await sharingOff((context) =>
      context.addInitScript(() => {
        const Real = window.RTCPeerConnection;
        window.RTCPeerConnection = class extends Real {
          constructor(config?: RTCConfiguration) {
            super({ ...config, iceTransportPolicy: 'relay' });
          }
        };
      }),
    );
    const agent = await AgentPage.open(await person({ width: 1280, height: 800 }), `${off.url}/join`);
    const seen = new Set<string>();
    const joinedAt = Date.now();
    await agent.join(code);
    await eventually(
      async () => {
        const state = await agent.state();
        if (state) seen.add(state);
        return state;
      },
      (state) => state === 'error',
      40_000,
    );
    // The 20 s bound starts once the customer allowed; a busy machine adds seconds before that.
    const waited = Date.now() - joinedAt;
    expect(waited).toBeGreaterThan(15_000);
    expect(waited).toBeLessThan(40_000);
    expect(seen.has('live')).toBe(false);
    expect(await reason(agent)).toBe('ERR_CONNECT_TIMEOUT');
    expect(await agent.page.getByRole('alert').innerText()).toContain("Couldn't connect to the customer's browser. Ask them to check their connection and share again.");
    // The agent let go of the session: the customer gets a new code for the next try.
    await customer.waitForState('waiting');
  });
});
