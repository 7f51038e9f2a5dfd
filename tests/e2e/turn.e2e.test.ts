import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { launchChromium, newPerson } from '../support/browser.js';
import { startFixtureServer } from '../support/fixture-server.js';
import { trackPeerConnections } from '../support/peer-connections.js';
import { startCoturn, type RunningTurn } from '../support/processes.js';
import { startServer } from '../support/server.js';
import { AgentPage, CustomerPage, eventually } from './pages.js';

/**
 * The relay path (customers behind strict NATs): a real coturn on loopback with TURN REST
 * credentials (use-auth-secret), and both peers forced to relay everything through it.
 */
let turn: RunningTurn;
let server: Awaited<ReturnType<typeof startServer>>;
let fixtures: Awaited<ReturnType<typeof startFixtureServer>>;
let browser: Browser;

beforeAll(async () => {
  turn = await startCoturn();
  server = await startServer({ turn: { secret: turn.secret, urls: turn.urls, ttlSeconds: 600 }, iceTransportPolicy: 'relay' });
  fixtures = await startFixtureServer(server.url);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await fixtures?.close();
  await server?.close();
  await turn?.stop();
});

describe('TURN relay', () => {
  it('a session connects and streams with iceTransportPolicy "relay" through coturn', async () => {
    const customerContext = await newPerson(browser, fixtures.url);
    await trackPeerConnections(customerContext);
    const customer = await CustomerPage.open(customerContext, `${fixtures.url}/account.html`);
    const agent = await AgentPage.open(await newPerson(browser, server.url, { width: 1280, height: 800 }), `${server.url}/join`);
    const { code } = await customer.page.evaluate(() => window.Coview!.start({ onJoinRequest: () => true }));
    await agent.join(code);
    await agent.waitForState('live', 30_000).catch(async (error: unknown) => {
      const pcs = await customer.page.evaluate(async () =>
        Promise.all(
          (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs.map(async (pc) => ({
            ice: pc.iceConnectionState,
            signaling: pc.signalingState,
            pairs: [...(await pc.getStats()).values()].filter((s) => s.type === 'candidate-pair' || s.type === 'local-candidate' || s.type === 'remote-candidate').map((s) => `${s.type} ${s.state ?? ''} ${s.candidateType ?? ''} ${s.address ?? ''}:${s.port ?? ''}`),
          })),
        ),
      );
      throw new Error(`${String(error)}\npeer connections: ${JSON.stringify(pcs, null, 1)}\ncoturn said:\n${turn.logs.join('').slice(-3_000)}`);
    });

    await customer.page.locator('#notes').fill('relayed through TURN');
    await eventually(() => agent.frame.locator('#notes').inputValue(), (v) => v === 'relayed through TURN');

    // The pair in use is relay on the customer's side, and the TURN server is the one on loopback.
    const route = await customer.page.evaluate(async () => {
      const pc = (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs.at(-1)!;
      const stats = [...(await pc.getStats()).values()] as Record<string, unknown>[];
      const pair = stats.find((s) => s.type === 'candidate-pair' && s.state === 'succeeded' && s.nominated);
      const local = stats.find((s) => s.id === pair?.localCandidateId);
      const remote = stats.find((s) => s.id === pair?.remoteCandidateId);
      return { policy: pc.getConfiguration().iceTransportPolicy, local: local?.candidateType, remote: remote?.candidateType, url: local?.url };
    });
    expect(route).toMatchObject({ policy: 'relay', local: 'relay', remote: 'relay' });
    expect(String(route.url)).toContain(`127.0.0.1:${turn.port}`);
  });
});
