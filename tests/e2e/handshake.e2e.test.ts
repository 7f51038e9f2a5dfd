import { beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { HANDSHAKE_KDF, fingerprintsOf } from '../../widget/protocol/handshake.js';
import { trackPeerConnections } from '../support/peer-connections.js';
import { startServer } from '../support/server.js';
import { AgentPage, CustomerPage, eventually } from './pages.js';
import { useHarness } from './harness.js';
import { recordEverythingReceived } from '../support/server-wire.js';

const h = useHarness();

/** The code in every way it might be written: as shown, without dashes, with spaces, any case, and base64/hex of those. */
function spellings(code: string): string[] {
  const bare = code.replaceAll('-', '');
  const texts = [code, bare, code.replaceAll('-', ' '), code.replaceAll('-', '%20')];
  const all = texts.flatMap((text) => [text, text.toLowerCase()]);
  for (const text of [code, bare, bare.toLowerCase()]) {
    const bytes = Buffer.from(text);
    all.push(bytes.toString('base64').replace(/=+$/, ''), bytes.toString('base64url'), bytes.toString('hex'), bytes.toString('hex').toUpperCase());
  }
  return all;
}

function expectCodeNowhere(log: string[], code: string): void {
  const haystack = log.join('\n');
  for (const spelling of spellings(code)) {
    // Case-insensitive too: lowercase hex, mixed case.
    expect(haystack.toLowerCase().includes(spelling.toLowerCase()), `the code as ${JSON.stringify(spelling)} reached the server`).toBe(false);
  }
}

describe('the signaling server never learns the share code', () => {
  let log: string[] = [];
  beforeAll(() => {
    log = recordEverythingReceived(h.server);
  });

  it('no spelling of the code is in anything the server receives: create, join, signals, invite, a reload that resumes', async () => {
    const { customer, agent } = await h.liveSession('layout.html');
    // Invite re-opens the same code, and says which it is.
    const shared = await customer.page.evaluate(() => window.Coview!.invite());
    expect(shared.code).toMatch(/^[0-9A-Z]{3}-[0-9A-Z]{3}-[0-9A-Z]{3}$/);
    // The customer reloads: the widget resumes with host:resume, the agent's side with a new peer.
    await customer.page.reload();
    await agent.waitForState('reconnecting', 10_000).catch(() => {});
    await agent.waitForState('live', 20_000);
    await customer.waitForState('sharing');
    // The agent's page reloads too (agent:resume).
    await agent.page.reload();
    await agent.waitForState('live', 20_000);

    expect(log.some((line) => line.includes('host:create'))).toBe(true);
    expect(log.some((line) => line.includes('agent:join'))).toBe(true);
    expect(log.some((line) => line.includes('host:resume'))).toBe(true);
    expect(log.some((line) => line.includes('agent:resume'))).toBe(true);
    expect(log.some((line) => line.includes('a=fingerprint:'))).toBe(true);
    expectCodeNowhere(log, shared.code);

    // What the KDF costs in this browser (printed for the README's figures; bounded so a slow phone stays usable).
    const ms = await kdfMilliseconds(customer.page);
    console.log(`PBKDF2-SHA-256 × ${HANDSHAKE_KDF.iterations} in Chromium: ${ms.map((t) => t.toFixed(0)).join(', ')} ms`);
    expect(Math.min(...ms)).toBeLessThan(2_000);
  });
});

/** Times the KDF with the product's parameters, five times, in `page`. */
function kdfMilliseconds(page: Page): Promise<number[]> {
  return page.evaluate(async ({ iterations, salt }) => {
    const base = await crypto.subtle.importKey('raw', new TextEncoder().encode('K7Q-M2X-9FD'), 'PBKDF2', false, ['deriveBits']);
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      await crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt: new TextEncoder().encode(salt), iterations }, base, 256);
      times.push(performance.now() - t);
    }
    return times;
  }, HANDSHAKE_KDF);
}

/**
 * A signaling server run by an attacker: it relays like the real one, but swaps the DTLS
 * fingerprint of every SDP going one way for that of its own endpoint (an RTCPeerConnection in
 * a third browser tab, whose private key it holds), the first step of sitting in the middle.
 */
