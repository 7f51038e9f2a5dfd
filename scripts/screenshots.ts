/**
 * Takes the README's pictures from the real product: the demo shop with the widget, the consent
 * prompt, and the join page showing the customer's live page. Run: npm run screenshots
 */
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
} finally {
  await browser.close();
  await server.close();
}
