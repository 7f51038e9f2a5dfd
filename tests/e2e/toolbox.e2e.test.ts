import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { readWire } from '../support/wire.js';
import { AgentPage, CustomerPage, eventually } from './pages.js';
import { useHarness } from './harness.js';

const h = useHarness();
const downloads = await mkdtemp(join(tmpdir(), 'coview-recordings-'));
afterAll(() => rm(downloads, { recursive: true, force: true }));

const trimmed = (locator: { textContent(): Promise<string | null> }) => () => locator.textContent().then((t) => t?.trim() ?? null);

describe("the agent's console and network panel", () => {
  it('shows the page\'s errors, warnings and requests with badges, stacks, redacted URLs, filters and search', async () => {
    const { customer, agent } = await h.liveSession('devtools.html', { recordWire: true });
    const badge = (kind: string) => trimmed(agent.page.locator(`[data-coview-badge="${kind}"]`));
    await agent.page.locator('[data-coview-badge="console"]').waitFor();
    expect(await badge('console')()).toBe('0');

    customer.page.removeAllListeners('pageerror'); // the errors below are the point
    await customer.page.evaluate(() => (window as unknown as { misbehave(): void }).misbehave());

    // What the agent sees: five console entries on the badge (red: there are errors), then in the panel.
    await eventually(badge('console'), (t) => t === '5');
    expect(await agent.page.locator('[data-coview-badge="console"]').getAttribute('class')).toContain('badge-error');
    const panel = agent.page.locator('[data-coview-devtools]');
    expect(await panel.count()).toBe(0); // closed until the agent opens it: the page gets the room
    await agent.page.locator('[data-coview-tab="console"]').click();
    const entries = panel.locator('[data-coview-console-entry]');
    const uncaught = entries.filter({ hasText: 'Checkout exploded' });
    expect(await uncaught.getAttribute('data-level')).toBe('uncaught');
    expect(await uncaught.innerText()).toContain('TypeError: Checkout exploded');
    await uncaught.getByText('Stack').click();
    expect(await uncaught.locator('pre').innerText()).toMatch(/checkout.*devtools\.html/s);
    expect(await entries.filter({ hasText: 'Coupon service down' }).getAttribute('data-level')).toBe('rejection');
    expect(await entries.filter({ hasText: 'Payment failed' }).innerText()).toContain('"reason":"card_declined"');
    expect(await entries.filter({ hasText: 'Slow response' }).getAttribute('data-level')).toBe('warn');
    // A fetch that fails and that the page never handles is still the page's unhandled rejection.
    expect(await entries.filter({ hasText: 'Failed to fetch' }).getAttribute('data-level')).toBe('rejection');
    // Logged before the customer allowed the agent: never captured.
    expect(await panel.innerText()).not.toContain('before consent');

    // Filters and search.
    await panel.locator('[data-coview-filter="errors"]').click();
    expect(await entries.count()).toBe(4);
    await panel.locator('[data-coview-filter="warnings"]').click();
    expect(await entries.allInnerTexts()).toEqual([expect.stringContaining('Slow response')]);
    await panel.locator('[data-coview-filter="all"]').click();
    await panel.locator('[data-coview-search]').fill('coupon');
    expect(await entries.allInnerTexts()).toEqual([expect.stringContaining('Coupon service down')]);
    await panel.locator('[data-coview-search]').fill('');

    // Network: the failed fetch with its status and the query values redacted, the XHR with its method.
    await agent.page.locator('[data-coview-tab="network"]').click();
    expect(await panel.getAttribute('data-coview-devtools')).toBe('network');
    await eventually(badge('network-failed'), (t) => t === '2');
    const requests = panel.locator('[data-coview-network-entry]');
    const missing = requests.filter({ hasText: 'missing.json' });
    expect(await missing.getAttribute('data-status')).toBe('404');
    const missingText = await missing.innerText();
    expect(missingText).toContain('missing.json?token=[redacted]&user=[redacted]');
    expect(missingText).toContain('fetch');
    const xhr = await eventually(() => requests.filter({ hasText: 'session=[redacted]' }).allInnerTexts(), (rows) => rows.length === 1);
    expect(xhr[0]).toMatch(/POST\s+200/);
    // Resource timings: the picture the page loaded, with its status and size.
    const picture = await eventually(() => requests.filter({ hasText: 'logo.svg?v=[redacted]' }).allInnerTexts(), (rows) => rows.length === 1);
    expect(picture[0]).toMatch(/GET\s+200/);
    expect(picture[0]).toMatch(/img · \d+ ms · \d+ B/);
    await panel.locator('[data-coview-filter="failed"]').click();
    expect(await requests.count()).toBe(2);
    expect(await requests.filter({ hasText: '127.0.0.1:9/unreachable' }).innerText()).toMatch(/GET\s+failed/);
    // The token and e-mail never left the customer's device, let alone reached the panel.
    const wire = (await readWire(customer.page)).frames.join('');
    expect(wire).toContain('missing.json');
    expect(wire).not.toContain('s3cret');
    expect(wire).not.toContain('ada@example.com');
    expect(wire).not.toContain('4111');

    // Stopping puts the page's console, fetch and XHR back exactly as they were.
    await customer.page.evaluate(() => window.Coview!.stop());
    const restored = await customer.page.evaluate(() => [console.error, console.warn, fetch, XMLHttpRequest.prototype.open, XMLHttpRequest.prototype.send].every((fn) => /\[native code\]/.test(Function.prototype.toString.call(fn))));
    expect(restored).toBe(true);
  });

  it('shows the session info: page, browser, OS, viewport, language and time zone', async () => {
    const customerContext = await h.browser.newContext({ viewport: { width: 1024, height: 700 }, locale: 'de-DE', timezoneId: 'Europe/Berlin' });
    await customerContext.grantPermissions(['microphone'], { origin: h.fixtures.url });
    await customerContext.grantPermissions(['microphone'], { origin: h.server.url });
    const customer = await CustomerPage.open(customerContext, `${h.fixtures.url}/devtools.html?step=2`);
    const agent = await AgentPage.open(await h.person({ width: 1280, height: 800 }), `${h.server.url}/join`);
    const { code } = await customer.page.evaluate(() => window.Coview!.start({ onJoinRequest: () => true }));
    await agent.join(code);
    await agent.waitForState('live', 30_000);

    await agent.page.locator('[data-coview-tab="session"]').click();
    const info = (key: string) => agent.page.locator(`[data-coview-info="${key}"]`).innerText();
    // The address is redacted like any URL: query values can carry tokens.
    expect(await info('url')).toBe(`${h.fixtures.url}/devtools.html?step=[redacted]`);
    expect(await info('title')).toBe('Checkout — devtools fixture');
    expect(await info('browser')).toMatch(/^Chrome \d+/);
    expect(await info('os')).toBe('Linux');
    expect(await info('viewport')).toBe('1024 × 700');
    expect(await info('language')).toBe('de-DE');
    expect(await info('timezone')).toBe('Europe/Berlin');

    // The viewport follows the customer's window.
    await customer.page.setViewportSize({ width: 800, height: 600 });
    await eventually(() => info('viewport'), (v) => v === '800 × 600');
  });
});

