import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { domSignature, firstDifference } from '../support/dom-signature.js';
import type { Engine } from '../support/tab.js';
import { canaryLeaks, CANARY_TYPING, wireRecorder } from '../support/wire.js';
import { Agent, CrossBrowser, Customer, overlaps, type Person } from './cross-browser.js';
import { eventually } from './pages.js';

// Firefox (Debian's ESR, over WebDriver BiDi) as the customer with a Chromium agent, and the reverse:
// the same steps on both pairings. One browser of each engine for the whole file: Firefox takes
// seconds to start.
const x = new CrossBrowser();
beforeAll(() => x.start(), 90_000);
afterAll(() => x.stop());
afterEach(async () => {
  // An uncaught error on either side is a failure of the test that caused it.
  expect(await x.closeTabs()).toEqual([]);
});

/** The structure a person sees on the customer's page, and on the agent's mirror once it has caught up. */
async function expectMirrorEqual(customer: Customer, agent: Agent): Promise<void> {
  const expected = (await customer.tab.evaluate(`(${domSignature.toString()})(document)`)) as string;
  const read = () => agent.inMirror(new Function('doc', `return (${domSignature.toString()})(doc)`) as (doc: Document) => string);
  const seen = await eventually(read, (s) => s === expected, 10_000).catch(read);
  expect(seen === expected, firstDifference(expected, seen)).toBe(true);
}

const style = (person: Person, target: Parameters<Person['read']>[0], property: string) => person.read(target, { style: property });

