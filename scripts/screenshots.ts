/**
 * Takes the README's pictures from the real product: the demo shop with the widget, the consent
 * prompt, and the join page showing the customer's live page. Run: npm run screenshots
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchChromium, newPerson } from '../tests/support/browser.js';
import { startServer } from '../tests/support/server.js';
import { allowTsxEvaluate } from '../tests/support/wire.js';
import { AgentPage, CustomerPage } from '../tests/e2e/pages.js';

const out = (name: string) => `docs/images/${name}.png`;
const server = await startServer();
const browser = await launchChromium();
try {
  const customerContext = await newPerson(browser, server.url, { width: 1100, height: 700 });
  const agentContext = await newPerson(browser, server.url, { width: 1280, height: 760 });
  for (const context of [customerContext, agentContext]) await allowTsxEvaluate(context);
  const customer = await CustomerPage.open(customerContext, `${server.url}/`);
  const code = await customer.shareScreen();
  await customer.page.screenshot({ path: out('widget-code') });

  const agent = await AgentPage.open(agentContext, `${server.url}/join`);
  await agent.page.getByLabel('Share code').fill(code);
  await agent.page.getByLabel('Your name').fill('Alex');
  await agent.page.screenshot({ path: out('join-form') });
  await agent.page.getByRole('button', { name: 'Join' }).click();
  await customer.button('Allow').waitFor();
  await customer.page.screenshot({ path: out('widget-consent') });
  await customer.button('Allow').click();
  await agent.waitForState('live');
  await customer.page.locator('.add-to-cart').first().click();
  await customer.page.locator('#name').fill('Ada Lovelace');
  await customer.page.mouse.move(520, 380);
  await new Promise((resolve) => setTimeout(resolve, 500));
  await customer.page.screenshot({ path: out('widget-sharing') });
  await agent.page.screenshot({ path: out('join-live') });
  console.log('wrote docs/images/{widget-code,join-form,widget-consent,widget-sharing,join-live}.png');

  // The agent's toolbox. The demo shop has no bugs of its own, so the customer's page gets some.
  const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  await customer.page.addScriptTag({
    content: `window.applyCoupon = function applyCoupon(code) {
      console.warn('Slow response from /api/stock (2.4 s)');
      fetch('/demo/shop.css');
      fetch('/api/coupons?code=' + code + '&customer=12345');
      setTimeout(function renderDiscount() { var coupon; return coupon.discount; });
    };`,
  });
  await pause(1_500);
  await customer.page.locator('.add-to-cart').nth(2).click();
  await pause(1_500);
  await customer.page.evaluate(() => (window as unknown as { applyCoupon(code: string): void }).applyCoupon('AUTUMN10'));
  await pause(1_500);
  await customer.page.locator('.add-to-cart').nth(3).click();
  await pause(600);
  await agent.page.locator('[data-coview-tab="console"]').click();
  await agent.page.locator('[data-coview-console-entry][data-level="uncaught"]').getByText('Stack').click();
  await agent.page.screenshot({ path: out('join-console') });
  await agent.page.locator('[data-coview-tab="network"]').click();
  await agent.page.screenshot({ path: out('join-network') });
  await agent.page.locator('[data-coview-tab="session"]').click();
  await agent.page.screenshot({ path: out('join-session') });
  await agent.page.locator('[data-coview-tab="session"]').click(); // closes the panel
  await agent.page.locator('[data-coview-marker="click"]').first().click();
  await agent.page.locator('[data-coview-go-live]').waitFor();
  await new Promise((resolve) => setTimeout(resolve, 300));
  await agent.page.screenshot({ path: out('join-time-travel') });

  const [download] = await Promise.all([agent.page.waitForEvent('download'), agent.page.locator('[data-coview-export]').click()]);
  const file = join(await mkdtemp(join(tmpdir(), 'coview-shot-')), download.suggestedFilename());
  await download.saveAs(file);
  const reviewer = await AgentPage.open(await newPerson(browser, server.url, { width: 1280, height: 760 }), `${server.url}/join`);
  await reviewer.page.locator('[data-coview-open-recording]').setInputFiles(file);
  await reviewer.frame.locator('#products').waitFor();
  await reviewer.page.locator('[data-coview-tab="console"]').click();
  await new Promise((resolve) => setTimeout(resolve, 300));
  await reviewer.page.screenshot({ path: out('join-recording') });
  console.log('wrote docs/images/{join-console,join-network,join-session,join-time-travel,join-recording}.png');

  // The agent's tools: control granted, a stroke around the first product, the agent's labelled cursor.
  await agent.page.getByRole('button', { name: 'Request control' }).click();
  await customer.button('Allow control').click();
  await customer.widget.locator('.control-banner').waitFor();
  await customer.page.evaluate(() => scrollTo(0, 0));
  await new Promise((resolve) => setTimeout(resolve, 400));
  await agent.page.getByRole('button', { name: 'Draw' }).click();
  const product = await agent.page.evaluate(() => {
    const frame = document.querySelector<HTMLIFrameElement>('[data-coview-frame]')!;
    const outer = frame.getBoundingClientRect();
    const scale = outer.width / frame.offsetWidth;
    const r = frame.contentDocument!.querySelector('#products .product')!.getBoundingClientRect();
    return { x: outer.x + (r.x + r.width / 2) * scale, y: outer.y + (r.y + r.height / 2) * scale, rx: (r.width / 2) * scale, ry: (r.height / 2) * scale };
  });
  // Real browser input (Playwright's mouse drag probes the script-less mirror and stalls).
  const cdp = await agent.page.context().newCDPSession(agent.page);
  const at = (i: number) => ({ x: product.x + Math.cos(i / 8) * product.rx, y: product.y + Math.sin(i / 8) * product.ry });
  await cdp.send('Input.dispatchMouseEvent', { type: 'mousePressed', ...at(0), button: 'left', buttons: 1, clickCount: 1 });
  for (let i = 1; i <= 52; i++) await cdp.send('Input.dispatchMouseEvent', { type: 'mouseMoved', ...at(i), button: 'left', buttons: 1 });
  await cdp.send('Input.dispatchMouseEvent', { type: 'mouseReleased', ...at(52), button: 'left', buttons: 0, clickCount: 1 });
  await agent.page.mouse.move(product.x + product.rx + 60, product.y + 20, { steps: 4 });
  await new Promise((resolve) => setTimeout(resolve, 400));
  await customer.page.screenshot({ path: out('widget-control') });
  await agent.page.screenshot({ path: out('join-control') });
  console.log('wrote docs/images/{widget-control,join-control}.png');

  // Looks: dark, a site's brand, a phone, right to left. Each on its own customer and agent.
  const session = async (viewport: { width: number; height: number }, setup: (customer: CustomerPage) => Promise<void>, touch = false) => {
    const context = touch ? await browser.newContext({ viewport, hasTouch: true, isMobile: true, deviceScaleFactor: 1 }) : await newPerson(browser, server.url, viewport);
    await context.grantPermissions(['microphone'], { origin: server.url });
    await allowTsxEvaluate(context);
    const someone = await CustomerPage.open(context, `${server.url}/`);
    await setup(someone);
    const joiner = await AgentPage.open(await newPerson(browser, server.url, { width: 1280, height: 760 }), `${server.url}/join`);
    return { someone, joiner };
  };
  const consentThenShare = async (someone: CustomerPage, joiner: AgentPage, allow: string, before: string) => {
    const { code } = await someone.page.evaluate(() => window.Coview!.start());
    await joiner.join(code, 'Alex');
    await someone.page.waitForFunction(() => window.Coview!.status === 'asking');
    await someone.page.screenshot({ path: out(before) });
    await someone.button(allow).click();
    await joiner.waitForState('live');
  };

  const dark = await session({ width: 1100, height: 700 }, (c) => c.page.emulateMedia({ colorScheme: 'dark' }));
  await dark.joiner.page.emulateMedia({ colorScheme: 'dark' });
  await consentThenShare(dark.someone, dark.joiner, 'Allow', 'widget-dark-consent');
  await dark.joiner.page.locator('[data-coview-frame]:not([data-coview-loading])').waitFor();
  await pause(400);
  await dark.joiner.page.screenshot({ path: out('join-dark') });

  const waitingAgent = await AgentPage.open(await newPerson(browser, server.url, { width: 1280, height: 760 }), `${server.url}/join`);
  const waitingCustomer = await CustomerPage.open(await newPerson(browser, server.url, { width: 1100, height: 700 }), `${server.url}/`);
  await waitingAgent.join(await waitingCustomer.shareScreen(), 'Alex');
  await waitingAgent.waitForState('waiting');
  await waitingAgent.page.screenshot({ path: out('join-waiting') });

  const branded = await session({ width: 1100, height: 700 }, (c) =>
    c.page.evaluate(() => window.Coview!.configure({ theme: { accent: '#166534', radius: '4px', font: 'Georgia, serif', position: 'bottom-left' }, texts: { share: 'Ask Northwind to help' } })),
  );
  await consentThenShare(branded.someone, branded.joiner, 'Allow', 'widget-branded-consent');

  const phone = await session({ width: 390, height: 844 }, async () => {}, true);
  await consentThenShare(phone.someone, phone.joiner, 'Allow', 'widget-phone-consent');
  await pause(300);
  await phone.someone.page.screenshot({ path: out('widget-phone-sharing') });
  await phone.someone.widget.locator('[data-coview-collapse]').tap();
  await phone.someone.page.screenshot({ path: out('widget-phone-pill') });

  const rtl = await session({ width: 1100, height: 700 }, (c) => c.page.evaluate(() => window.Coview!.configure({ locale: 'ar' })));
  await consentThenShare(rtl.someone, rtl.joiner, 'سماح', 'widget-rtl-consent');
  await rtl.joiner.page.getByRole('button', { name: 'Request control' }).click();
  await rtl.someone.button('السماح بالتحكم').click();
  await rtl.someone.widget.locator('.control-banner').waitFor();
  await pause(300);
  await rtl.someone.page.screenshot({ path: out('widget-rtl-control') });
  console.log('wrote docs/images/{widget-dark-consent,join-dark,join-waiting,widget-branded-consent,widget-phone-consent,widget-phone-sharing,widget-phone-pill,widget-rtl-consent,widget-rtl-control}.png');
} finally {
  await browser.close();
  await server.close();
}