describe('time travel', () => {
  it('scrubbing back shows the earlier cart while live changes keep recording; back to live catches up', async () => {
    const { customer, agent } = await h.people();
    const { code } = await customer.page.evaluate(() => window.Coview!.start({ onJoinRequest: () => true }));
    await agent.join(code);
    await agent.waitForState('live');
    const cartCount = trimmed(agent.frame.locator('#cart-count'));
    for (let i = 1; i <= 3; i++) {
      await customer.page.locator('.add-to-cart').nth(i - 1).click();
      await eventually(cartCount, (t) => t === String(i));
    }
    const html = agent.page.locator('html');
    expect(await html.getAttribute('data-coview-timeline')).toBe('live');
    await eventually(() => agent.page.locator('[data-coview-marker="click"]').count(), (n) => n === 3);
    expect(await agent.page.locator('[data-coview-marker="page"]').count()).toBe(1);

    // The second click's marker: the moment the customer pressed "Add" the second time.
    await agent.page.locator('[data-coview-marker="click"]').nth(1).click();
    await eventually(() => html.getAttribute('data-coview-timeline'), (v) => v === 'past');
    await eventually(cartCount, (t) => t === '1');
    expect(await agent.frame.locator('#cart-items li').count()).toBe(1);

    // The very start of the session: the empty cart.
    await agent.page.locator('[data-coview-scrubber]').fill('0');
    await eventually(cartCount, (t) => t === '0');

    // The customer goes on meanwhile: the agent's view stays where they put it...
    await customer.page.locator('.add-to-cart').nth(3).click();
    await customer.page.locator('#name').fill('Ada Lovelace');
    await eventually(() => agent.page.locator('[data-coview-marker="click"]').count(), (n) => n === 4);
    expect(await cartCount()).toBe('0');

    // ...and "Back to live" shows everything that happened since.
    await agent.page.locator('[data-coview-go-live]').click();
    await eventually(cartCount, (t) => t === '4');
    expect(await agent.frame.locator('#name').inputValue()).toBe('Ada Lovelace');
    expect(await html.getAttribute('data-coview-timeline')).toBe('live');
    await customer.page.locator('.add-to-cart').nth(4).click();
    await eventually(cartCount, (t) => t === '5');
  });
});

