import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { AgentPage, CustomerPage, eventually } from './pages.js';
import { useHarness } from './harness.js';

/**
 * widget.js is a loader: the share button and `window.Coview`, with the rest of the widget
 * (widget-core.js) fetched only when the customer shares, an API call needs it, or a session of
 * this tab resumes. Real server, real Chromium; the requests counted are the browser's own.
 */
const h = useHarness();
const DIST = new URL('../../dist/', import.meta.url);

/** Every URL the customer's tab asks for, in order (across reloads). */
function requestsOf(page: Page): string[] {
  const urls: string[] = [];
  page.on('request', (request) => urls.push(request.url()));
  return urls;
}
/** The core's requests, without the version query the loader adds (`?v=`: a cache never pairs two deploys). */
const coreRequests = (urls: string[]) => urls.filter((url) => new URL(url).pathname.endsWith('/widget-core.js')).map((url) => url.split('?')[0]!);
const loaderRequests = (urls: string[]) => urls.filter((url) => new URL(url).pathname.endsWith('/widget.js'));

async function customerTab(path = 'account.html'): Promise<{ customer: CustomerPage; urls: string[] }> {
  const context = await h.person();
  const page = await context.newPage();
  page.on('pageerror', (error) => console.error('[customer page error]', error));
  const urls = requestsOf(page);
  await page.goto(`${h.fixtures.url}/${path}`);
  await page.waitForFunction(() => window.Coview !== undefined && document.querySelector('[data-coview-widget]') !== null);
  return { customer: new CustomerPage(page), urls };
}

/**
 * A site that hosts widget.js and widget-core.js itself, in one folder (self-hosted.html, with
 * the two files under `/hosted/` of the fixture site's origin); `core` answers for widget-core.js.
 */
async function selfHosted(context: BrowserContext, core: () => { status: number; body: Buffer | string }): Promise<void> {
  const loader = await readFile(new URL('widget.js', DIST));
  await context.route((url) => url.origin === h.fixtures.url && url.pathname.startsWith('/hosted/'), async (route) => {
    const path = new URL(route.request().url()).pathname;
    if (path === '/hosted/widget.js') return route.fulfill({ status: 200, contentType: 'text/javascript', body: loader });
    const { status, body } = path === '/hosted/widget-core.js' ? core() : { status: 404, body: 'not found' };
    return route.fulfill({ status, contentType: status === 200 ? 'text/javascript' : 'text/plain', body });
  });
}

/**
 * A live session (customer and agent), then the customer's next page with its core held back (a
 * slow network) until `release()`: the loader is up, the saved session waits for the core.
 */
async function reloadedWithCoreHeld() {
  const { customer } = await customerTab();
  const agent = await AgentPage.open(await h.person({ width: 1280, height: 800 }), `${h.server.url}/join`);
  const { code } = await customer.page.evaluate(() => window.Coview!.start({ onJoinRequest: () => true }));
  await agent.join(code);
  await agent.waitForState('live', 30_000);
  await customer.waitForState('sharing');
  let release = () => {};
  const held = new Promise<void>((resolve) => (release = resolve));
  await customer.page.route(`${h.server.url}/widget-core.js*`, async (route) => {
    await held;
    await route.continue();
  });
  // Not until `load`: the held core delays it.
  await customer.page.reload({ waitUntil: 'domcontentloaded' });
  await customer.page.waitForFunction(() => window.Coview !== undefined);
  return { customer, agent, code, release };
}

