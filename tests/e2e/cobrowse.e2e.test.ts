import { describe, expect, it } from 'vitest';
import { AgentPage, eventually } from './pages.js';
import { useHarness } from './harness.js';

const h = useHarness();
const people = () => h.people();

const text = (locator: { textContent(): Promise<string | null> }) => () => locator.textContent().then((t) => t?.trim() ?? null);

describe('co-browse end to end', () => {
  it('agent joins by code, customer allows, and the agent sees the live page until the customer stops', async () => {
    const { customer, agent } = await people();

    const code = await customer.shareScreen();
    expect(code).toMatch(/^[0-9A-Z]{3}-[0-9A-Z]{3}-[0-9A-Z]{3}$/);
    expect(await agent.state()).toBe('idle');

    await agent.join(code, 'Alex');
    await agent.waitForState('waiting');
    expect(await agent.statusText()).toContain("Waiting for the customer's approval");

    // Consent first: nothing is shown to the agent before the customer clicks Allow.
    await customer.widget.getByText('Allow Alex to see this page?').waitFor();
    expect(await agent.page.locator('[data-coview-frame]').count()).toBe(0);
    await customer.button('Allow').click();

    await agent.waitForState('live');
    await customer.waitForState('sharing');
    expect(await customer.text()).toContain('You are sharing this page with Alex');

    // The product list, rebuilt in a sandboxed iframe that can never run the shop's scripts (a busy
    // machine slices the snapshot finer: "live" comes with its first part, so wait for the whole page).
    await agent.page.locator('[data-coview-frame]:not([data-coview-loading])').waitFor();
    const frameEl = agent.page.locator('[data-coview-frame]');
    expect(await frameEl.getAttribute('sandbox')).toBe('allow-same-origin');
    expect(await agent.frame.locator('#products .product').count()).toBe(6);
    expect(await agent.frame.locator('#products h3').first().textContent()).toBe(await customer.page.locator('#products h3').first().textContent());
    // A person sees it: the mirror is on screen, scaled to fit the agent's window, nothing over it.
    const box = (await frameEl.boundingBox())!;
    expect(box.width).toBeGreaterThan(1000);
    expect(box.height).toBeGreaterThan(500);
    expect(box.x + box.width).toBeLessThanOrEqual(1280.5);
    expect(box.y + box.height).toBeLessThanOrEqual(800.5);
    const onTop = await agent.page.evaluate(([x, y]) => document.elementFromPoint(x!, y!)?.tagName, [box.x + box.width / 2, box.y + box.height / 2]);
    expect(onTop).toBe('IFRAME');
    // Text marked data-coview-mask is masked before it leaves the customer's device.
    expect(await agent.frame.locator('[data-coview-mask]').textContent()).not.toContain('12345');
    // The widget's own UI is never part of the mirror.
    expect(await agent.frame.locator('[data-coview-widget]').count()).toBe(0);

    // The cart updates on the agent's screen.
    await customer.page.locator('.add-to-cart').nth(0).click();
    await customer.page.locator('.add-to-cart').nth(1).click();
    await eventually(text(agent.frame.locator('#cart-count')), (t) => t === '2');
    await eventually(text(agent.frame.locator('#cart-total')), (t) => t === '$288.00');
    expect(await agent.frame.locator('#cart-items li').count()).toBe(2);

    // Typing in the name field shows up; the password never does.
    await customer.page.locator('#name').fill('Ada Lovelace');
    await customer.page.locator('#password').fill('hunter2-secret');
    await eventually(() => agent.frame.locator('#name').inputValue(), (v) => v === 'Ada Lovelace');
    const mirroredPassword = await eventually(() => agent.frame.locator('#password').inputValue(), (v) => v !== '');
    expect(mirroredPassword).not.toContain('hunter2');
    expect(await agent.frame.locator('#csrf').getAttribute('value')).not.toContain('SECRET');

    // Checkbox and select state.
    await customer.page.locator('#newsletter').check();
    await customer.page.locator('#shipping').selectOption('express');
    await eventually(() => agent.frame.locator('#newsletter').isChecked(), (v) => v === true);
    await eventually(() => agent.frame.locator('#shipping').inputValue(), (v) => v === 'express');

    // Scrolling shows up.
    await customer.page.evaluate(() => window.scrollTo(0, 700));
    await eventually(() => agent.inMirror((_doc, win) => win.scrollY), (y) => Math.abs(y - 700) < 2);

    // The customer's pointer is drawn over the mirror.
    await customer.page.mouse.move(400, 300);
    await eventually(
      () => agent.page.locator('.coview-host-pointer').evaluate((el: HTMLElement) => el.style.display !== 'none' && el.style.transform),
      (t) => t === 'translate(400px, 300px)',
    );

    // Stop sharing ends both sides; the agent's view freezes instead of going blank.
    await customer.button('Stop sharing').click();
    await agent.waitForState('ended');
    expect(await agent.page.locator('html').getAttribute('data-coview-reason')).toBe('stopped');
    expect(await agent.statusText()).toContain('Session ended');
    expect(await customer.state()).toBe('idle');
    await customer.page.locator('.add-to-cart').nth(2).click();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await agent.frame.locator('#cart-count').textContent()).toBe('2');
  });

  it('the agent leaving ends sharing on the customer side', async () => {
    const { customer, agent } = await people();
    await customer.page.evaluate(() => window.Coview!.start({ onJoinRequest: () => true }));
    const code = await customer.widget.locator('[data-coview-code]').textContent();
    await agent.join(code!);
    await agent.waitForState('live');
    await customer.waitForState('sharing');

    await agent.page.getByRole('button', { name: 'Leave' }).click();
    await agent.waitForState('ended');
    expect(await agent.page.locator('html').getAttribute('data-coview-reason')).toBe('left');
    await customer.waitForState('waiting');
    expect(await customer.text()).toContain('Alex left');
  });

  it('a wrong code gives the agent a clear error', async () => {
    const { agent } = await people();
    await agent.join('000-000-000');
    await agent.waitForState('error');
    const alert = await agent.page.getByRole('alert').innerText();
    expect(alert).toContain('No active session has the code 000-000-000');

    await agent.join('12345');
    await eventually(() => agent.page.getByRole('alert').innerText(), (t) => t.includes("doesn't look like a share code"));
  });

  it('a customer who denies leaves the agent with "declined" and shows nothing', async () => {
    const { customer, agent } = await people();
    const code = await customer.shareScreen();
    await agent.join(code);
    await customer.button('Deny').click();
    await agent.waitForState('ended');
    expect(await agent.page.locator('html').getAttribute('data-coview-reason')).toBe('declined');
    expect(await agent.statusText()).toContain('declined');
    expect(await agent.page.locator('[data-coview-frame]').count()).toBe(0);
    expect(await customer.state()).toBe('waiting');
  });

  it('opening /join#CODE joins straight away', async () => {
    const { customer } = await people();
    const { code } = await customer.page.evaluate(() => window.Coview!.start({ onJoinRequest: () => true }));
    const agent = await AgentPage.open(await h.person(), `${h.server.url}/join#${code}`);
    await agent.waitForState('live');
    await agent.page.locator('[data-coview-frame]:not([data-coview-loading])').waitFor();
    expect(await agent.frame.locator('#products .product').count()).toBe(6);
    await customer.page.evaluate(() => window.Coview!.stop());
    await agent.waitForState('ended');
  });
});