describe('export and import', () => {
  it('a downloaded recording opens later, offline, and shows the page, its picture and its errors', async () => {
    const { customer, agent } = await h.liveSession('devtools.html');
    await customer.page.locator('#add').click();
    await customer.page.locator('#add').click();
    customer.page.removeAllListeners('pageerror'); // the errors below are the point
    await customer.page.evaluate(() => (window as unknown as { misbehave(): void }).misbehave());
    await eventually(trimmed(agent.frame.locator('#count')), (t) => t === '2');
    await eventually(trimmed(agent.page.locator('[data-coview-badge="console"]')), (t) => t === '5');
    await customer.page.evaluate(() => window.scrollTo(0, 600));
    await eventually(() => agent.inMirror((_doc, win) => win.scrollY), (y) => Math.abs(y - 600) < 2);

    const [download] = await Promise.all([agent.page.waitForEvent('download'), agent.page.locator('[data-coview-export]').click()]);
    expect(download.suggestedFilename()).toMatch(/^coview-\d{4}-\d{2}-\d{2}-\d{4}\.coview$/);
    const file = join(downloads, download.suggestedFilename());
    await download.saveAs(file);
    const bytes = await readFile(file);
    expect([bytes[0], bytes[1]]).toEqual([0x1f, 0x8b]); // gzip

    // Later, on another machine with no connection: the join page's "Open recording".
    const reviewer = await AgentPage.open(await h.person({ width: 1280, height: 800 }), `${h.server.url}/join`);
    await reviewer.page.context().setOffline(true);
    await reviewer.page.locator('[data-coview-open-recording]').setInputFiles(file);
    await eventually(trimmed(reviewer.frame.locator('#count')), (t) => t === '2');
    expect(await reviewer.frame.locator('h1').textContent()).toBe('Checkout');
    expect(await reviewer.statusText()).toContain('Recording');
    // Where the customer had scrolled to.
    await eventually(() => reviewer.inMirror((_doc, win) => win.scrollY), (y) => Math.abs(y - 600) < 2);
    // The picture was inlined into the file: it shows without the customer's site.
    const logo = await reviewer.frame.locator('#logo').evaluate((img: HTMLImageElement) => ({ src: img.src.slice(0, 20), ok: img.complete && img.naturalWidth > 0 }));
    expect(logo).toEqual({ src: 'data:image/svg+xml;b', ok: true });
    expect(await trimmed(reviewer.page.locator('[data-coview-badge="console"]'))()).toBe('5');
    await reviewer.page.locator('[data-coview-tab="console"]').click();
    expect(await reviewer.page.locator('[data-coview-console-entry]').filter({ hasText: 'Checkout exploded' }).count()).toBe(1);
    // And it can be scrubbed like a live session: the start shows the empty cart.
    await reviewer.page.locator('[data-coview-scrubber]').fill('0');
    await eventually(trimmed(reviewer.frame.locator('#count')), (t) => t === '0');
  });

  it('a file that is not a recording gives a clear error and the join page keeps working', async () => {
    const agent = await AgentPage.open(await h.person(), `${h.server.url}/join`);
    const input = agent.page.locator('[data-coview-open-recording]');
    await input.setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('hello, this is not a recording') });
    const error = agent.page.locator('[data-coview-recording-error]');
    await error.waitFor();
    expect(await error.getAttribute('data-coview-recording-error')).toBe('ERR_BAD_RECORDING');
    expect(await error.innerText()).toContain("can't be opened as a Coview recording");

    // Compressed, right format, but a message the protocol refuses: the error names the field.
    const hostile = gzipSync(JSON.stringify({ format: 'coview-recording', version: 1, protocol: 1, entries: [{ t: 1, message: { type: 'snapshot', node: { id: 1, type: 2 }, viewport: { width: 1, height: 1 }, scroll: { x: 0, y: 0 } } }] }));
    await input.setInputFiles({ name: 'bad.coview', mimeType: 'application/gzip', buffer: hostile });
    await eventually(() => error.innerText(), (t) => t.includes('tagName'));
    expect(await agent.page.locator('[data-coview-frame]').count()).toBe(0);
    expect(await agent.state()).toBe('idle');
    await agent.page.getByLabel('Share code').fill('000-000-000');
    await agent.page.getByRole('button', { name: 'Join' }).click();
    await agent.waitForState('error');
  });
});
