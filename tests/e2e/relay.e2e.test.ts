import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext } from 'playwright-core';
import { domSignature, firstDifference } from '../support/dom-signature.js';
import { newPerson } from '../support/browser.js';
import { startServer } from '../support/server.js';
import { AgentPage, CustomerPage, eventually } from './pages.js';
import { useHarness } from './harness.js';
import { recordEverythingReceived } from '../support/server-wire.js';

/**
 * The encrypted relay: when no peer connection comes up (no WebRTC in the customer's browser, or
 * no route between the peers), the session's channel runs through the signaling server, sealed
 * end to end with keys from the share code. With RELAY_FALLBACK=false both sides fail plainly.
 */
const h = useHarness();

type AppServer = Awaited<ReturnType<typeof startServer>>;

/** Deletes WebRTC from every page of `context`, as a browser without it (WebKitGTK) or with it turned off. */
const withoutWebRtc = (context: BrowserContext) =>
  context.addInitScript(() => {
    const w = window as unknown as Record<string, unknown>;
    for (const name of ['RTCPeerConnection', 'webkitRTCPeerConnection', 'RTCSessionDescription', 'RTCIceCandidate', 'RTCDataChannel']) delete w[name];
  });

type Attack = 'replay' | 'reorder' | 'tamper';

/**
 * Makes `server` a malicious relay for one frame to the agent at a time: `arm(attack)` replays the
 * next frame (sends it twice), reorders it (holds it back and sends it after the one behind it),
 * or tampers with it (flips a bit of its ciphertext). Every other event passes.
 */
function maliciousRelay(server: AppServer) {
  const io = server.app.io;
  const realTo = io.to.bind(io);
  let armed: Attack | null = null;
  let held: { room: Parameters<typeof io.to>[0]; message: { data: string } } | null = null;
  let done = 0;
  io.to = ((room: Parameters<typeof io.to>[0]) => {
    const operator = realTo(room);
    return new Proxy(operator, {
      get(target, property) {
        const value = Reflect.get(target, property, target) as unknown;
        if (property !== 'emit') return typeof value === 'function' ? value.bind(target) : value;
        return (event: string, message: { data: string }) => {
          const send = (to: Parameters<typeof io.to>[0], m: { data: string }) => (realTo(to).emit as (...args: unknown[]) => boolean)(event, m);
          if (event !== 'relay' || (armed === null && held === null)) return send(room, message);
          if (held) {
            // The frame behind the held one goes first; then the held one.
            send(room, message);
            send(held.room, held.message);
            held = null;
            done++;
            return true;
          }
          const attack = armed;
          armed = null;
          if (attack === 'replay') {
            send(room, message);
            send(room, message);
            done++;
          } else if (attack === 'reorder') {
            held = { room, message };
          } else {
            const data = Buffer.from(message.data, 'base64');
            data[data.length - 20]! ^= 0x10;
            send(room, { ...message, data: data.toString('base64') });
            done++;
          }
          return true;
        };
      },
    });
  }) as typeof io.to;
  return {
    arm(attack: Attack) {
      armed = attack;
    },
    get done() {
      return done;
    },
    restore() {
      io.to = realTo;
    },
  };
}

const signatureSource = `(${domSignature.toString()})(document)`;