describe.each([
  ['firefox', 'chromium'],
  ['chromium', 'firefox'],
] as [Engine, Engine][])('customer in %s, agent in %s', (customerEngine, agentEngine) => {
  it('main flow: share, code, join, consent, the live mirror equals the shop, navigation, cart, typing, stop', async () => {
    const customer = await x.customer(customerEngine);
    const agent = await x.agent(agentEngine);
    expect(await customer.tab.run(() => navigator.userAgent, null)).toContain(customerEngine === 'firefox' ? 'Firefox' : 'Chrome');
    expect(await agent.tab.run(() => navigator.userAgent, null)).toContain(agentEngine === 'firefox' ? 'Firefox' : 'Chrome');

    await customer.click(Customer.button('Share my screen'));
    const code = (await customer.waitFor(Customer.inWidget('[data-coview-code]'), 'text', (t) => !!t))!;
    expect(code).toMatch(/^[0-9A-Z]{3}-[0-9A-Z]{3}-[0-9A-Z]{3}$/);

    await agent.join(code, 'Alex');
    await agent.waitForState('waiting');
    await eventually(() => customer.widgetText(), (t) => t?.includes('Allow Alex to see this page?') === true);
    expect(await agent.read('[data-coview-frame]', 'count')).toBe(0);
    await customer.click(Customer.button('Allow'));

    await agent.waitForState('live');
    await customer.waitForState('sharing');
    await agent.waitForWholePage();
    expect(await agent.read('[data-coview-frame]', { attr: 'sandbox' })).toBe('allow-same-origin');
    expect(await agent.read(Agent.mirror('#products .product'), 'count')).toBe(6);
    await expectMirrorEqual(customer, agent);

    // The shop's own navigation: the cart link scrolls the customer's page, and the agent's follows.
    await customer.click({ path: ['.site-header a[href="#cart"]'], text: 'Cart' });
    await eventually(() => customer.tab.run(() => location.hash, null), (h) => h === '#cart');
    // The shop scrolls smoothly: wait until it rests.
    const restingScroll = () => customer.tab.run(() => ((before) => new Promise<number>((resolve) => setTimeout(() => resolve(before === scrollY ? before : -1), 150)))(scrollY), null);
    const scrolled = await eventually(restingScroll, (y) => y > 100);
    await eventually(() => agent.inMirror((doc) => doc.defaultView!.scrollY), (y) => Math.abs(y - scrolled) < 2);

    await customer.click({ path: ['.add-to-cart'] });
    await customer.click({ path: ['#products .product:nth-child(2) .add-to-cart'] });
    await agent.waitFor(Agent.mirror('#cart-count'), 'text', (t) => t === '2');
    await agent.waitFor(Agent.mirror('#cart-total'), 'text', (t) => t === '$288.00');
    expect(await agent.read(Agent.mirror('#cart-items li'), 'count')).toBe(2);
    await expectMirrorEqual(customer, agent);

    // Typing, key by key: the name shows, the password never does.
    await customer.type('#name', 'Ada Lovelace');
    await customer.type('#password', 'hunter2-secret');
    await agent.waitFor(Agent.mirror('#name'), 'value', (v) => v === 'Ada Lovelace');
    const password = await agent.waitFor(Agent.mirror('#password'), 'value', (v) => !!v);
    expect(password).not.toContain('hunter2');
    expect(await agent.read(Agent.mirror('#csrf'), { attr: 'value' })).not.toContain('SECRET');

    await customer.click(Customer.button('Stop sharing'));
    await agent.waitForState('ended');
    expect(await agent.read('html', { attr: 'data-coview-reason' })).toBe('stopped');
    expect(await customer.state()).toBe('idle');
  });

  it('an agent whose peer reports “connected” late still gets the hello and first snapshot the customer sent before', async () => {
    // simple-peer's `connect` waits for getStats(); slowed down here (Firefox is often this late by
    // itself) the customer's hello and first snapshot arrive before it, and must not be lost.
    function slowStats(): void {
      const getStats = RTCPeerConnection.prototype.getStats;
      RTCPeerConnection.prototype.getStats = function (this: RTCPeerConnection, ...args: []) {
        return new Promise((resolve) => setTimeout(resolve, 600)).then(() => getStats.apply(this, args));
      };
    }
    const { customer, agent } = await x.liveSession(customerEngine, agentEngine, 'control.html', { beforeAgent: (tab) => tab.addInitScript(slowStats) });
    await expectMirrorEqual(customer, agent);
    expect(await agent.read('.page-info', { attr: 'title' })).toMatch(/control\.html$/);
  });

  it('remote control: granted, clicks and typing reach the customer’s page, the wheel scrolls it, taken back at once', async () => {
    const { customer, agent } = await x.liveSession(customerEngine, agentEngine, 'control.html', { viewport: { width: 900, height: 650 } });
    await agent.click(Agent.button('Request control'));
    await eventually(() => customer.widgetText(), (t) => t?.includes('Alex asks to control this page') === true);
    await customer.click(Customer.button('Allow control'));
    await eventually(() => agent.controlState(), (s) => s === 'on');

    await agent.click(Agent.mirror('#inc'));
    await agent.click(Agent.mirror('#inc'));
    await customer.waitFor('#count', 'text', (t) => t === '2');
    await agent.waitFor(Agent.mirror('#count'), 'text', (t) => t === '2');

    // Every keystroke reaches the page's own (React-style) state, which upper-cases it.
    await agent.type(Agent.mirror('#react-name'), 'ada lovelace');
    await agent.tab.keyboard.press('Backspace');
    await customer.waitFor('#echo', 'text', (t) => t === 'ADA LOVELAC');
    await agent.waitFor(Agent.mirror('#react-name'), 'value', (v) => v === 'ADA LOVELAC');
    await agent.type(Agent.mirror('#query'), 'boots');
    await agent.tab.keyboard.press('Enter');
    await customer.waitFor('#searched', 'text', (t) => t === 'searched: boots');

    const heading = await agent.box(Agent.mirror('h1'));
    await agent.tab.mouse.move(heading.x + 10, heading.y + 5);
    await agent.tab.mouse.wheel(300);
    await eventually(() => customer.tab.run(() => scrollY, null), (y) => y > 100);
    await customer.tab.run(() => scrollTo(0, 0), null);
    await eventually(() => agent.inMirror((doc) => doc.defaultView!.scrollY), (y) => y < 2);

    await customer.click(Customer.button('Take back control'));
    await eventually(() => agent.controlState(), (s) => s === 'off', 2_000);
    await agent.click(Agent.mirror('#inc'));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await customer.read('#count', 'text')).toBe('2');
  });

  it('drawing: the agent’s stroke shows on the customer’s page over the same content', async () => {
    const { customer, agent } = await x.liveSession(customerEngine, agentEngine, 'control.html', { viewport: { width: 900, height: 650 } });
    await agent.click(Agent.button('Draw'));
    const target = await agent.box(Agent.mirror('#target'));
    await agent.tab.mouse.move(target.x + 10, target.y + target.height / 2);
    await agent.tab.mouse.down();
    for (let i = 1; i <= 10; i++) await agent.tab.mouse.move(target.x + 10 + (i * (target.width - 20)) / 10, target.y + target.height / 2 + (i % 2 ? 8 : -8));
    await agent.tab.mouse.up();

    const ink = Customer.inWidget('.ink path');
    await customer.waitFor(ink, { attr: 'd' }, (d) => (d?.match(/L/g) ?? []).length >= 8);
    const hostInk = (await customer.read(ink, 'box'))!;
    const hostTarget = (await customer.read('#target', 'box'))!;
    expect(overlaps(hostInk, hostTarget)).toBe(true);
    expect(hostInk.width).toBeGreaterThan(hostTarget.width * 0.6);
    // Painted, not only in the DOM: a visible stroke colour and width.
    expect(await style(customer, ink, 'stroke')).toBe('rgb(124, 58, 237)');
    expect(await style(customer, ink, 'stroke-width')).toBe('4px');
    // The agent sees the same stroke over the same box of the mirror.
    const agentInk = (await agent.read('.coview-agent-ink path', 'box'))!;
    expect(overlaps(agentInk, await agent.box(Agent.mirror('#target')))).toBe(true);
  });

  it('privacy: no canary from a password, card, one-time code, hidden, masked or blocked place reaches the agent', async () => {
    const { customer, agent } = await x.liveSession(customerEngine, agentEngine, 'canary.html?reset_token=CANARY-url-token#access_token=CANARY-url-fragment', {
      before: (tab) => tab.addInitScript(wireRecorder),
      startOptions: { maskSelector: '.pii', blockSelector: '#secret-widget' },
    });
    await customer.type('#password', 'CANARY-typed-password');
    await customer.click('#show-password');
    await customer.type('#password', '-CANARY-typed-while-visible');
    for (const [selector, text] of CANARY_TYPING) await customer.type(selector, text);
    await customer.tab.run(() => (window as unknown as { mutate(): void }).mutate(), null);
    await agent.waitFor(Agent.mirror('#status'), 'text', (t) => t === 'mutations-done');
    await customer.tab.run(() => (window as unknown as { afterBlock(): void }).afterBlock(), null);
    await agent.waitFor(Agent.mirror('#status'), 'text', (t) => t === 'after-block-done');
    await agent.waitFor(Agent.mirror('#plain'), 'value', (v) => v === 'visible-typed');

    const canaries = ['CANARY', '4111', '4242'];
    const wire = await canaryLeaks({ evaluate: (fn) => customer.tab.run(fn, null) }, canaries);
    expect(wire.messages).toBeGreaterThan(1);
    expect(wire.leaks).toEqual([]);
    // Nor anywhere on the agent's screen: its page, the mirror with its values, the page address.
    const agentSide = await agent.tab.run(() => {
      const doc = document.querySelector<HTMLIFrameElement>('[data-coview-frame]')!.contentDocument!;
      const values = [...doc.querySelectorAll('input, textarea, select')].map((el) => (el as HTMLInputElement).value);
      return [document.documentElement.outerHTML, doc.documentElement.outerHTML, ...values, document.title].join('\n');
    }, null);
    expect(canaries.filter((canary) => agentSide.includes(canary))).toEqual([]);
    expect(agentSide).toContain('visible-username');
    expect(await agent.read(Agent.mirror('#password'), 'value')).toBe('••••••••');
    expect(await agent.read(Agent.mirror('#pii'), 'text')).toBe('•••');
  });

  it('mirror: CSS-in-JS, adopted sheets, style edits, a late <link> and media queries look as on the customer’s page', async () => {
    const { customer, agent } = await x.liveSession(customerEngine, agentEngine, 'styles.html', { viewport: { width: 1000, height: 700 } });
    await expectMirrorEqual(customer, agent);
    const sameStyle = async (selector: string, property: string) => {
      const value = await style(customer, selector, property);
      expect(['rgb(0, 0, 0)', '0px', 'none', '', null], `${selector} ${property} on the customer's page`).not.toContain(value);
      await agent.waitFor(Agent.mirror(selector), { style: property }, (v) => v === value, 5_000).catch(() => undefined);
      expect(await style(agent, Agent.mirror(selector), property), `${selector} ${property}`).toBe(value);
    };
    for (const [selector, property] of [
      ['#var-border', 'border-top-color'],
      ['#var-border', 'border-left-style'],
      ['#var-adopted', 'padding-top'],
      ['#var-adopted', 'border-bottom-color'],
      ['#var-style', 'margin-bottom'],
      ['#var-style', 'border-left-color'],
      ['#plain-text', 'color'],
      ['#cij-text', 'color'],
      ['#adopted-text', 'color'],
      ['#media-text', 'color'],
    ]) await sameStyle(selector!, property!);

    await customer.tab.run(() => {
      const r = (window as unknown as { restyle: Record<string, () => void> }).restyle;
      r.insertLater!();
      r.changeAdopted!();
      r.editPlainText!();
      r.addLink!();
    }, null);
    for (const [selector, property] of [
      ['#late-cij-text', 'color'],
      ['#adopted-text', 'color'],
      ['#plain-text', 'color'],
      ['#link-text', 'letter-spacing'],
    ]) await sameStyle(selector!, property!);
    expect(await style(customer, '#adopted-text', 'color')).toBe('rgb(90, 60, 30)');

    await customer.tab.setViewport({ width: 500, height: 700 });
    expect(await style(customer, '#media-text', 'color')).toBe('rgb(0, 128, 0)');
    await agent.waitFor(Agent.mirror('#media-text'), { style: 'color' }, (v) => v === 'rgb(0, 128, 0)', 5_000);
  });

  it('mirror: shadow DOM, nested frames and a canvas, with their changes', async () => {
    const { customer, agent } = await x.liveSession(customerEngine, agentEngine, 'components.html');
    const call = (fn: string, ...args: string[]) => customer.tab.run(([f, a]) => (window as unknown as { components: Record<string, (...x: string[]) => unknown> }).components[f]!(...a), [fn, args] as const);
    await expectMirrorEqual(customer, agent);

    // An open shadow root with its own styles, then changed, added and attached late.
    expect(await agent.read(Agent.mirror('#tag1', '.amount'), 'text')).toBe('42 €');
    expect(await style(agent, Agent.mirror('#tag1', '.amount'), 'color')).toBe('rgb(0, 100, 0)');
    await call('setAmount', 'tag1', '99');
    await call('addTag', '7');
    await call('shadowLater');
    await agent.waitFor(Agent.mirror('#tag1', '.amount'), 'text', (t) => t === '99 €', 5_000);
    await agent.waitFor(Agent.mirror('#tag2', '.amount'), 'text', (t) => t === '7 €', 5_000);
    await agent.waitFor(Agent.mirror('#plain-host', '#late-shadow'), 'text', (t) => t === 'Attached after sharing', 5_000);

    // Same-origin frames, nested, with a change and typing inside.
    await agent.waitFor(Agent.mirror('#outer-frame', '#outer-text'), 'text', (t) => t === 'Inside the outer frame', 5_000);
    await agent.waitFor(Agent.mirror('#outer-frame', '#inner-frame', '#inner-text'), 'text', (t) => t === 'Inside the nested frame', 5_000);
    await customer.tab.run(() => {
      const doc = (document.getElementById('outer-frame') as HTMLIFrameElement).contentDocument!;
      doc.getElementById('outer-text')!.textContent = 'Changed inside the frame';
    }, null);
    await customer.type({ path: ['#outer-frame', '#outer-input'] }, 'typed in a frame');
    await agent.waitFor(Agent.mirror('#outer-frame', '#outer-text'), 'text', (t) => t === 'Changed inside the frame', 5_000);
    await agent.waitFor(Agent.mirror('#outer-frame', '#outer-input'), 'value', (v) => v === 'typed in a frame', 5_000);

    // The canvas, as lossy WebP: colours within a few steps.
    const agentPixel = () => agent.inMirror((doc) => Array.from((doc.getElementById('chart') as HTMLCanvasElement).getContext('2d')!.getImageData(60, 40, 1, 1).data.slice(0, 3)));
    const near = (expected: number[]) => (pixel: number[] | null) => !!pixel && pixel.every((v, i) => Math.abs(v - expected[i]!) <= 8);
    await eventually(agentPixel, near([255, 0, 0]), 5_000);
    await call('paint', 'rgb(0, 0, 255)');
    await eventually(agentPixel, near([0, 0, 255]), 5_000);
  });
});
