import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFixtureServer } from '../support/fixture-server.js';
import { fuzzInChunks } from '../support/fuzz-chunks.js';
import { fuzzInPage } from '../support/fuzz-in-page.js';
import { startServer } from '../support/server.js';
import { launchWebKit, type WebKit } from '../support/webkit.js';

// Debian's WebKitGTK (MiniBrowser over WebDriver, under its own X server): the nearest engine to
// Safari that runs here. It has no WebRTC, so it is also the customer whose browser cannot make a
// peer connection. Capture and viewer are engine-specific code: the loopback fuzz runs here too.
let webkit: WebKit;
let server: Awaited<ReturnType<typeof startServer>>;
let fixtures: Awaited<ReturnType<typeof startFixtureServer>>;
beforeAll(async () => {
  server = await startServer();
  fixtures = await startFixtureServer(server.url);
  webkit = await launchWebKit();
}, 90_000);
afterAll(async () => {
  await webkit?.close();
  await fixtures?.close();
  await server?.close();
});

describe('in WebKit', () => {
  it('after each of 500 random change batches (frames, shadow roots, <html>, doctype, resyncs mid-churn) the agent DOM equals the customer DOM', { timeout: 180_000 }, async () => {
    await webkit.driver.get(`${fixtures.url}/fuzz.html`);
    expect(await webkit.run(() => navigator.userAgent)).toMatch(/AppleWebKit/);
    expect(await webkit.run(() => navigator.userAgent)).not.toMatch(/Chrome|Firefox/);
    const { operations } = await fuzzInChunks((args) => webkit.run(fuzzInPage, args), 500, 250);
    expect(operations).toBeGreaterThan(5_000);
  });

  it('the widget on the demo shop: a browser without WebRTC is told plainly, no code is handed out, and the page keeps working', async () => {
    await webkit.driver.get(`${server.url}/`);
    expect(await webkit.run(() => typeof RTCPeerConnection)).toBe('undefined');
    const widgetUp = () => webkit.run(() => window.Coview !== undefined && document.querySelector('[data-coview-widget]')?.shadowRoot?.querySelector('button') != null);
    for (const deadline = Date.now() + 15_000; !(await widgetUp()); ) {
      if (Date.now() > deadline) expect.fail('the widget did not appear in WebKit');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
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
});
