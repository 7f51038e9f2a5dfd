import { describe, expect, it } from 'vitest';
import { eventually, type AgentPage, type CustomerPage } from './pages.js';
import { useHarness } from './harness.js';

const h = useHarness();

/** A live session on the control playground; the customer's window is smaller than the agent's. */
async function session() {
  const { customer, agent } = await h.liveSession('control.html', { customerViewport: { width: 900, height: 650 } });
  await customer.waitForState('sharing');
  return { customer, agent };
}

const toolbar = (agent: AgentPage) => agent.page.getByRole('toolbar', { name: 'Agent tools' });
const controlState = (agent: AgentPage) => toolbar(agent).getAttribute('data-coview-control');
const text = (customer: CustomerPage, selector: string) => () => customer.page.locator(selector).textContent();

async function grantControl(customer: CustomerPage, agent: AgentPage): Promise<void> {
  await agent.page.getByRole('button', { name: 'Request control' }).click();
  await customer.button('Allow control').click();
  await eventually(() => controlState(agent), (s) => s === 'on');
}

describe('remote control', () => {
  it('the agent only points until the customer grants control; clicks then land on the right element; the customer takes control back at once', async () => {
    const { customer, agent } = await session();

    // Before any grant, a click in the mirror is only a "look here" ripple on the customer's page.
    await agent.frame.locator('#inc').click();
    await customer.widget.locator('.laser').first().waitFor({ state: 'attached' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await customer.page.locator('#count').textContent()).toBe('0');

    // The agent asks; the customer sees who asks and decides.
    await agent.page.getByRole('button', { name: 'Request control' }).click();
    await agent.page.getByRole('button', { name: 'Waiting for the customer…' }).waitFor();
    await customer.widget.getByText('Alex asks to control this page').waitFor();
    expect(await customer.widget.getAttribute('data-coview-control')).toBe('asking');
    await customer.button('Allow control').click();

    const banner = customer.widget.locator('.control-banner');
    await banner.waitFor();
    expect(await banner.innerText()).toContain('Agent Alex is controlling this page');
    await eventually(() => controlState(agent), (s) => s === 'on');
    expect(await agent.page.locator('[data-coview-tools-notice]').textContent()).toContain('You have control');

    // Viewports differ (900×650 here, the agent's mirror scaled into 1280×800): the click lands by element.
    await agent.frame.locator('#inc').click();
    await agent.frame.locator('#inc').click();
    await eventually(text(customer, '#count'), (t) => t === '2');
    await eventually(() => agent.frame.locator('#count').textContent(), (t) => t === '2');
    await agent.frame.locator('#dbl').dblclick();
    await eventually(text(customer, '#dbl-echo'), (t) => t === 'double-clicked');

    // The customer sees the agent's cursor with their name.
    const frameBox = (await agent.page.locator('[data-coview-frame]').boundingBox())!;
    await agent.page.mouse.move(frameBox.x + 50, frameBox.y + 60);
    const cursor = customer.widget.locator('.agent-cursor');
    await eventually(() => cursor.isVisible(), (v) => v);
    expect(await cursor.innerText()).toBe('Alex');

    // "Take back control": the agent sees it at once and can no longer act.
    await banner.getByRole('button', { name: 'Take back control' }).click();
    await eventually(() => controlState(agent), (s) => s === 'off', 2_000);
    expect(await agent.page.locator('[data-coview-tools-notice]').textContent()).toBe('The customer took back control.');
    expect(await banner.count()).toBe(0);
    await agent.frame.locator('#inc').click();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await customer.page.locator('#count').textContent()).toBe('2');
  });

  it('a customer who denies control leaves the agent pointing', async () => {
    const { customer, agent } = await session();
    await agent.page.getByRole('button', { name: 'Request control' }).click();
    await customer.button('Deny').click();
    await eventually(() => agent.page.locator('[data-coview-tools-notice]').textContent(), (t) => t === 'The customer declined remote control.');
    expect(await controlState(agent)).toBe('off');
    await agent.page.getByRole('button', { name: 'Request control' }).waitFor();
  });

  it('typing reaches React- and Vue-style inputs; Backspace, Tab and Enter do what they do for a person', async () => {
    const { customer, agent } = await session();
    await grantControl(customer, agent);

    await agent.frame.locator('#react-name').click();
    await agent.page.keyboard.type('ada lovelace');
    await agent.page.keyboard.press('Backspace');
    // The page's own React-style state saw every keystroke (it upper-cases what it gets).
    await eventually(text(customer, '#echo'), (t) => t === 'ADA LOVELAC');
    expect(await customer.page.locator('#react-name').inputValue()).toBe('ADA LOVELAC');
    await eventually(() => agent.frame.locator('#react-name').inputValue(), (v) => v === 'ADA LOVELAC');

    // Vue's lazy v-model listens for `change`, which comes when the field is left.
    await agent.frame.locator('#lazy').click();
    await agent.page.keyboard.type('later');
    expect(await customer.page.locator('#lazy-echo').textContent()).toBe('');
    await agent.page.keyboard.press('Tab');
    await eventually(text(customer, '#lazy-echo'), (t) => t === 'later');

    // Tab moves focus like a keyboard user's would.
    await agent.frame.locator('#first').click();
    await agent.page.keyboard.type('one');
    await agent.page.keyboard.press('Tab');
    await agent.page.keyboard.type('two');
    await eventually(() => customer.page.locator('#second').inputValue(), (v) => v === 'two');
    expect(await customer.page.locator('#first').inputValue()).toBe('one');

    // Enter submits the form the field is in.
    await agent.frame.locator('#query').click();
    await agent.page.keyboard.type('boots');
    await agent.page.keyboard.press('Enter');
    await eventually(text(customer, '#searched'), (t) => t === 'searched: boots');
  });

  it('select options, check boxes and scroll the page and a pane', async () => {
    const { customer, agent } = await session();
    await grantControl(customer, agent);

    // The options open as a menu on the join page (the mirror's own popup would act only locally).
    await agent.frame.locator('#size').click();
    await agent.page.getByRole('option', { name: 'Large' }).click();
    await eventually(text(customer, '#size-echo'), (t) => t === 'l');
    await eventually(() => agent.frame.locator('#size').inputValue(), (v) => v === 'l');

    await agent.frame.getByText('I agree').click();
    await eventually(text(customer, '#agree-echo'), (t) => t === 'yes');
    await eventually(() => agent.frame.locator('#agree').isChecked(), (c) => c);

    // Wheel over the pane scrolls the pane; over the page, the page; PageDown too.
    const pane = (await agent.frame.locator('#pane').boundingBox())!;
    await agent.page.mouse.move(pane.x + pane.width / 2, pane.y + pane.height / 2);
    await agent.page.mouse.wheel(0, 120);
    await eventually(() => customer.page.locator('#pane').evaluate((el) => el.scrollTop), (top) => top > 50);
    const heading = (await agent.frame.locator('h1').boundingBox())!;
    await agent.page.mouse.move(heading.x + 10, heading.y + 5);
    await agent.page.mouse.wheel(0, 300);
    await eventually(() => customer.page.evaluate(() => scrollY), (y) => y > 100);
    const before = await customer.page.evaluate(() => scrollY);
    await agent.page.keyboard.press('PageDown');
    await eventually(() => customer.page.evaluate(() => scrollY), (y) => y > before + 300);
    // The mirror follows.
    await eventually(() => agent.inMirror((_doc, win) => win.scrollY), (y) => y > before + 300);
  });

  it('control is refused on password fields and masked elements, and the agent is told', async () => {
    const { customer, agent } = await session();
    await grantControl(customer, agent);
    const notice = () => agent.page.locator('[data-coview-tools-notice]').textContent();

    await agent.frame.locator('#masked-btn').click();
    await eventually(notice, (t) => t?.includes('private') === true);
    expect(await customer.page.locator('#masked-count').textContent()).toBe('0');

    await agent.frame.locator('#pw').click();
    await agent.page.keyboard.type('hunter2');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await customer.page.locator('#pw').inputValue()).toBe('');

    // Focus the customer moved into a password field is out of reach too.
    await customer.page.locator('#pw').focus();
    await agent.page.keyboard.type('x');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await customer.page.locator('#pw').inputValue()).toBe('');
    expect(await notice()).toContain('private');
  });
});
