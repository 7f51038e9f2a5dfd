import { By } from 'selenium-webdriver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { launchChromium, newPerson } from '../support/browser.js';
import { domSignature, firstDifference } from '../support/dom-signature.js';
import { startFixtureServer } from '../support/fixture-server.js';
import { fuzzInChunks } from '../support/fuzz-chunks.js';
import { fuzzInPage } from '../support/fuzz-in-page.js';
import { startServer } from '../support/server.js';
import { recordEverythingReceived } from '../support/server-wire.js';
import { CANARY_TYPING } from '../support/wire.js';
import { launchWebKit, type WebKit } from '../support/webkit.js';
import { AgentPage, eventually } from './pages.js';

// Debian's WebKitGTK (MiniBrowser over WebDriver, under its own X server): the nearest engine to
// Safari that runs here. It has no WebRTC, so it is also the customer whose browser cannot make a
// peer connection. Capture and viewer are engine-specific code: the loopback fuzz runs here too.
let webkit: WebKit;
let server: Awaited<ReturnType<typeof startServer>>;
/** RELAY_FALLBACK=false: without WebRTC, nothing can carry the session. */
let noRelay: Awaited<ReturnType<typeof startServer>>;
let fixtures: Awaited<ReturnType<typeof startFixtureServer>>;
let chromium: Browser;
beforeAll(async () => {
  server = await startServer();
  noRelay = await startServer({ relay: { enabled: false } });
  fixtures = await startFixtureServer(server.url);
  webkit = await launchWebKit();
  chromium = await launchChromium();
}, 90_000);
afterAll(async () => {
  await webkit?.close();
  await chromium?.close();
  await fixtures?.close();
  await noRelay?.close();
  await server?.close();
});

/** The page in WebKit shows the widget's button and has `window.Coview` (WebDriver has no waitFor of its own). */
async function widgetShown(): Promise<void> {
  const shown = () => webkit.run(() => window.Coview !== undefined && document.querySelector('[data-coview-widget]')?.shadowRoot?.querySelector('button') != null);
  await eventually(shown, (up) => up, 15_000).catch(() => expect.fail('the widget did not appear in WebKit'));
}

