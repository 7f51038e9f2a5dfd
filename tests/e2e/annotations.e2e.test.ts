import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { overlaps, type Box } from './cross-browser.js';
import { eventually } from './pages.js';
import { useHarness } from './harness.js';

const h = useHarness();

/** A live session on the control playground; the customer's window is smaller than the agent's. */
async function session() {
  const { customer, agent } = await h.liveSession('control.html', { customerViewport: { width: 900, height: 650 } });
  await customer.waitForState('sharing');
  return { customer, agent };
}


/** Where an element of the mirror is on the agent's screen (the mirror is scaled to fit). */
function mirrorBox(page: Page, selector: string): Promise<Box> {
  return page.evaluate((sel) => {
    const frame = document.querySelector<HTMLIFrameElement>('[data-coview-frame]')!;
    const outer = frame.getBoundingClientRect();
    const scale = outer.width / frame.offsetWidth;
    const inner = frame.contentDocument!.querySelector(sel)!.getBoundingClientRect();
    return { x: outer.x + inner.x * scale, y: outer.y + inner.y * scale, width: inner.width * scale, height: inner.height * scale };
  }, selector);
}

/**
 * A mouse drag through real browser input. Playwright's own mouse.move with a button held waits on
 * its drag-and-drop probe, which cannot run inside the script-less mirror, so this goes straight to CDP.
 */
async function drag(page: Page, points: { x: number; y: number }[]): Promise<void> {
  const cdp = await page.context().newCDPSession(page);
  const send = (type: 'mousePressed' | 'mouseMoved' | 'mouseReleased', { x, y }: { x: number; y: number }) =>
    cdp.send('Input.dispatchMouseEvent', { type, x, y, button: 'left', buttons: type === 'mouseReleased' ? 0 : 1, clickCount: 1 });
  await send('mouseMoved', points[0]!);
  await send('mousePressed', points[0]!);
  for (const point of points.slice(1)) await send('mouseMoved', point);
  await send('mouseReleased', points.at(-1)!);
  await cdp.detach();
}

describe('pointing and drawing', () => {
  it('the agent draws on the customer’s page: both see the stroke on the same content, also after scrolling, and it fades', async () => {
    const { customer, agent } = await session();
    await agent.page.getByRole('button', { name: 'Draw' }).click();

    // A stroke across the red "Draw here" box in the agent's view.
    const target = await mirrorBox(agent.page, '#target');
    const points = Array.from({ length: 11 }, (_, i) => ({ x: target.x + 10 + (i * (target.width - 20)) / 10, y: target.y + target.height / 2 + (i % 2 ? 8 : -8) }));
    await drag(agent.page, points);

    // The customer sees it over the same box.
    const hostStroke = customer.widget.locator('.ink path');
    await hostStroke.waitFor({ state: 'attached' });
    await eventually(() => hostStroke.getAttribute('d').then((d) => (d?.match(/L/g) ?? []).length), (n) => n >= 8);
    const hostTarget = () => customer.page.locator('#target').boundingBox().then((b) => b!);
    const hostInk = () => hostStroke.boundingBox().then((b) => b!);
    expect(overlaps(await hostInk(), await hostTarget())).toBe(true);
    expect((await hostInk()).width).toBeGreaterThan((await hostTarget()).width * 0.6);

    // The customer scrolls: the stroke moves with the content, on both screens.
    await customer.page.evaluate(() => scrollTo(0, 200));
    await eventually(() => agent.inMirror((_doc, win) => win.scrollY), (y) => Math.abs(y - 200) < 2);
    await eventually(async () => overlaps(await hostInk(), await hostTarget()) && (await hostTarget()).y < 400, (ok) => ok);
    const agentInk = () => agent.page.locator('.coview-agent-ink path').boundingBox().then((b) => b!);
    await eventually(async () => overlaps(await agentInk(), await mirrorBox(agent.page, '#target')), (ok) => ok);

    // Strokes fade on their own a few seconds later, on both screens.
    await hostStroke.waitFor({ state: 'detached', timeout: 6_000 });
    await agent.page.locator('.coview-agent-ink path').waitFor({ state: 'detached', timeout: 6_000 });
  });

  it('the agent’s pointer and “look here” ripple appear on the customer’s page at the same content', async () => {
    const { customer, agent } = await session();
    const target = await mirrorBox(agent.page, '#target');
    await agent.page.mouse.move(target.x + target.width / 2, target.y + target.height / 2);
    const cursor = customer.widget.locator('.agent-cursor');
    await eventually(() => cursor.isVisible(), (v) => v);
    expect(await cursor.innerText()).toBe('Alex');
    const tip = () => cursor.locator('svg').boundingBox().then((b) => ({ x: b!.x, y: b!.y, width: 2, height: 2 }));
    await eventually(async () => overlaps(await tip(), (await customer.page.locator('#target').boundingBox())!), (ok) => ok);

    // Pressed where the target is on the agent's screen now: the mirror may have been rescaled
    // since it was measured (a late viewport message), which moves the target under a still mouse.
    const now = await mirrorBox(agent.page, '#target');
    await agent.page.mouse.move(now.x + now.width / 2, now.y + now.height / 2);
    await agent.page.mouse.down();
    await agent.page.mouse.up();
    // The ripple lives for a moment only: read its box as soon as it is there.
    const ripple = customer.widget.locator('.laser').first();
    const targetBox = (await customer.page.locator('#target').boundingBox())!;
    const rippleBox = await ripple.evaluate((el) => {
      const r = el.getBoundingClientRect();
      return { x: r.x, y: r.y, width: r.width, height: r.height };
    });
    expect(overlaps(rippleBox, targetBox), `ripple ${JSON.stringify(rippleBox)}, target ${JSON.stringify(targetBox)}, mirror target before ${JSON.stringify(target)} and when pressed ${JSON.stringify(now)}`).toBe(true);

    // Leaving the mirror hides the agent's pointer on the customer's page.
    await agent.page.mouse.move(5, 5);
    await eventually(() => cursor.isVisible(), (v) => !v);
  });
});
