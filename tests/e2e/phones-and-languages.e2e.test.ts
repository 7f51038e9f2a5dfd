import { afterAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Locator, Page } from 'playwright-core';
import { JOIN_MESSAGES } from '../../widget/i18n/join-messages.js';
import { WIDGET_MESSAGES } from '../../widget/i18n/widget-messages.js';
import { LOCALES } from '../../widget/i18n/translate.js';
import { AgentPage, CustomerPage, eventually } from './pages.js';
import { useHarness } from './harness.js';

const h = useHarness();
const PHONE = { width: 390, height: 844 };

async function phone(): Promise<BrowserContext> {
  const context = await h.browser.newContext({ viewport: PHONE, hasTouch: true, isMobile: true, deviceScaleFactor: 2 });
  for (const origin of [h.server.url, h.fixtures.url]) await context.grantPermissions(['microphone'], { origin });
  return context;
}

/** A box's share of the phone's screen, in %. */
async function share(locator: Locator): Promise<number> {
  const box = (await locator.boundingBox())!;
  return (100 * box.width * box.height) / (PHONE.width * PHONE.height);
}

/** Anything of the widget that sticks out of the screen or out of its own box (text cut off). */
function overflowIn(widget: Locator): Promise<string[]> {
  return widget.evaluate((host) => {
    const bad: string[] = [];
    for (const el of host.shadowRoot!.querySelectorAll<HTMLElement>('*')) {
      if (el.closest('.overlay, .sr-only') || el instanceof HTMLStyleElement) continue;
      const r = el.getBoundingClientRect();
      if (r.width === 0 || r.height === 0) continue;
      const name = `${el.tagName.toLowerCase()}.${el.className} "${(el.textContent ?? '').trim().slice(0, 30)}"`;
      if (r.left < -0.5 || r.right > innerWidth + 0.5 || r.top < -0.5 || r.bottom > innerHeight + 0.5) bad.push(`${name} leaves the screen`);
      if (el.scrollWidth > el.clientWidth + 1 && (el instanceof HTMLButtonElement || getComputedStyle(el).overflowX !== 'visible')) bad.push(`${name} is cut off`);
    }
    return bad;
  });
}

const sizes: string[] = [];
afterAll(() => console.log(`Widget on a 390×844 phone (share of the screen):\n  ${sizes.join('\n  ')}`));