describe('in WebKit', () => {
  it('after each of 500 random change batches (frames, shadow roots, <html>, doctype, resyncs mid-churn) the agent DOM equals the customer DOM', { timeout: 180_000 }, async () => {
    await webkit.driver.get(`${fixtures.url}/fuzz.html`);
    expect(await webkit.run(() => navigator.userAgent)).toMatch(/AppleWebKit/);
    expect(await webkit.run(() => navigator.userAgent)).not.toMatch(/Chrome|Firefox/);
    const { operations } = await fuzzInChunks((args) => webkit.run(fuzzInPage, args), 500, 250);
    expect(operations).toBeGreaterThan(5_000);
  });

  it('with the relay turned off, the widget on the demo shop: a browser without WebRTC is told plainly, no code is handed out, and the page keeps working', async () => {
    await webkit.driver.get(`${noRelay.url}/`);
    expect(await webkit.run(() => typeof RTCPeerConnection)).toBe('undefined');
    await widgetShown();
    const rejection = await webkit.run(() =>
      window.Coview!.start({ onJoinRequest: () => true }).then(
        () => null,
        (error: { name?: string; code?: string }) => ({ name: error.name, code: error.code }),
      ),
    );
    expect(rejection).toEqual({ name: 'CoviewError', code: 'ERR_WEBRTC_UNSUPPORTED' });
    const seen = await webkit.run(() => {
      const host = document.querySelector('[data-coview-widget]')!;
      return { state: host.getAttribute('data-coview-host-state'), reason: host.getAttribute('data-coview-host-reason'), text: (host.shadowRoot!.querySelector('.panel, .dock') as HTMLElement).innerText, code: host.shadowRoot!.querySelectorAll('[data-coview-code]').length };
    });
    expect(seen).toMatchObject({ state: 'error', reason: 'ERR_WEBRTC_UNSUPPORTED', code: 0 });
    expect(seen.text).toContain("This browser can't share your screen");
    // The shop itself still works: "Add to cart" counts in its header.
    const count = await webkit.run(() => {
      (document.querySelector('.product .add-to-cart') as HTMLButtonElement).click();
      return document.getElementById('cart-count')!.textContent!.trim();
    });
    expect(count).toBe('1');
  });

  it('the customer in WebKit, a Chromium agent: the session runs over the encrypted relay (code, mirror, cart, typing, stop), and both sides say so', { timeout: 120_000 }, async () => {
    await webkit.driver.get(`${server.url}/`);
    expect(await webkit.run(() => typeof RTCPeerConnection)).toBe('undefined');
    await widgetShown();
    const { code } = await webkit.run(() => window.Coview!.start({ onJoinRequest: () => true }));
    expect(code).toMatch(/^[0-9A-Z]{3}-[0-9A-Z]{3}-[0-9A-Z]{3}$/);
    const agent = await AgentPage.open(await newPerson(chromium, server.url, { width: 1280, height: 800 }), `${server.url}/join`);
    await agent.join(code);
    await agent.waitForState('live', 40_000);
    await agent.page.locator('[data-coview-frame]:not([data-coview-loading])').waitFor({ timeout: 30_000 });
    expect(await agent.page.locator('html').getAttribute('data-coview-transport')).toBe('relayed');
    expect(await agent.statusText()).toContain('Relayed (encrypted)');
    const host = () => webkit.run(() => {
      const widget = document.querySelector('[data-coview-widget]')!;
      return { state: widget.getAttribute('data-coview-host-state'), transport: widget.getAttribute('data-coview-transport'), text: (widget.shadowRoot!.querySelector('.panel, .dock') as HTMLElement | null)?.innerText ?? '' };
    });
    const sharing = await eventually(host, (seen) => seen.state === 'sharing');
    expect(sharing.transport).toBe('relayed');
    expect(sharing.text).toContain('Relayed (encrypted)');
    expect(await agent.frame.locator('#products .product').count()).toBe(6);
    // The mirror's DOM is the WebKit page's (the structure a person sees).
    const expected = (await webkit.run((source: string) => new Function('doc', `return (${source})(doc)`)(document) as string, domSignature.toString()));
    const mirrored = () => agent.page.evaluate((source) => new Function('doc', `return (${source})(doc)`)(document.querySelector<HTMLIFrameElement>('[data-coview-frame]')!.contentDocument) as string, domSignature.toString());
    const seen = await eventually(mirrored, (signature) => signature === expected, 10_000).catch(mirrored);
    expect(seen === expected, firstDifference(expected, seen)).toBe(true);

    await webkit.run(() => {
      (document.querySelector('.product .add-to-cart') as HTMLButtonElement).click();
      const name = document.getElementById('name') as HTMLInputElement;
      name.value = 'Typed in WebKit';
      name.dispatchEvent(new Event('input', { bubbles: true }));
    });
    await eventually(() => agent.frame.locator('#cart-count').textContent().then((t) => t?.trim()), (t) => t === '1');
    await eventually(() => agent.frame.locator('#name').inputValue(), (v) => v === 'Typed in WebKit');

    await webkit.run(() => window.Coview!.stop());
    await agent.waitForState('ended');
    expect(await agent.page.locator('html').getAttribute('data-coview-reason')).toBe('stopped');
    await agent.page.context().close();
  });
  it('privacy over the relay: no canary from a password, card, one-time code, hidden, masked or blocked place reaches the agent or the server, typed by WebDriver keys', { timeout: 120_000 }, async () => {
    const received = recordEverythingReceived(server);
    await webkit.driver.get(`${fixtures.url}/canary.html?reset_token=CANARY-url-token#access_token=CANARY-url-fragment`);
    await widgetShown();
    const { code } = await webkit.run(() => window.Coview!.start({ onJoinRequest: () => true, maskSelector: '.pii', blockSelector: '#secret-widget' }));
    const agent = await AgentPage.open(await newPerson(chromium, server.url, { width: 1280, height: 800 }), `${server.url}/join`);
    await agent.join(code);
    await agent.waitForState('live', 40_000);
    await agent.page.locator('[data-coview-frame]:not([data-coview-loading])').waitFor({ timeout: 30_000 });
    expect(await agent.page.locator('html').getAttribute('data-coview-transport')).toBe('relayed');

    // Typed as a person would: WebDriver's key events into the focused field.
    const type = async (selector: string, text: string) => webkit.driver.findElement(By.css(selector)).sendKeys(text);
    await type('#password', 'CANARY-typed-password');
    await webkit.driver.findElement(By.css('#show-password')).click();
    await type('#password', '-CANARY-typed-while-visible');
    for (const [selector, text] of CANARY_TYPING) await type(selector, text);
    await webkit.run(() => (window as unknown as { mutate(): void }).mutate());
    await eventually(() => agent.frame.locator('#status').textContent(), (t) => t === 'mutations-done');
    await webkit.run(() => (window as unknown as { afterBlock(): void }).afterBlock());
    await eventually(() => agent.frame.locator('#status').textContent(), (t) => t === 'after-block-done');
    await eventually(() => agent.frame.locator('#plain').inputValue(), (v) => v === 'visible-typed');

    const canaries = ['CANARY', '4111', '4242'];
    // Nowhere on the agent's screen: its page, the mirror with its values, the page address.
    const agentSide = await agent.page.evaluate(() => {
      const doc = document.querySelector<HTMLIFrameElement>('[data-coview-frame]')!.contentDocument!;
      const values = [...doc.querySelectorAll('input, textarea, select')].map((el) => (el as HTMLInputElement).value);
      return [document.documentElement.outerHTML, doc.documentElement.outerHTML, ...values, document.title].join('\n');
    });
    expect(canaries.filter((canary) => agentSide.includes(canary))).toEqual([]);
    expect(agentSide).toContain('visible-username');
    expect(await agent.frame.locator('#password').inputValue()).toBe('••••••••');
    expect(await agent.frame.locator('#pii').textContent()).toBe('•••');
    // Nor readable in anything the server received: the page went through it sealed.
    expect(received.filter((line) => line.startsWith('EVENT relay ')).length).toBeGreaterThan(5);
    const haystack = received.join('\n');
    expect(canaries.filter((canary) => haystack.includes(canary))).toEqual([]);
    expect(haystack.includes('visible-username')).toBe(false);
    expect(haystack.includes(code)).toBe(false);
    await webkit.run(() => window.Coview!.stop());
    await agent.waitForState('ended');
    await agent.page.context().close();
  });
});
