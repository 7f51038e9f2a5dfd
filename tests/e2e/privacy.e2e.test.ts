import { describe, expect, it } from 'vitest';
import type { StartOptions } from '../../widget/session/host-session.js';
import { canaryLeaks, readWire, recordWire } from '../support/wire.js';
import { AgentPage, CustomerPage, eventually } from './pages.js';
import { useHarness } from './harness.js';

const h = useHarness();

type JsonStartOptions = Omit<StartOptions, 'onJoinRequest' | 'onControlRequest'>;

/** A live session on a fixture page with privacy options, recording the customer's data channel. */
async function share(path: string, options: JsonStartOptions = {}) {
  const customerContext = await h.person();
  await recordWire(customerContext);
  const customer = await CustomerPage.open(customerContext, `${h.fixtures.url}/${path}`);
  const agent = await AgentPage.open(await h.person({ width: 1280, height: 800 }), `${h.server.url}/join`);
  const { code } = await customer.page.evaluate((opts) => window.Coview!.start({ ...opts, onJoinRequest: () => true }), options);
  await agent.join(code);
  await agent.waitForState('live', 30_000);
  return { customer, agent };
}

async function leaks(page: CustomerPage['page'], canaries: string[]): Promise<string[]> {
  const { messages, leaks } = await canaryLeaks(page, canaries);
  expect(messages).toBeGreaterThan(1);
  return leaks;
}