describe('on a phone (390×844, touch)', () => {
  it('the widget is a compact sheet that folds into a pill with one tap, moves out of the way, and the control banner stays small', async () => {
    const customer = await CustomerPage.open(await phone(), `${h.server.url}/`);
    const agent = await AgentPage.open(await h.person({ width: 1280, height: 800 }), `${h.server.url}/join`);
    const panel = customer.widget.locator('.panel');
    await customer.button('Share my screen').tap();
    await customer.widget.locator('[data-coview-code]').waitFor();
    const code = (await customer.widget.locator('[data-coview-code]').textContent())!.trim();
    sizes.push(`code panel: ${(await share(panel)).toFixed(1)} %`);
    await agent.join(code, 'Alex');
    await customer.button('Allow').tap();
    await customer.waitForState('sharing');
    await agent.waitForState('live');

    const expanded = await share(panel);
    sizes.push(`sharing, expanded: ${expanded.toFixed(1)} %`);
    expect(expanded).toBeLessThanOrEqual(20);
    expect(await overflowIn(customer.widget)).toEqual([]);

    // One tap folds it into a pill; one tap brings it back.
    await customer.widget.locator('[data-coview-collapse]').tap();
    const pill = customer.widget.locator('[data-coview-pill]');
    const collapsed = await share(pill);
    sizes.push(`sharing, collapsed (pill): ${collapsed.toFixed(1)} %`);
    expect(collapsed).toBeLessThanOrEqual(8);
    expect(await panel.count()).toBe(0);
    await pill.tap();
    await panel.waitFor();

    // The customer's own choice of place, by touch and by keyboard: Move puts the sheet on the other edge, and keeps focus.
    const move = customer.widget.locator('[data-coview-move]');
    const atTop = async () => (await panel.boundingBox())!.y < 20;
    expect(await atTop()).toBe(false);
    await move.tap();
    expect(await atTop()).toBe(true);
    await move.focus();
    await customer.page.keyboard.press('Enter');
    expect(await atTop()).toBe(false);
    expect(await customer.widget.evaluate((host) => host.shadowRoot!.activeElement?.hasAttribute('data-coview-move'))).toBe(true);
    await customer.page.keyboard.press('Space');
    expect(await atTop()).toBe(true);
    await customer.page.keyboard.press('Space');
    expect(await atTop()).toBe(false);

    // "Place order" scrolled to the bottom of the screen, under the sheet: the widget gets out of its way by itself.
    const order = customer.page.locator('.place-order');
    const reachable = () => order.evaluate((button) => {
      const r = button.getBoundingClientRect();
      return document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2) === button;
    });
    await order.evaluate((button) => button.scrollIntoView({ block: 'end', behavior: 'instant' }));
    await eventually(reachable, (ok) => ok, 5_000);
    await customer.page.evaluate(() => scrollTo({ top: 0, behavior: 'instant' }));
    await order.evaluate((button) => button.scrollIntoView({ block: 'end', behavior: 'instant' }));
    await eventually(reachable, (ok) => ok, 5_000);
    // Out of the way, still there: a tap on the pill opens the panel again.
    if (await pill.count()) await pill.tap();
    await panel.waitFor();

    // Remote control: the prompt comes back expanded, the banner stays small.
    await agent.page.getByRole('button', { name: 'Request control' }).click();
    await customer.button('Allow control').waitFor();
    const prompt = await share(panel);
    sizes.push(`control request prompt: ${prompt.toFixed(1)} %`);
    expect(prompt).toBeLessThanOrEqual(20);
    expect(await overflowIn(customer.widget)).toEqual([]);
    await customer.button('Allow control').tap();
    const banner = customer.widget.locator('.control-banner');
    await banner.waitFor();
    const bannerShare = await share(banner);
    sizes.push(`control banner: ${bannerShare.toFixed(1)} %`);
    expect(bannerShare).toBeLessThanOrEqual(12);
    // The banner sits on the other edge from the sheet (or its pill): they never lie over each other.
    const [b, p] = [(await banner.boundingBox())!, (await customer.widget.locator('.panel, [data-coview-pill]').first().boundingBox())!];
    expect(b.y >= p.y + p.height || b.y + b.height <= p.y).toBe(true);
    await customer.button('Take back control').tap();
    await eventually(() => customer.widget.getAttribute('data-coview-control'), (c) => c === 'off');
    await customer.page.context().close();
    await agent.page.context().close();
  });

  it('never lies over what the customer is about to tap: a checkout’s “Place order” bar can be tapped in every state, and a control that gets focus is uncovered', async () => {
    const customer = await CustomerPage.open(await phone(), `${h.fixtures.url}/checkout-bar.html`);
    const agent = await AgentPage.open(await h.person({ width: 1280, height: 800 }), `${h.server.url}/join`);
    const order = customer.page.locator('#place-order');
    const places: string[] = [];
    /** The widget has moved off the button (it does so once drawn), and a real tap at its middle places an order. */
    const tapOrder = async (state: string) => {
      const reachable = () => order.evaluate((button) => {
        const r = button.getBoundingClientRect();
        return document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2) === button;
      });
      await eventually(reachable, (ok) => ok, 5_000).catch(() => expect.fail(`${state}: the widget lies over “Place order”`));
      const before = await customer.page.evaluate(() => (window as unknown as { orders: number }).orders);
      const box = (await order.boundingBox())!;
      await customer.page.touchscreen.tap(box.x + box.width / 2, box.y + box.height / 2);
      expect(await customer.page.evaluate(() => (window as unknown as { orders: number }).orders), state).toBe(before + 1);
      const folded = (await customer.widget.locator('[data-coview-pill]').count()) > 0;
      places.push(`${state}: ${await customer.widget.locator('.root').getAttribute('data-corner')}${folded ? ', folded' : ''}`);
    };

    await tapOrder('share button');
    await customer.button('Share my screen').tap();
    const code = customer.widget.locator('[data-coview-code]');
    await code.waitFor();
    await tapOrder('code');
    // Moved, not hidden: the code is still there to read out.
    expect(await code.isVisible()).toBe(true);
    await agent.join((await code.textContent())!.trim(), 'Alex');
    await customer.button('Allow').waitFor();
    await tapOrder('consent');
    expect(await customer.button('Allow').isVisible()).toBe(true);
    await customer.button('Allow').tap();
    await customer.waitForState('sharing');
    await agent.waitForState('live');
    await tapOrder('sharing');
    await agent.page.getByRole('button', { name: 'Request control' }).click();
    await customer.button('Allow control').waitFor();
    await tapOrder('control request');
    await customer.button('Allow control').tap();
    const banner = customer.widget.locator('.control-banner');
    await banner.waitFor();
    await tapOrder('control banner');
    expect(await banner.isVisible()).toBe(true);
    await customer.button('Take back control').tap();
    await eventually(() => customer.widget.getAttribute('data-coview-control'), (c) => c === 'off');

    // The customer puts the panel back over the bar themselves; once focus goes to the button (a keyboard, a
    // screen reader), the widget steps aside from it.
    const pill = customer.widget.locator('[data-coview-pill]');
    if (await pill.count()) await pill.tap();
    const panel = customer.widget.locator('.panel');
    await panel.waitFor();
    if ((await panel.boundingBox())!.y < 20) await customer.widget.locator('[data-coview-move]').tap();
    const covered = () => order.evaluate((button) => {
      const r = button.getBoundingClientRect();
      return document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2) !== button;
    });
    expect(await covered()).toBe(true);
    await order.focus();
    await eventually(covered, (c) => !c, 5_000);
    console.log(`Where the widget went, off “Place order” (390×844):\n  ${places.join('\n  ')}`);
    await customer.page.context().close();
    await agent.page.context().close();
  });

  it('with a control in every corner, a scroll folds the panel while sharing, never while the code is being read out', async () => {
    const customer = await CustomerPage.open(await phone(), `${h.fixtures.url}/checkout-bar.html`);
    // A page control across the top bar too: wherever the sheet goes, it covers one.
    await customer.page.evaluate(() => {
      const back = document.createElement('button');
      back.textContent = 'Back to the shop';
      back.style.cssText = 'width: 100%; height: 52px';
      document.querySelector('header')!.replaceChildren(back);
    });
    const agent = await AgentPage.open(await h.person({ width: 1280, height: 800 }), `${h.server.url}/join`);
    const pill = customer.widget.locator('[data-coview-pill]');
    /**
     * The customer scrolls, and the widget has had its look at the page: it looks 120 ms after the scroll
     * event, so a timer of 400 ms started after that event (timers run in order of their deadlines) ends later.
     */
    const scrollAndSettle = (top: number) => customer.page.evaluate((top) => new Promise<void>((done) => {
      addEventListener('scroll', () => setTimeout(done, 400), { once: true });
      scrollTo({ top, behavior: 'instant' });
    }), top);
    await customer.button('Share my screen').tap();
    const code = customer.widget.locator('[data-coview-code]');
    await code.waitFor();
    await scrollAndSettle(300);
    await scrollAndSettle(0);
    expect(await pill.count()).toBe(0);
    expect(await code.isVisible()).toBe(true);
    await agent.join((await code.textContent())!.trim(), 'Alex');
    await customer.button('Allow').tap();
    await customer.waitForState('sharing');
    await agent.waitForState('live');
    await scrollAndSettle(300);
    await pill.waitFor({ timeout: 5_000 });
    // A code re-opened for one more agent is being read out too: it stays open.
    await pill.tap();
    await customer.page.evaluate(() => window.Coview!.invite());
    const inviteCode = customer.widget.locator('[data-coview-invite-code]');
    await inviteCode.waitFor();
    await scrollAndSettle(0);
    await scrollAndSettle(300);
    expect(await pill.count()).toBe(0);
    expect(await inviteCode.isVisible()).toBe(true);
    await customer.page.context().close();
    await agent.page.context().close();
  });

  it('on a desktop the panel folds too, and Escape folds it from the keyboard', async () => {
    const customer = await CustomerPage.open(await h.person(), `${h.server.url}/`);
    await customer.shareScreen();
    const panel = customer.widget.locator('.panel');
    expect((await panel.boundingBox())!.width).toBe(320);
    await customer.widget.locator('[data-coview-collapse]').click();
    await customer.widget.locator('[data-coview-pill]').click();
    await panel.waitFor();
    await customer.page.keyboard.press('Escape');
    await customer.widget.locator('[data-coview-pill]').waitFor();
    // A folded widget is still a keyboard shortcut away.
    await customer.page.keyboard.press('Alt+Shift+H');
    await panel.waitFor();
    await customer.page.context().close();
  });
});