async function maliciousServer(direction: 'offer' | 'answer', fingerprint: string) {
  const server = await startServer();
  let swapped = 0;
  server.app.io.on('connection', (socket) => {
    socket.use((packet, next) => {
      const [event, message] = packet as [string, { data?: { type?: string; sdp?: string } } | undefined];
      const data = message?.data;
      if (event === 'signal' && data?.type === direction && typeof data.sdp === 'string') {
        data.sdp = data.sdp.replace(/^a=fingerprint:.*$/gm, `a=fingerprint:${fingerprint}`);
        swapped++;
      }
      next();
    });
  });
  return { server, swapped: () => swapped };
}

/** The certificate fingerprint of a fresh RTCPeerConnection in a tab the attacker controls. */
async function attackerFingerprint(): Promise<string> {
  const page = await (await h.person()).newPage();
  await page.goto(`${h.server.url}/healthz`);
  const sdp = await page.evaluate(async () => {
    const pc = new RTCPeerConnection();
    pc.createDataChannel('mitm');
    const offer = await pc.createOffer();
    pc.close();
    return offer.sdp ?? '';
  });
  await page.close();
  const [fingerprint] = fingerprintsOf(sdp);
  expect(fingerprint).toMatch(/^sha-256 ([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  return fingerprint!;
}

/** Every status a side goes through, recorded in the page (never missing a short one). */
async function recordStates(customer: CustomerPage, agent: AgentPage): Promise<{ customer: () => Promise<string[]>; agent: () => Promise<string[]> }> {
  await customer.page.evaluate(() => {
    const seen: string[] = [];
    (window as unknown as { __states: string[] }).__states = seen;
    window.Coview!.subscribe((state: { status: string }) => seen.push(state.status));
  });
  await agent.page.evaluate(() => {
    const seen: string[] = [];
    (window as unknown as { __states: string[] }).__states = seen;
    new MutationObserver(() => seen.push(document.documentElement.getAttribute('data-coview-state') ?? '')).observe(document.documentElement, { attributes: true, attributeFilter: ['data-coview-state'] });
  });
  const read = (page: Page) => () => page.evaluate(() => (window as unknown as { __states: string[] }).__states);
  return { customer: read(customer.page), agent: read(agent.page) };
}

describe('a signaling server that tampers with the handshake is refused', () => {
  it.each([
    ['the customer’s offer', 'offer'],
    ['the agent’s answer', 'answer'],
  ] as const)('swapping the fingerprint in %s: both sides stop with ERR_HANDSHAKE_TAMPERED and never go live', async (_what, direction) => {
    const fingerprint = await attackerFingerprint();
    const { server, swapped } = await maliciousServer(direction, fingerprint);
    try {
      const customerContext = await h.person();
      await trackPeerConnections(customerContext);
      const customer = await CustomerPage.open(customerContext, `${h.fixtures.url}/layout.html?server=${encodeURIComponent(server.url)}`);
      const agentContext = await h.person({ width: 1280, height: 800 });
      await agentContext.grantPermissions(['microphone'], { origin: server.url });
      await trackPeerConnections(agentContext);
      const agent = await AgentPage.open(agentContext, `${server.url}/join`);
      const states = await recordStates(customer, agent);

      const { code } = await customer.page.evaluate(() => window.Coview!.start({ onJoinRequest: () => true }));
      const joinedAt = Date.now();
      await agent.join(code);

      await agent.waitForState('error', 15_000);
      expect(await agent.page.locator('html').getAttribute('data-coview-reason')).toBe('ERR_HANDSHAKE_TAMPERED');
      await eventually(() => customer.widget.getAttribute('data-coview-host-reason'), (reason) => reason === 'ERR_HANDSHAKE_TAMPERED', 10_000);
      expect(Date.now() - joinedAt).toBeLessThan(15_000);
      expect(swapped()).toBeGreaterThan(0);

      // Plain words on both sides.
      expect(await agent.page.locator('body').innerText()).toContain('tampered with on the way');
      expect(await customer.text()).toContain('tampered with on the way');

      // Never live: no sharing, no mirror, no peer connection that got as far as connecting.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      expect(await states.customer()).not.toContain('sharing');
      expect(await states.agent()).not.toContain('live');
      expect(await agent.page.locator('[data-coview-frame]').count()).toBe(0);
      for (const page of [customer.page, agent.page]) {
        const connected = await page.evaluate(() => (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs.filter((pc) => pc.connectionState === 'connected' || pc.connectionState === 'connecting').length);
        expect(connected).toBe(0);
      }
      // And it stays refused: the customer is not quietly handed to the attacker with a new code.
      expect(await customer.state()).toBe('error');
    } finally {
      await server.close();
    }
  });
});