/** Compares both DOMs until they are equal or `timeoutMs` passes; the last difference if not. */
async function mirrorMatches(customer: CustomerPage, agent: AgentPage, timeoutMs = 20_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const expected = (await customer.page.evaluate(signatureSource)) as string;
    const seen = (await agent.inMirror(new Function('doc', `return (${domSignature.toString()})(doc)`) as (doc: Document) => string)) ?? '(no mirror document)';
    if (seen === expected) return '';
    if (Date.now() > deadline) return firstDifference(expected, seen);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** The customer shares, the agent joins: live over the relay on both sides, the whole page in the mirror and DOM-equal. */
async function liveRelayed(customer: CustomerPage, agent: AgentPage): Promise<void> {
  const { code } = await customer.page.evaluate(() => window.Coview!.start({ onJoinRequest: () => true }));
  await agent.join(code);
  await agent.waitForState('live', 40_000);
  await customer.waitForState('sharing');
  expect(await customer.widget.getAttribute('data-coview-transport')).toBe('relayed');
  expect(await agent.page.locator('html').getAttribute('data-coview-transport')).toBe('relayed');
  await agent.page.locator('[data-coview-frame]:not([data-coview-loading])').waitFor({ timeout: 30_000 });
  expect(await mirrorMatches(customer, agent)).toBe('');
}

describe('relayed sessions (relay on, the default)', () => {
  let log: string[] = [];
  beforeAll(() => {
    log = recordEverythingReceived(h.server);
  });

  it('a customer without WebRTC shares over the encrypted relay: code, consent, mirror, typing, stop; the server reads neither the code nor the page', { timeout: 120_000 }, async () => {
    const customerContext = await h.person();
    await withoutWebRtc(customerContext);
    const customer = await CustomerPage.open(customerContext, `${h.server.url}/`);
    expect(await customer.page.evaluate(() => typeof window.RTCPeerConnection)).toBe('undefined');
    const agent = await AgentPage.open(await h.person({ width: 1280, height: 800 }), `${h.server.url}/join`);

    const code = await customer.shareScreen();
    expect(code).toMatch(/^[0-9A-Z]{3}-[0-9A-Z]{3}-[0-9A-Z]{3}$/);
    await agent.join(code, 'Alex');
    await customer.widget.getByText('Allow Alex to see this page?').waitFor();
    await customer.button('Allow').click();
    await agent.waitForState('live', 30_000);
    await customer.waitForState('sharing');

    // Both sides say how the session runs, in words and in the Automation API.
    expect(await customer.widget.getAttribute('data-coview-transport')).toBe('relayed');
    expect(await customer.text()).toContain('Relayed (encrypted)');
    expect(await agent.page.locator('html').getAttribute('data-coview-transport')).toBe('relayed');
    expect(await agent.statusText()).toContain('Relayed (encrypted)');

    // The mirror is the customer's page, node for node.
    await agent.page.locator('[data-coview-frame]:not([data-coview-loading])').waitFor({ timeout: 30_000 });
    expect(await mirrorMatches(customer, agent)).toBe('');

    // Changes and typing come through; a canary typed into the page never reaches the server readable.
    const canary = 'Zanzibar-Canary-7Q2X';
    await customer.page.locator('.add-to-cart').nth(0).click();
    await eventually(() => agent.frame.locator('#cart-count').textContent().then((t) => t?.trim()), (t) => t === '1');
    await customer.page.locator('#name').fill(canary);
    await eventually(() => agent.frame.locator('#name').inputValue(), (v) => v === canary);
    expect(await mirrorMatches(customer, agent)).toBe('');

    // The server counts the session as relayed.
    expect(await h.server.app.metrics.registry.getSingleMetricAsString('coview_sessions_total')).toMatch(/coview_sessions_total\{transport="relayed"\} [1-9]/);

    // The session facts name the transport too.
    await agent.page.locator('[data-coview-tab="session"]').click();
    expect(await agent.page.locator('[data-coview-info="transport"]').innerText()).toBe('Relayed (encrypted)');

    await customer.button('Stop sharing').click();
    await agent.waitForState('ended');
    expect(await agent.page.locator('html').getAttribute('data-coview-reason')).toBe('stopped');
    expect(await customer.state()).toBe('idle');

    // The page really went through the server: many sealed frames, none of them readable.
    const frames = log.filter((line) => line.startsWith('EVENT relay '));
    expect(frames.length).toBeGreaterThan(5);
    const haystack = log.join('\n').toLowerCase();
    expect(haystack.includes(canary.toLowerCase()), 'the canary reached the server readable').toBe(false);
    for (const spelling of [code, code.replaceAll('-', '')]) expect(haystack.includes(spelling.toLowerCase()), `the code as ${spelling} reached the server`).toBe(false);
    // Nor the shop's own words (the mirror has them, the server must not).
    const title = await customer.page.locator('#products h3').first().textContent();
    expect(title && title.length > 3).toBe(true);
    expect(haystack.includes(title!.toLowerCase())).toBe(false);
  });

  it('a server that replays, reorders or tampers with relay frames gets them refused, and the session goes on', { timeout: 180_000 }, async () => {
    const customerContext = await h.person();
    await withoutWebRtc(customerContext);
    const customer = await CustomerPage.open(customerContext, `${h.server.url}/`);
    const agent = await AgentPage.open(await h.person({ width: 1280, height: 800 }), `${h.server.url}/join`);
    const refusals: string[] = [];
    agent.page.on('console', (message) => {
      const match = /refused a relay frame: (ERR_RELAY_\w+)/.exec(message.text());
      if (match) refusals.push(match[1]!);
    });
    const { code } = await customer.page.evaluate(() => window.Coview!.start({ onJoinRequest: () => true }));
    await agent.join(code);
    await agent.waitForState('live', 30_000);
    await agent.page.locator('[data-coview-frame]:not([data-coview-loading])').waitFor({ timeout: 30_000 });
    const server = maliciousRelay(h.server);
    try {
      let clicks = 0;
      for (const [attack, refusal] of [
        ['replay', 'ERR_RELAY_REPLAYED'],
        ['reorder', 'ERR_RELAY_REORDERED'],
        ['tamper', 'ERR_RELAY_TAMPERED'],
      ] as const) {
        const before = server.done;
        server.arm(attack);
        // Two changes: the frame attacked, and one behind it.
        await customer.page.locator('.add-to-cart').nth(0).click();
        await customer.page.locator('#name').fill(`after ${attack}`);
        clicks++;
        await eventually(async () => server.done, (done) => done > before, 20_000);
        await eventually(async () => refusals.includes(refusal), (seen) => seen, 20_000);
        // Nothing refused was applied, nothing was lost: the agent is live (after a fresh link and snapshot when the stream broke) and sees the page as it is.
        await agent.waitForState('live', 30_000);
        await eventually(() => agent.frame.locator('#cart-count').textContent().then((t) => t?.trim()), (t) => t === String(clicks), 30_000);
        await eventually(() => agent.frame.locator('#name').inputValue(), (v) => v === `after ${attack}`, 30_000);
        expect(await mirrorMatches(customer, agent), attack).toBe('');
        expect(await customer.state()).toBe('sharing');
        expect(await agent.page.locator('html').getAttribute('data-coview-transport')).toBe('relayed');
      }
    } finally {
      server.restore();
    }
    await customer.button('Stop sharing').click();
    await agent.waitForState('ended');
  });

  it('peers that cannot reach each other (no route, no TURN) fall back to the relay within seconds', { timeout: 90_000 }, async () => {
    const blocked = await h.person();
    // The customer may only use TURN relays, and there are none: ICE never connects.
    await blocked.addInitScript(() => {
      const Real = window.RTCPeerConnection;
      window.RTCPeerConnection = class extends Real {
        constructor(config?: RTCConfiguration) {
          super({ ...config, iceTransportPolicy: 'relay' });
        }
      };
    });
    const customer = await CustomerPage.open(blocked, `${h.server.url}/`);
    const agent = await AgentPage.open(await h.person({ width: 1280, height: 800 }), `${h.server.url}/join`);
    await liveRelayed(customer, agent);
  });

  it('a relayed session moves back to direct once a peer connection comes up, and goes on', { timeout: 120_000 }, async () => {
    const blocked = await h.person();
    // No route between the peers until the test lifts the block (the network got better).
    await blocked.addInitScript(() => {
      const Real = window.RTCPeerConnection;
      window.RTCPeerConnection = class extends Real {
        constructor(config?: RTCConfiguration) {
          super((window as unknown as { __unblocked?: boolean }).__unblocked ? config : { ...config, iceTransportPolicy: 'relay' });
        }
      };
    });
    const customer = await CustomerPage.open(blocked, `${h.server.url}/`);
    const agent = await AgentPage.open(await h.person({ width: 1280, height: 800 }), `${h.server.url}/join`);
    const { code } = await customer.page.evaluate(() => window.Coview!.start({ onJoinRequest: () => true }));
    await agent.join(code);
    await agent.waitForState('live', 40_000);
    await customer.waitForState('sharing');
    expect(await agent.page.locator('html').getAttribute('data-coview-transport')).toBe('relayed');
    await customer.page.locator('.add-to-cart').nth(0).click();

    await customer.page.evaluate(() => ((window as unknown as { __unblocked?: boolean }).__unblocked = true));
    const seen = new Set<string>();
    await eventually(
      async () => {
        const state = await agent.state();
        if (state) seen.add(state);
        return agent.page.locator('html').getAttribute('data-coview-transport');
      },
      (transport) => transport === 'direct',
      60_000,
    );
    await eventually(() => customer.widget.getAttribute('data-coview-transport'), (transport) => transport === 'direct');
    expect(await customer.text()).toContain('Direct');
    // The agent never left the live view for it.
    expect([...seen]).toEqual(['live']);
    await customer.page.locator('.add-to-cart').nth(1).click();
    await customer.page.locator('#name').fill('after the move');
    await eventually(() => agent.frame.locator('#cart-count').textContent().then((t) => t?.trim()), (t) => t === '2');
    await eventually(() => agent.frame.locator('#name').inputValue(), (v) => v === 'after the move');
    expect(await mirrorMatches(customer, agent)).toBe('');
  });

  it('an agent without WebRTC watches relayed: the customer’s offer goes unanswered and the relay takes over', { timeout: 90_000 }, async () => {
    const customer = await CustomerPage.open(await h.person(), `${h.server.url}/`);
    const agentContext = await h.person({ width: 1280, height: 800 });
    await withoutWebRtc(agentContext);
    const agent = await AgentPage.open(agentContext, `${h.server.url}/join`);
    await liveRelayed(customer, agent);
  });

  /** A relayed customer follows account.html's link to another site: the agent reads "left the site", at once. */
  async function relayedCustomerLeavesTheSite(prepare: (context: BrowserContext) => Promise<unknown> = async () => {}) {
    const customerContext = await h.person();
    await withoutWebRtc(customerContext);
    await prepare(customerContext);
    const customer = await CustomerPage.open(customerContext, `${h.fixtures.url}/account.html`);
    const agent = await AgentPage.open(await h.person({ width: 1280, height: 800 }), `${h.server.url}/join`);
    const { code } = await customer.page.evaluate(() => window.Coview!.start({ onJoinRequest: () => true }));
    await agent.join(code);
    await agent.waitForState('live', 30_000);
    expect(await agent.page.locator('html').getAttribute('data-coview-transport')).toBe('relayed');
    await customer.page.locator('#to-elsewhere').click();
    // Not "reconnecting" for the server's grace period, nor a stale "live": a relay has no connection state of its own.
    await agent.waitForState('ended', 10_000);
    expect(await agent.page.locator('html').getAttribute('data-coview-reason')).toBe('host-left');
    expect(await agent.statusText()).toContain('the customer left the site');
  }

  it('a relayed customer leaving the site is seen leaving: the relayed goodbye and the server both say so', { timeout: 90_000 }, async () => {
    await relayedCustomerLeavesTheSite();
  });

  it('a relayed customer whose page is torn down before its pagehide handler runs is still seen leaving the site', { timeout: 90_000 }, async () => {
    // A busy phone or a cross-site process swap: the page goes without its pagehide handlers having
    // run, so neither a relayed goodbye nor host:left-site: the link's navigate event said it.
    await relayedCustomerLeavesTheSite((context) =>
      context.addInitScript(() => {
        const add = window.addEventListener;
        window.addEventListener = function (this: Window, type: string, ...rest: unknown[]) {
          if (type === 'pagehide') return;
          return (add as (...args: unknown[]) => void).call(this, type, ...rest);
        } as typeof window.addEventListener;
      }),
    );
  });

  it('an ordinary session says Direct on both sides', async () => {
    const { customer, agent } = await h.liveSession('layout.html');
    await customer.waitForState('sharing');
    expect(await customer.widget.getAttribute('data-coview-transport')).toBe('direct');
    expect(await customer.text()).toContain('Direct');
    expect(await agent.page.locator('html').getAttribute('data-coview-transport')).toBe('direct');
    expect(await agent.statusText()).toContain('Direct');
  });
});

/** The customer's side without WebRTC and with the relay off, and peers with no route: recovery.e2e. */
describe('with RELAY_FALLBACK=false', () => {
  let off: AppServer;
  beforeAll(async () => {
    off = await startServer({ relay: { enabled: false } });
  });
  afterAll(() => off?.close());

  it('an agent without WebRTC is told plainly, and the customer is not left asking', async () => {
    const customer = await CustomerPage.open(await newPerson(h.browser, off.url), `${off.url}/`);
    const code = await customer.shareScreen();
    const context = await newPerson(h.browser, off.url, { width: 1280, height: 800 });
    await withoutWebRtc(context);
    const agent = await AgentPage.open(context, `${off.url}/join`);
    await agent.join(code);
    await agent.waitForState('error', 15_000);
    expect(await agent.page.locator('html').getAttribute('data-coview-reason')).toBe('ERR_WEBRTC_UNSUPPORTED');
    expect(await agent.page.getByRole('alert').innerText()).toContain('WebRTC is missing or turned off');
    // The agent left the room at once: the customer is back to waiting with a code, not asked about anyone.
    await customer.waitForState('waiting');
    await customer.page.context().close();
    await context.close();
  });
});