describe('privacy: nothing sensitive leaves the customer’s device', () => {
  it('no canary from a password, card, one-time code, hidden, masked, blocked or selector-matched place ever crosses the wire, whatever the page does', async () => {
    const { customer, agent } = await share('canary.html?reset_token=CANARY-url-token#access_token=CANARY-url-fragment', {
      maskSelector: '.pii',
      blockSelector: '#secret-widget',
    });
    const page = customer.page;

    // The customer types and toggles.
    await page.locator('#password').fill('CANARY-typed-password');
    await page.locator('#show-password').click();
    await page.locator('#password').pressSequentially('-CANARY-typed-while-visible');
    await page.locator('#card').pressSequentially('4111111111111111');
    await page.locator('#csc').fill('CANARY-csc');
    await page.locator('#otp').fill('CANARY-otp');
    await page.locator('#current').fill('CANARY-current');
    await page.locator('#newpw').fill('CANARY-new');
    await page.locator('#masked-input').fill('CANARY-typed-masked');
    await page.locator('#masked-notes').fill('CANARY-typed-notes');
    await page.locator('#react-masked').pressSequentially('CANARY-typed-react');
    await page.locator('#masked-select').selectOption('CANARY-opt-a');
    await page.locator('#masked-check').uncheck();
    await page.locator('#plain').fill('visible-typed');

    // The page changes values and attributes by script (React-style writes included).
    await page.evaluate(() => (window as unknown as { mutate(): void }).mutate());
    await eventually(() => agent.frame.locator('#status').textContent(), (t) => t === 'mutations-done');
    await page.evaluate(() => (window as unknown as { afterBlock(): void }).afterBlock());
    await eventually(() => agent.frame.locator('#status').textContent(), (t) => t === 'after-block-done');
    // A value set through React's private copy of the setter (no event) still reaches the agent, by the poll.
    await eventually(() => agent.frame.locator('#react-visible').inputValue(), (v) => v === 'visible-react-value');
    await eventually(() => agent.frame.locator('#plain').inputValue(), (v) => v === 'visible-typed');

    expect(await leaks(page, ['CANARY', '4111', '4242'])).toEqual([]);
    const all = ((await readWire(page)).messages).join('\n');
    expect(all).toContain('visible-username');
    expect(all).toContain('mutations-done');

    // What the agent sees: constant masks, word masks in attributes, placeholders for blocked boxes.
    expect(await agent.frame.locator('#password').inputValue()).toBe('••••••••');
    expect(await agent.frame.locator('#card').inputValue()).toBe('••••••••');
    expect(await agent.frame.locator('#react-masked').inputValue()).toBe('••••••••');
    expect(await agent.frame.locator('#masked-input').getAttribute('placeholder')).toBe('•••');
    expect(await agent.frame.locator('#masked-text').textContent()).toMatch(/^[•\s,.]+$/);
    expect(await agent.frame.locator('#pii').textContent()).toBe('•••');
    expect(await agent.frame.locator('.box').evaluateAll((boxes) => boxes.map((b) => [b.childNodes.length, (b as HTMLElement).style.height]))).toEqual([
      [0, '80px'],
      [0, '80px'],
      [0, '80px'],
    ]);
    // The agent's header shows the page address without its secrets.
    expect(await agent.page.locator('.page-info').getAttribute('title')).toMatch(/canary\.html\?reset_token=\[redacted\]#access_token=\[redacted\]$/);
  });

  it('maskAllInputs masks every typed value; checkbox state stays visible', async () => {
    const { customer, agent } = await share('canary.html', { maskAllInputs: true });
    await customer.page.locator('#username').fill('CANARY-any-input');
    await customer.page.locator('#agree').check();
    await eventually(() => agent.frame.locator('#agree').isChecked(), (c) => c);
    await eventually(() => agent.frame.locator('#username').inputValue(), (v) => v === '••••••••');
    expect(await leaks(customer.page, ['CANARY-any-input', 'visible-username'])).toEqual([]);
  });

  it('private by default (script tag data-private-by-default): only data-coview-allow regions are shown', async () => {
    const customerContext = await h.person();
    await recordWire(customerContext);
    const customer = await CustomerPage.open(customerContext, `${h.fixtures.url}/private.html`);
    const agent = await AgentPage.open(await h.person(), `${h.server.url}/join`);
    const { code } = await customer.page.evaluate(() => window.Coview!.start({ onJoinRequest: () => true }));
    await agent.join(code);
    await agent.waitForState('live');
    await customer.page.locator('#notes').fill('CANARY-typed');
    await customer.page.locator('#postcode').fill('EC1A 1BB');
    await eventually(() => agent.frame.locator('#postcode').inputValue(), (v) => v === 'EC1A 1BB');

    expect(await agent.frame.locator('#shop').textContent()).toBe('Northwind help desk');
    expect(await agent.frame.locator('#allowed').textContent()).toBe('Step 2 of 3: choose a delivery slot');
    expect(await agent.frame.locator('#allowed-photo').getAttribute('alt')).toBe('Delivery van');
    expect(await agent.frame.locator('#secret').textContent()).toBe('••• ••• ••• •••');
    expect(await agent.frame.locator('#notes').inputValue()).toBe('••••••••');
    // Media outside allowed regions is a same-size empty box.
    const photo = agent.frame.locator('main > img');
    expect(await photo.evaluate((img) => [img.getAttribute('src'), (img as HTMLElement).style.width])).toEqual([null, '120px']);
    expect(await agent.page.locator('.page-info').textContent()).not.toContain('CANARY');
    expect(await leaks(customer.page, ['CANARY'])).toEqual([]);
  });

  it('a bad selector option fails start() with ERR_BAD_OPTIONS before anything happens', async () => {
    const customer = await CustomerPage.open(await h.person(), `${h.fixtures.url}/canary.html`);
    const error = await customer.page.evaluate(() =>
      window.Coview!.start({ maskSelector: 'div[[' }).then(
        () => null,
        (e: { code: string; message: string }) => ({ code: e.code, message: e.message }),
      ),
    );
    expect(error).toEqual({ code: 'ERR_BAD_OPTIONS', message: expect.stringContaining('maskSelector is not a valid CSS selector') });
    expect(await customer.state()).toBe('idle');
  });

  it('nothing is sent before Allow, and the widget’s own UI never is', async () => {
    const customerContext = await h.person();
    await recordWire(customerContext);
    const customer = await CustomerPage.open(customerContext, `${h.fixtures.url}/canary.html`);
    const agent = await AgentPage.open(await h.person(), `${h.server.url}/join`);
    const code = await customer.shareScreen();
    await agent.join(code, 'Alex');
    await customer.widget.getByText('Allow Alex to see this page?').waitFor();
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await readWire(customer.page)).frames).toEqual([]);
    expect(await customer.page.evaluate(() => document.querySelectorAll('[data-coview-frame]').length)).toBe(0);

    await customer.button('Allow').click();
    await agent.waitForState('live');
    // The widget with all its states on screen: sharing panel, control banner, the agent's labelled cursor.
    await agent.page.getByRole('button', { name: 'Request control' }).click();
    await customer.button('Allow control').click();
    await customer.widget.getByText('Agent Alex is controlling this page').waitFor();
    const box = (await agent.page.locator('[data-coview-frame]').boundingBox())!;
    await agent.page.mouse.move(box.x + 100, box.y + 100);
    await customer.widget.locator('.agent-cursor').getByText('Alex').waitFor();

    expect(await agent.frame.locator('[data-coview-widget]').count()).toBe(0);
    const all = ((await readWire(customer.page)).messages).join('\n');
    for (const text of ['data-coview-widget', 'Share my screen', 'You are sharing', 'Take back control', 'is controlling', 'agent-cursor', 'Allow control']) {
      expect(all.includes(text), `"${text}" was sent`).toBe(false);
    }
  });
});