describe('languages', () => {
  it.each(LOCALES)('%s: the widget speaks it and nothing overflows at 390 px (idle, code, consent, sharing, pill, control request, control banner, error)', async (locale) => {
    const messages = WIDGET_MESSAGES[locale];
    // A page made for phones (a viewport meta): without one the browser lays it out 980 px wide and nothing is tried at 390.
    const customer = await CustomerPage.open(await phone(), `${h.fixtures.url}/checkout-bar.html`);
    expect(await customer.page.evaluate(() => innerWidth)).toBe(PHONE.width);
    await customer.page.evaluate((locale) => window.Coview!.configure({ locale }), locale);
    const rtl = locale === 'ar';
    const button = (name: string) => customer.widget.getByRole('button', { name, exact: true });
    const fab = button(messages.share);
    await fab.waitFor();
    expect(await customer.widget.locator('.root').getAttribute('dir')).toBe(rtl ? 'rtl' : 'ltr');
    expect(await customer.widget.locator('.root').getAttribute('lang')).toBe(locale);
    expect(await overflowIn(customer.widget)).toEqual([]);
    if (rtl) expect((await fab.boundingBox())!.x).toBeLessThan(PHONE.width / 2);

    const agent = await AgentPage.open(await h.person({ width: 1280, height: 800 }), `${h.server.url}/join`);
    // Each box's share of the screen in this language, for the summary printed at the end.
    const measured: string[] = [];
    const measure = async (name: string, box: Locator, limit: number) => {
      const value = await share(box);
      measured.push(`${name} ${value.toFixed(1)}`);
      expect(value, name).toBeLessThanOrEqual(limit);
    };
    await fab.tap();
    const panel = customer.widget.locator('.panel');
    await customer.widget.locator('[data-coview-code]').waitFor();
    expect(await customer.text()).toContain(messages.codeTitle);
    expect(await overflowIn(customer.widget)).toEqual([]);
    // Before sharing: no goal set, measured for the record.
    measured.push(`code ${(await share(panel)).toFixed(1)}`);
    await agent.join((await customer.widget.locator('[data-coview-code]').textContent())!.trim(), 'Alex');
    await button(messages.allow).waitFor();
    expect(await overflowIn(customer.widget)).toEqual([]);
    await measure('consent', panel, 20);
    await button(messages.allow).tap();
    await customer.waitForState('sharing');
    await agent.waitForState('live');
    expect(await customer.text()).toContain(messages.stop);
    expect(await overflowIn(customer.widget)).toEqual([]);
    await measure('sharing', panel, 20);
    await customer.widget.locator('[data-coview-collapse]').tap();
    const pill = customer.widget.locator('[data-coview-pill]');
    expect(await pill.innerText()).toContain(messages.pillSharing);
    expect(await overflowIn(customer.widget)).toEqual([]);
    await measure('pill', pill, 8);
    await pill.tap();
    await panel.waitFor();

    await agent.page.getByRole('button', { name: 'Request control' }).click();
    await button(messages.allowControl).waitFor();
    expect(await overflowIn(customer.widget)).toEqual([]);
    await measure('control request', panel, 20);
    await button(messages.allowControl).tap();
    const banner = customer.widget.locator('.control-banner');
    await banner.waitFor();
    expect(await banner.innerText()).toContain(messages.takeBack);
    expect(await banner.evaluate((el) => getComputedStyle(el).direction)).toBe(rtl ? 'rtl' : 'ltr');
    expect(await overflowIn(customer.widget)).toEqual([]);
    await measure('banner', banner, 12);
    sizes.push(`${locale} (%): ${measured.join(', ')}`);
    await customer.page.context().close();
    await agent.page.context().close();

    // Sharing failed (no server there): the plain-words error, in this language too.
    const failing = await CustomerPage.open(await phone(), `${h.fixtures.url}/checkout-bar.html?server=${encodeURIComponent('http://127.0.0.1:9')}`);
    await failing.page.evaluate((locale) => window.Coview!.configure({ locale }), locale);
    await failing.widget.getByRole('button', { name: messages.share, exact: true }).tap();
    await failing.waitForState('error');
    expect(await failing.text()).toContain(messages.errUnreachable);
    expect(await overflowIn(failing.widget)).toEqual([]);
    await failing.page.context().close();
  });

  it('without a locale option the page’s <html lang> decides (an Arabic page gets an Arabic, right-to-left widget)', async () => {
    const customer = await CustomerPage.open(await h.person(), `${h.fixtures.url}/quirks.html`);
    await customer.widget.getByRole('button', { name: WIDGET_MESSAGES.ar.share }).waitFor();
    expect(await customer.widget.locator('.root').getAttribute('dir')).toBe('rtl');
    await customer.page.context().close();
  });

  it('the join page follows ?lang= and the agent’s browser, right to left in Arabic', async () => {
    const agent = await AgentPage.open(await h.person(), `${h.server.url}/join?lang=ar`);
    expect(await agent.page.locator('html').getAttribute('dir')).toBe('rtl');
    expect(await agent.page.locator('h1').innerText()).toBe('مشاهدة شاشة عميل');
    await agent.page.context().close();
    const context = await h.browser.newContext({ locale: 'de-DE' });
    const german = await AgentPage.open(context, `${h.server.url}/join`);
    expect(await german.page.locator('h1').innerText()).toBe('Bildschirm eines Kunden ansehen');
    await context.close();
  });
  it('the join page fetches only its own language’s texts, beside join.js; a text of the wrong shape reads in English; unreachable texts open the page in English, saying so', async () => {
    const context = await h.person();
    const page = await context.newPage();
    const fetched: string[] = [];
    page.on('request', (request) => void (request.url().includes('/join-text/') && fetched.push(new URL(request.url()).pathname)));
    const warnings: string[] = [];
    page.on('console', (message) => void (message.type() === 'warning' && warnings.push(message.text())));
    const open = async (search: string) => {
      await page.goto(`${h.server.url}/join${search}`);
      await page.locator('form.join-form').waitFor();
      return { title: await page.locator('h1').innerText(), lang: await page.locator('html').getAttribute('lang'), join: await page.locator('form button[type="submit"]').innerText() };
    };

    expect(await open('?lang=de')).toEqual({ title: JOIN_MESSAGES.de.title, lang: 'de', join: JOIN_MESSAGES.de.join });
    expect(fetched).toEqual(['/join-text/de.json']);
    // English is built into join.js: nothing to fetch.
    expect(await open('?lang=en')).toEqual({ title: JOIN_MESSAGES.en.title, lang: 'en', join: JOIN_MESSAGES.en.join });
    expect(fetched).toEqual(['/join-text/de.json']);

    // A stale or broken file: the texts that are not shaped like English's read in English, the others in French.
    await page.route('**/join-text/fr.json', (route) => route.fulfill({ contentType: 'application/json', body: JSON.stringify({ ...JOIN_MESSAGES.fr, title: 42, intro: { other: 7 } }) }));
    expect(await open('?lang=fr')).toEqual({ title: JOIN_MESSAGES.en.title, lang: 'fr', join: JOIN_MESSAGES.fr.join });
    expect(await page.locator('.join-form p').first().innerText()).toBe(JOIN_MESSAGES.en.intro);

    // Unreachable: the page still opens, in English, and says why in the console.
    await page.route('**/join-text/ja.json', (route) => route.abort());
    expect(await open('?lang=ja')).toEqual({ title: JOIN_MESSAGES.en.title, lang: 'en', join: JOIN_MESSAGES.en.join });
    expect(warnings.filter((text) => text.includes('"ja" texts could not be loaded'))).toHaveLength(1);
    expect(warnings.filter((text) => text.includes('"fr"'))).toEqual([]);
    // A server that never answers: the page waits 5 s for its texts, not for ever.
    await page.route('**/join-text/pl.json', () => {});
    const asked = Date.now();
    expect(await open('?lang=pl')).toEqual({ title: JOIN_MESSAGES.en.title, lang: 'en', join: JOIN_MESSAGES.en.join });
    expect(Date.now() - asked).toBeGreaterThanOrEqual(4_900);
    expect(warnings.filter((text) => text.includes('"pl" texts could not be loaded (no answer within 5 s)'))).toHaveLength(1);
    await context.close();
  });

  describe('the widget’s texts, fetched beside widget-core.js for the customer’s language', () => {
    /** A customer on a fixture page, noting which widget texts the tab fetches and what it warns; `routes` may answer for them. */
    const customerTab = async (routes: (page: Page) => Promise<unknown> = async () => {}) => {
      const fetched: string[] = [];
      const warnings: string[] = [];
      const customer = await CustomerPage.open(await h.person(), `${h.fixtures.url}/checkout-bar.html`, async (page) => {
        page.on('request', (request) => void (request.url().includes('/widget-text/') && fetched.push(new URL(request.url()).pathname)));
        page.on('console', (message) => void (message.type() === 'warning' && warnings.push(message.text())));
        await routes(page);
      });
      return { customer, fetched, warnings };
    };
    /** Shares, has Alex join, and returns the consent prompt's title as the customer reads it. */
    const askedBy = async (customer: CustomerPage, share: string) => {
      const agent = await AgentPage.open(await h.person({ width: 1280, height: 800 }), `${h.server.url}/join`);
      await customer.button(share).click();
      const code = customer.widget.locator('[data-coview-code]');
      await code.waitFor();
      await agent.join((await code.textContent())!.trim(), 'Alex');
      await customer.waitForState('asking');
      return agent;
    };
    const consentTitle = (customer: CustomerPage) => customer.widget.locator('.panel h2').first().innerText();

    it('a German widget fetches only widget-text/de.json and asks for consent in German; configure({ locale }) switches it to French while sharing', async () => {
      const { customer, fetched, warnings } = await customerTab();
      await customer.page.evaluate(() => window.Coview!.configure({ locale: 'de' }));
      const agent = await askedBy(customer, WIDGET_MESSAGES.de.share);
      expect(await consentTitle(customer)).toBe(WIDGET_MESSAGES.de.consentTitle.replace('{name}', 'Alex'));
      expect(await customer.widget.locator('.root').getAttribute('lang')).toBe('de');
      expect(fetched).toEqual(['/widget-text/de.json']);
      // The loader preloaded them alongside widget-core.js, and the core's fetch took that answer: one download, and the page's <head> as it was.
      expect(await customer.page.evaluate(() => performance.getEntriesByType('resource').filter((entry) => entry.name.includes('/widget-text/')).map((entry) => (entry as PerformanceResourceTiming).initiatorType))).toEqual(['link']);
      expect(await customer.page.locator('link[rel="preload"]').count()).toBe(0);
      await customer.button(WIDGET_MESSAGES.de.allow).click();
      await customer.waitForState('sharing');
      await agent.waitForState('live');

      await customer.page.evaluate(() => window.Coview!.configure({ locale: 'fr' }));
      await customer.button(WIDGET_MESSAGES.fr.stop).waitFor();
      expect(await customer.widget.locator('.root').getAttribute('lang')).toBe('fr');
      expect(fetched).toEqual(['/widget-text/de.json', '/widget-text/fr.json']);
      // Back to a language it has: nothing fetched again.
      await customer.page.evaluate(() => window.Coview!.configure({ locale: 'de' }));
      await customer.button(WIDGET_MESSAGES.de.stop).waitFor();
      expect(fetched).toHaveLength(2);
      expect(warnings).toEqual([]);
      await customer.page.context().close();
      await agent.page.context().close();
    });

    it('an English page fetches no texts', async () => {
      const { customer, fetched } = await customerTab();
      const agent = await askedBy(customer, WIDGET_MESSAGES.en.share);
      expect(await consentTitle(customer)).toBe(WIDGET_MESSAGES.en.consentTitle.replace('{name}', 'Alex'));
      expect(fetched).toEqual([]);
      await customer.page.context().close();
      await agent.page.context().close();
    });

    it('texts that arrive late: the consent prompt reads English meanwhile, then the customer’s language; a text not shaped like English’s reads in English', async () => {
      let release = () => {};
      const held = new Promise<void>((resolve) => (release = resolve));
      const { customer } = await customerTab((page) =>
        page.route('**/widget-text/it.json', async (route) => {
          await held;
          await route.fulfill({ contentType: 'application/json', body: JSON.stringify({ ...WIDGET_MESSAGES.it, deny: 42 }) });
        }),
      );
      await customer.page.evaluate(() => window.Coview!.configure({ locale: 'it' }));
      const agent = await askedBy(customer, WIDGET_MESSAGES.it.share);
      expect(await consentTitle(customer)).toBe(WIDGET_MESSAGES.en.consentTitle.replace('{name}', 'Alex'));
      expect(await customer.widget.locator('.root').getAttribute('lang')).toBe('en');
      release();
      await customer.button(WIDGET_MESSAGES.it.allow).waitFor();
      expect(await consentTitle(customer)).toBe(WIDGET_MESSAGES.it.consentTitle.replace('{name}', 'Alex'));
      await customer.button(WIDGET_MESSAGES.en.deny).waitFor();
      await customer.page.context().close();
      await agent.page.context().close();
    });

    it.each([
      ['a 404', 'de', (page: Page) => page.route('**/widget-text/de.json', (route) => route.fulfill({ status: 404, body: 'not found' })), 'HTTP 404'],
      ['a broken file', 'es', (page: Page) => page.route('**/widget-text/es.json', (route) => route.fulfill({ contentType: 'application/json', body: '{"share": "Compartir' })), ''],
      ['a file that is no catalogue', 'nl', (page: Page) => page.route('**/widget-text/nl.json', (route) => route.fulfill({ contentType: 'application/json', body: JSON.stringify(Object.values(WIDGET_MESSAGES.nl)) })), 'not a catalogue'],
      ['no server', 'ja', (page: Page) => page.route('**/widget-text/ja.json', (route) => route.abort()), ''],
      ['a server that never answers', 'pl', (page: Page) => page.route('**/widget-text/pl.json', () => {}), 'no answer within 5 s'],
    ])('%s: the widget reads English, warns once, and sharing works', async (_, locale, routes, why) => {
      const { customer, fetched, warnings } = await customerTab(routes);
      await customer.page.evaluate((locale) => window.Coview!.configure({ locale }), locale);
      const agent = await askedBy(customer, WIDGET_MESSAGES[locale as 'de'].share);
      expect(await consentTitle(customer)).toBe(WIDGET_MESSAGES.en.consentTitle.replace('{name}', 'Alex'));
      await customer.button(WIDGET_MESSAGES.en.allow).click();
      await customer.waitForState('sharing');
      await agent.waitForState('live');
      const warned = await eventually(
        async () => warnings.filter((text) => text.includes(`[coview] the widget's "${locale}" texts could not be loaded (${why}`) && text.endsWith('showing English.')),
        (found) => found.length > 0,
      );
      expect(warned).toHaveLength(1);
      expect(await customer.text()).toContain(WIDGET_MESSAGES.en.stop);
      expect(fetched).toEqual([`/widget-text/${locale}.json`]);
      await customer.page.context().close();
      await agent.page.context().close();
    });
  });

  it('the join page’s whole live view speaks the agent’s language: session facts, timeline markers, the mirror’s name', async () => {
    const customer = await CustomerPage.open(await h.person(), `${h.fixtures.url}/layout.html`);
    // An untitled page on an unknown browser: the values the join page words itself.
    await customer.page.evaluate(() => (document.title = ''));
    const agent = await AgentPage.open(await h.person({ width: 1280, height: 800 }), `${h.server.url}/join?lang=de`);
    const de = JOIN_MESSAGES.de;
    const { code } = await customer.page.evaluate(() => window.Coview!.start({ onJoinRequest: () => true }));
    await agent.page.locator('input[name="code"]').fill(code);
    await agent.page.getByRole('button', { name: de.join, exact: true }).click();
    await agent.waitForState('live');
    await customer.page.mouse.click(600, 300);
    const clickMarker = agent.page.locator('[data-coview-marker="click"]');
    await clickMarker.waitFor();
    expect(await clickMarker.getAttribute('aria-label')).toMatch(/^Klick bei 0:\d\d: Klick bei 600, 300$/);
    expect(await agent.page.locator('[data-coview-marker="page"]').first().getAttribute('aria-label')).toMatch(/^Seite bei 0:\d\d: http:\/\//);
    expect(await agent.page.locator('[data-coview-frame]').getAttribute('title')).toBe(de.frameTitle);

    await agent.page.locator('[data-coview-tab="session"]').click();
    expect(await agent.page.locator('[data-coview-session-info] dt').allTextContents()).toEqual([de.infoUrl, de.infoTitle, de.infoBrowser, de.infoOs, de.infoViewport, de.infoLanguage, de.infoTimezone, de.infoTransport]);
    expect(await agent.page.locator('[data-coview-info="title"]').innerText()).toBe(de.infoUntitled);
    expect(await agent.page.locator('[data-coview-info="transport"]').innerText()).toBe(de.transportDirect);
    expect(await agent.statusText()).toBe(`${de.statusLive} · ${de.transportDirect}`);
    expect(await agent.page.locator('[data-coview-info="browser"]').innerText()).toMatch(/^Chrome \d+( \(headless\))?$/);
    await customer.page.context().close();
    await agent.page.context().close();
  });

  it('a failed join is told in the agent’s language, with the code they typed', async () => {
    const agent = await AgentPage.open(await h.person(), `${h.server.url}/join?lang=fr`);
    await agent.page.locator('input[name="code"]').fill('000-000-000');
    await agent.page.getByRole('button', { name: JOIN_MESSAGES.fr.join, exact: true }).click();
    await agent.waitForState('error');
    expect(await agent.page.getByRole('alert').innerText()).toBe(JOIN_MESSAGES.fr.errNoRoom.replace('{code}', '000-000-000'));
    expect(await agent.page.locator('html').getAttribute('data-coview-reason')).toBe('ERR_ROOM_NOT_FOUND');
    await agent.page.context().close();
  });
});

describe('look', () => {
  it('dark mode and reduced motion, on the widget and on the join page', async () => {
    const { customer, agent } = await h.people();
    const code = await customer.shareScreen();
    const panel = customer.widget.locator('.panel');
    expect(await panel.evaluate((el) => getComputedStyle(el).backgroundColor)).toBe('rgb(255, 255, 255)');
    await customer.page.emulateMedia({ colorScheme: 'dark' });
    expect(await panel.evaluate((el) => getComputedStyle(el).backgroundColor)).toBe('rgb(15, 23, 42)');

    await agent.page.emulateMedia({ colorScheme: 'dark', reducedMotion: 'reduce' });
    expect(await agent.page.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe('rgb(2, 6, 23)');
    await agent.join(code, 'Alex');
    await agent.waitForState('waiting');
    expect(await agent.page.locator('.spinner').evaluate((el) => getComputedStyle(el).animationName)).toBe('none');
    await agent.page.emulateMedia({ reducedMotion: 'no-preference' });
    expect(await agent.page.locator('.spinner').evaluate((el) => getComputedStyle(el).animationName)).toBe('spin');

    await customer.button('Allow').click();
    await customer.waitForState('sharing');
    // Nothing in the customer's widget moves on its own while sharing, with or without the
    // preference: an endless animation would restyle their page every frame.
    const moving = () => customer.widget.locator('.root').evaluate((root) => root.getRootNode() instanceof ShadowRoot ? (root.getRootNode() as ShadowRoot).getAnimations().length : -1);
    expect(await moving()).toBe(0);
    await customer.page.emulateMedia({ reducedMotion: 'reduce' });
    expect(await moving()).toBe(0);
    await customer.page.context().close();
    await agent.page.context().close();
  });

  it('a site sets texts, accent, radius, font and corner; its own CSS cannot reach inside', async () => {
    const customer = await CustomerPage.open(await h.person(), `${h.server.url}/`);
    // The page's own rules, however strong, stop at the shadow root; only --coview-* pass.
    await customer.page.addStyleTag({ content: 'button { background: lime !important; border-radius: 0 !important; } [data-coview-widget] { --coview-font: Georgia, serif; }' });
    await customer.page.evaluate(() =>
      window.Coview!.configure({ texts: { share: 'Show us your screen', de: { share: 'Zeigen Sie uns Ihren Bildschirm' } }, theme: { accent: '#be123c', radius: '4px', position: 'top-left' } }),
    );
    const fab = customer.button('Show us your screen');
    await fab.waitFor();
    const look = await fab.evaluate((el) => {
      const style = getComputedStyle(el);
      const box = el.getBoundingClientRect();
      return { background: style.backgroundColor, font: style.fontFamily, x: box.x, y: box.y };
    });
    expect(look.background).toBe('rgb(190, 18, 60)');
    expect(look.font).toContain('Georgia');
    expect(look.x).toBeLessThan(40);
    expect(look.y).toBeLessThan(40);
    await customer.page.evaluate(() => window.Coview!.configure({ locale: 'de' }));
    await customer.button('Zeigen Sie uns Ihren Bildschirm').click();
    const panel = customer.widget.locator('.panel');
    await panel.waitFor();
    expect(await panel.evaluate((el) => getComputedStyle(el).borderTopLeftRadius)).toBe('4px');
    await customer.page.context().close();
  });
  it('the language, texts and theme given to start() stay after a reload that resumes the session, and go once it ends', async () => {
    const customer = await CustomerPage.open(await h.person(), `${h.fixtures.url}/layout.html`);
    const agent = await AgentPage.open(await h.person({ width: 1280, height: 800 }), `${h.server.url}/join`);
    const { code } = await customer.page.evaluate(() =>
      window.Coview!.start({ onJoinRequest: () => true, locale: 'de', theme: { accent: '#be123c', radius: '4px', position: 'top-left' }, texts: { de: { stop: 'Jetzt beenden' } } }),
    );
    await agent.join(code);
    await customer.waitForState('sharing');
    await agent.waitForState('live');
    const look = () =>
      customer.widget.evaluate((host) => {
        const root = host.shadowRoot!.querySelector('.root')!;
        const panel = root.querySelector('.panel');
        return {
          lang: root.getAttribute('lang'),
          corner: root.getAttribute('data-corner'),
          radius: panel ? getComputedStyle(panel).borderTopLeftRadius : null,
          accent: getComputedStyle(host).getPropertyValue('--coview-accent').trim(),
          stop: root.querySelector('.danger')?.textContent ?? null,
        };
      });
    const chosen = { lang: 'de', corner: 'top-left', radius: '4px', accent: '#be123c', stop: 'Jetzt beenden' };
    expect(await look()).toEqual(chosen);

    await customer.page.reload();
    await customer.page.waitForFunction(() => window.Coview !== undefined && document.querySelector('[data-coview-widget]') !== null);
    await customer.waitForState('sharing');
    await agent.waitForState('live');
    expect(await look()).toEqual(chosen);

    // Stopped: the next page is the site's own widget again (its <html lang="en">, its look).
    await customer.button('Jetzt beenden').click();
    await customer.waitForState('idle');
    await customer.page.reload();
    await customer.page.waitForFunction(() => window.Coview !== undefined && document.querySelector('[data-coview-widget]') !== null);
    await customer.button('Share my screen').waitFor();
    expect(await look()).toMatchObject({ lang: 'en', corner: 'bottom-right', accent: '' });
    await customer.page.context().close();
    await agent.page.context().close();
  });
});
