import { describe, expect, it } from 'vitest';
import { AgentPage, CustomerPage, eventually } from './pages.js';
import { useHarness } from './harness.js';

const h = useHarness();

describe('safety on the agent’s side', () => {
  it('a hostile page runs nothing and navigates nothing in the agent’s browser, even forging what the widget sends', async () => {
    const customer = await CustomerPage.open(await h.person(), `${h.fixtures.url}/hostile.html`);
    const agent = await AgentPage.open(await h.person({ width: 1280, height: 800 }), `${h.server.url}/join`);
    const agentErrors: Error[] = [];
    const warnings: string[] = [];
    const navigations: string[] = [];
    agent.page.on('pageerror', (error) => agentErrors.push(error));
    agent.page.on('console', (message) => message.type() === 'warning' && warnings.push(message.text()));
    const { code } = await customer.page.evaluate(() => window.Coview!.start({ onJoinRequest: () => true }));
    await agent.join(code);
    await agent.waitForState('live');
    agent.page.on('framenavigated', (frame) => navigations.push(frame.url()));
    const joinUrl = agent.page.url();

    // The forged snapshot (full of raw vectors) arrived and was shown: the attack really reached the viewer.
    await eventually(() => agent.frame.locator('#forged-marker').count(), (n) => n === 1);
    // Malformed and unknown messages were dropped with a warning, not thrown into the page.
    await eventually(() => Promise.resolve(warnings.filter((w) => w.includes('dropped a message from the customer')).length), (n) => n >= 4);

    // The agent tries every link and button in the mirror.
    for (const selector of ['#js-link', '#nav-link', '#blank-link', '#submit', '#forged-js-link', '#forged-submit']) {
      await agent.frame.locator(selector).click({ timeout: 5_000 });
    }
    await agent.frame.locator('#form input').press('Enter');
    // Long enough for a meta refresh, onerror, autofocus or srcdoc script to have run.
    await new Promise((resolve) => setTimeout(resolve, 1_500));

    const pwned = await agent.page.evaluate(() => {
      const mirror = document.querySelector<HTMLIFrameElement>('[data-coview-frame]')!;
      const w = window as unknown as { __pwned?: unknown };
      const m = mirror.contentWindow as unknown as { __pwned?: unknown };
      return { agent: w.__pwned ?? null, mirror: m.__pwned ?? null, mirrorUrl: mirror.contentWindow!.location.href };
    });
    // rrweb-snapshot writes the mirror with document.open(), which gives it the join page's address.
    expect(pwned).toEqual({ agent: null, mirror: null, mirrorUrl: joinUrl });
    expect(agent.page.url()).toBe(joinUrl);
    // New empty frames (the rebuilt mirror, its inert <iframe>s) start at about:blank; nothing went anywhere else.
    expect(navigations.filter((url) => url !== 'about:blank')).toEqual([]);
    expect(agentErrors).toEqual([]);
    expect(await agent.frame.locator('script, object, embed, base, meta[http-equiv], iframe[srcdoc], [onerror], [onload], [onclick]').count()).toBe(0);
    expect(await agent.frame.locator('[href^="javascript"], [action], [formaction]').count()).toBe(0);

    // The session goes on: a real change on the customer's page still shows up.
    expect(await agent.state()).toBe('live');
    await customer.page.locator('#status').evaluate((el) => (el.textContent = 'still live'));
    await eventually(() => agent.frame.locator('#status').textContent(), (t) => t === 'still live');
    // (On the customer's own page these payloads ran, as they would without Coview.)
    expect(await customer.page.evaluate(() => Array.isArray((window as unknown as { __pwned?: unknown }).__pwned))).toBe(true);
  });
});

describe('safety on the customer’s side', () => {
  it('a hostile agent’s forged and malformed messages are dropped and logged; control actions need the customer’s grant', async () => {
    const customer = await CustomerPage.open(await h.person(), `${h.fixtures.url}/control.html`);
    const warnings: string[] = [];
    const errors: Error[] = [];
    customer.page.on('console', (message) => message.type() === 'warning' && warnings.push(message.text()));
    customer.page.on('pageerror', (error) => errors.push(error));
    const agentContext = await h.person();
    // The agent's page keeps a handle on its data channel, to write raw frames on it.
    await agentContext.addInitScript(() => {
      const send = RTCDataChannel.prototype.send;
      RTCDataChannel.prototype.send = function (this: RTCDataChannel, data: never) {
        (window as unknown as { __channel: RTCDataChannel }).__channel = this;
        return send.call(this, data);
      };
    });
    const agent = await AgentPage.open(agentContext, `${h.server.url}/join`);
    const { code } = await customer.page.evaluate(() => window.Coview!.start({ onJoinRequest: () => true }));
    await agent.join(code);
    await agent.waitForState('live');

    // Agent → customer frames: flags 0 (one frame, not deflated), a sequence number, the JSON.
    let seq = 1_000;
    const forge = (messages: string[]) =>
      agent.page.evaluate(
        ([texts, first]) => {
          const channel = (window as unknown as { __channel: RTCDataChannel }).__channel;
          texts.forEach((text, i) => {
            const bytes = new TextEncoder().encode(text);
            const frame = new Uint8Array(bytes.length + 5);
            new DataView(frame.buffer).setUint32(1, first + i);
            frame.set(bytes, 5);
            channel.send(frame);
          });
        },
        [messages, (seq += messages.length) - messages.length] as const,
      );
    // Clicks on every id the page could have (it has about 100 nodes, #inc among them) without a grant:
    // all refused, nothing happens on the page.
    await forge(Array.from({ length: 200 }, (_, id) => JSON.stringify({ type: 'act', action: { type: 'click', id, x: 0.5, y: 0.5, count: 1 } })));
    await forge([
      'not json at all',
      JSON.stringify({ type: 'act', action: { type: 'eval', code: 'alert(1)' } }),
      JSON.stringify({ type: 'act', action: { type: 'click', id: 'inc' } }),
      JSON.stringify({ type: 'draw', stroke: 1, points: 'everywhere' }),
      JSON.stringify({ type: 'control', state: 'on' }),
    ]);
    await eventually(() => Promise.resolve(warnings.filter((w) => w.includes('dropped a message from the agent')).length), (n) => n >= 5);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await customer.page.locator('#count').textContent()).toBe('0');
    expect(await customer.state()).toBe('sharing');
    expect(await customer.widget.getAttribute('data-coview-control')).toBe('off');
    expect(errors).toEqual([]);
    // The agent was told each time.
    await eventually(() => agent.page.locator('[data-coview-tools-notice]').textContent(), (t) => t === 'You do not have control of the customer’s page.');
  });
});