describe('widget.js, the loader', () => {
  it('is all a page view fetches until the customer shares; the click loads the rest and shows the code', async () => {
    const { customer, urls } = await customerTab();
    await customer.button('Share my screen').waitFor();
    expect(await customer.state()).toBe('idle');
    expect(await customer.page.evaluate(() => window.Coview!.status)).toBe('idle');
    // Time for anything the loader might fetch on its own to be asked for.
    await customer.page.waitForLoadState('networkidle');
    expect(loaderRequests(urls)).toHaveLength(1);
    expect(coreRequests(urls)).toEqual([]);
    // A bad privacy option is refused before anything starts, as the full widget refuses it: nothing loaded, still idle.
    const refused = await customer.page.evaluate(() => {
      const states: string[] = [];
      const stop = window.Coview!.subscribe((state) => states.push(state.status));
      return window.Coview!.start({ maskSelector: '[[' }).then(
        () => null,
        (error: { code?: string }) => (stop(), { code: error.code, status: window.Coview!.status, states }),
      );
    });
    expect(refused).toEqual({ code: 'ERR_BAD_OPTIONS', status: 'idle', states: ['idle'] });
    expect(coreRequests(urls)).toEqual([]);

    // Hovering the button prefetches the rest without running it: still the loader's idle button.
    await customer.button('Share my screen').hover();
    await eventually(async () => coreRequests(urls).length, (n) => n === 1);
    expect(await customer.page.evaluate(() => Symbol.for('coview.core') in window)).toBe(false);
    expect(await customer.state()).toBe('idle');

    const code = await customer.shareScreen();
    expect(code).toMatch(/^[0-9A-Z]{3}-[0-9A-Z]{3}-[0-9A-Z]{3}$/);
    expect(coreRequests(urls).length).toBeGreaterThan(0);
    expect(coreRequests(urls).every((url) => url === `${h.server.url}/widget-core.js`)).toBe(true);
    expect(urls.filter((url) => url.includes('/widget-core.js?v=')).length).toBe(coreRequests(urls).length);
    // One widget element: the full widget took over the loader's.
    expect(await customer.page.locator('[data-coview-widget]').count()).toBe(1);
    await customer.page.close();
  });

  it('calls made before the rest has loaded (subscribe, status, start) answer as the full widget does', async () => {
    const { customer, urls } = await customerTab();
    await customer.page.waitForLoadState('networkidle');
    expect(coreRequests(urls)).toEqual([]);
    const seen = await customer.page.evaluate(async () => {
      const coview = window.Coview!;
      const states: string[] = [];
      // A page's listener that throws changes nothing for the others, nor for the calls.
      coview.subscribe((state) => {
        if (state.status !== 'idle') throw new Error('a page bug');
      });
      coview.subscribe((state) => states.push(state.status));
      const before = coview.status;
      const region = () => document.querySelector('[data-coview-widget]')!.shadowRoot!.querySelector('[data-coview-announce]');
      const regionBefore = region();
      const started = coview.start();
      const during = coview.status;
      // The same live region says it (a region inserted with its words already in is not read out).
      const sameRegion = region() === regionBefore;
      const announcedDuring = region()?.textContent;
      const second = await coview.start().then(
        () => 'resolved',
        (error: { code?: string }) => error.code,
      );
      const { code } = await started;
      return { before, during, sameRegion, announcedDuring, second, code, states, after: coview.status, shown: document.querySelector('[data-coview-widget]')!.shadowRoot!.querySelector('[data-coview-code]')?.textContent };
    });
    expect(seen.before).toBe('idle');
    expect(seen.during).toBe('starting');
    expect(seen.sameRegion).toBe(true);
    expect(seen.announcedDuring).toBe('Getting a code…');
    expect(seen.second).toBe('ERR_ALREADY_SHARING');
    expect(seen.after).toBe('waiting');
    expect(seen.shown?.trim()).toBe(seen.code);
    // Each state once, in order: no flash of idle when the full widget takes over.
    expect(seen.states).toEqual(['idle', 'starting', 'waiting']);
    expect(coreRequests(urls).length).toBeGreaterThan(0);

    // The listener registered early keeps getting the full widget's events.
    await customer.page.evaluate(() => {
      (window as unknown as { __late: string[] }).__late = [];
      window.Coview!.subscribe((state) => (window as unknown as { __late: string[] }).__late.push(state.status));
      return window.Coview!.stop();
    });
    expect(await customer.page.evaluate(() => (window as unknown as { __late: string[] }).__late)).toEqual(['waiting', 'idle']);
    await customer.page.close();
  });

  it('a saved session resumes across a reload, with the rest loaded at once (no click)', async () => {
    const { customer, urls } = await customerTab();
    const agent = await AgentPage.open(await h.person({ width: 1280, height: 800 }), `${h.server.url}/join`);
    const { code } = await customer.page.evaluate(() => window.Coview!.start({ onJoinRequest: () => true }));
    await agent.join(code);
    await agent.waitForState('live', 30_000);
    await customer.waitForState('sharing');

    const before = coreRequests(urls).length;
    await customer.page.reload();
    await eventually(() => customer.state(), (s) => s === 'sharing', 15_000);
    expect(coreRequests(urls).length).toBeGreaterThan(before);
    expect(await customer.text()).toContain(`Code ${code}`);
    await agent.waitForState('live');
    await customer.page.evaluate(() => window.Coview!.stop());
    await agent.waitForState('ended', 10_000);
    await customer.page.close();
    await agent.page.close();
  });

  it('while a saved session’s core is still loading, start() answers with that session and configure() wins over what it carried', async () => {
    // The next page's core arrives late (a slow network): the page meanwhile starts and sets a language.
    const { customer, agent, code, release } = await reloadedWithCoreHeld();
    const started = customer.page.evaluate(() => {
      window.Coview!.configure({ locale: 'fr' });
      return window.Coview!.start({ onJoinRequest: () => true });
    });
    release();
    expect((await started).code).toBe(code);
    await eventually(() => customer.state(), (s) => s === 'sharing', 15_000);
    // In French once its texts are in (fetched when the core starts: the session resumed may be quicker).
    await eventually(() => customer.widget.locator('.root').getAttribute('lang'), (lang) => lang === 'fr');
    expect(await customer.text()).toContain(code);
    // One session: the agent's carries on, and no second room was made.
    await agent.waitForState('live');
    expect(await agent.page.locator('html').getAttribute('data-coview-reason')).toBeNull();
    await customer.page.evaluate(() => window.Coview!.stop());
    await agent.waitForState('ended', 10_000);
    await customer.page.close();
    await agent.page.close();
  });

  it('a stop() while a saved session’s core is still loading stops that session, the agent is told, and nothing resumes after', async () => {
    // The next page (a logout page, say) stops sharing before the core has arrived.
    const { customer, agent, release } = await reloadedWithCoreHeld();
    const stopped = customer.page.evaluate(() => window.Coview!.stop());
    release();
    await stopped;
    await agent.waitForState('ended', 15_000);
    expect(await agent.page.locator('html').getAttribute('data-coview-reason')).toBe('stopped');
    expect(await customer.page.evaluate(() => window.Coview!.status)).toBe('idle');
    // Nothing left to resume: the next page is idle, with no code.
    await customer.page.unroute(`${h.server.url}/widget-core.js*`);
    await customer.page.reload();
    await customer.page.waitForFunction(() => window.Coview !== undefined);
    await customer.button('Share my screen').waitFor();
    expect(await customer.state()).toBe('idle');
    await customer.page.close();
    await agent.page.close();
  });

  it('self-hosted with widget.js alone (a CDN given only the loader), it loads the core from the server', async () => {
    const context = await h.person();
    await selfHosted(context, () => ({ status: 404, body: 'not found' }));
    const page = await context.newPage();
    const urls = requestsOf(page);
    await page.goto(`${h.fixtures.url}/self-hosted.html`);
    await page.waitForFunction(() => window.Coview !== undefined);
    await new CustomerPage(page).shareScreen();
    // The one beside it first (and its prefetch on hover), then the server's.
    expect([...new Set(coreRequests(urls).map((url) => new URL(url).origin))]).toEqual([h.fixtures.url, h.server.url]);
    await context.close();
  });

  it('self-hosted beside its core in one folder, it loads the core from there', async () => {
    const context = await h.person();
    const coreBody = await readFile(new URL('widget-core.js', DIST));
    await selfHosted(context, () => ({ status: 200, body: coreBody }));
    const page = await context.newPage();
    const urls = requestsOf(page);
    await page.goto(`${h.fixtures.url}/self-hosted.html`);
    await page.waitForFunction(() => window.Coview !== undefined);
    const customer = new CustomerPage(page);
    await customer.shareScreen();
    expect(coreRequests(urls)).toContain(`${h.fixtures.url}/hosted/widget-core.js`);
    expect(coreRequests(urls).some((url) => url.startsWith(h.server.url))).toBe(false);
    await context.close();
  });

  it('a core that cannot load (404) rejects start() with ERR_LOAD_FAILED, the button says so in plain words, and the page keeps working', async () => {
    const context = await h.person();
    const coreBody = await readFile(new URL('widget-core.js', DIST));
    let coreStatus = 404;
    await selfHosted(context, () => (coreStatus === 200 ? { status: 200, body: coreBody } : { status: 404, body: 'not found' }));
    // Nor on the server (its fallback).
    await context.route(`${h.server.url}/widget-core.js*`, (route) => (coreStatus === 200 ? route.continue() : route.fulfill({ status: 404, body: 'not found' })));
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(String(error)));
    await page.goto(`${h.fixtures.url}/self-hosted.html`);
    await page.waitForFunction(() => window.Coview !== undefined);
    const customer = new CustomerPage(page);

    const failure = await page.evaluate(() =>
      window.Coview!.start().then(
        () => null,
        (error: { code?: string; message?: string }) => ({ code: error.code, message: error.message, status: window.Coview!.status }),
      ),
    );
    expect(failure).toMatchObject({ code: 'ERR_LOAD_FAILED', status: 'error' });
    expect(failure!.message).toContain('widget-core.js');
    await customer.waitForState('error');
    expect(await customer.widget.getAttribute('data-coview-host-reason')).toBe('ERR_LOAD_FAILED');
    const text = await customer.widget.locator('.panel').innerText();
    expect(text).toContain('Sharing could not start');
    expect(text).toContain("We couldn't reach the help service.");
    expect(text).not.toMatch(/ERR_|widget-core|http/);

    // The page is untouched: its own controls work, nothing was thrown into it.
    await page.locator('#buy').click();
    expect(await page.locator('#buy').textContent()).toBe('Bought');
    expect(pageErrors).toEqual([]);

    // Once the file is there, Try again loads it and sharing starts.
    coreStatus = 200;
    await customer.button('Try again').click();
    await customer.widget.locator('[data-coview-code]').waitFor();
    expect(await customer.state()).toBe('waiting');
    await context.close();
  });

  it('a Content-Security-Policy that refuses the core gives the same ERR_LOAD_FAILED, and the page keeps working', async () => {
    const { customer } = await customerTab('csp-loader-only.html');
    const pageErrors: string[] = [];
    customer.page.on('pageerror', (error) => pageErrors.push(String(error)));
    const failure = await customer.page.evaluate(() =>
      window.Coview!.start().then(
        () => null,
        (error: { code?: string }) => error.code,
      ),
    );
    expect(failure).toBe('ERR_LOAD_FAILED');
    await customer.waitForState('error');
    expect(await customer.widget.getAttribute('data-coview-host-reason')).toBe('ERR_LOAD_FAILED');
    expect(await customer.widget.locator('.panel').innerText()).toContain("We couldn't reach the help service.");
    await customer.page.locator('#buy').click();
    expect(await customer.page.locator('#buy').textContent()).toBe('Bought');
    expect(pageErrors).toEqual([]);
    await customer.page.close();
  });

  it('the share button has the same accessible name as the full widget’s in every language, and Alt+Shift+H reaches it', async () => {
    const { WIDGET_MESSAGES } = await import('../../widget/i18n/widget-messages.js');
    const { customer, urls } = await customerTab();
    for (const [locale, messages] of Object.entries(WIDGET_MESSAGES)) {
      await customer.page.evaluate((lang) => window.Coview!.configure({ locale: lang }), locale);
      await customer.button(messages.share).waitFor();
      expect(await customer.widget.locator('.root').getAttribute('lang')).toBe(locale);
    }
    await customer.page.evaluate(() => window.Coview!.configure({ locale: 'en' }));
    await customer.page.locator('#title').click();
    await customer.page.keyboard.press('Alt+Shift+H');
    await customer.page.waitForFunction(() => document.querySelector('[data-coview-widget]')!.shadowRoot!.activeElement?.textContent?.includes('Share my screen'));
    // Keyboard only: Enter on the focused button loads the rest and focus stays in the widget.
    await customer.page.keyboard.press('Enter');
    await customer.widget.locator('[data-coview-code]').waitFor();
    expect(await customer.page.evaluate(() => document.activeElement?.hasAttribute('data-coview-widget'))).toBe(true);
    expect(coreRequests(urls).length).toBeGreaterThan(0);
    await customer.page.close();
  });
});
