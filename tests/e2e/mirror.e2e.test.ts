import { describe, expect, it } from 'vitest';
import type { BrowserContext } from 'playwright-core';
import { domSignature, firstDifference } from '../support/dom-signature.js';
import { SESSION_COOKIE } from '../support/fixture-server.js';
import { readWire } from '../support/wire.js';
import { useHarness } from './harness.js';
import { eventually, type AgentPage } from './pages.js';

const h = useHarness();

/** The computed value of a CSS property of an element in the agent's mirror (`frames`: iframe ids to descend). */
function agentStyle(agent: AgentPage, selector: string, property: string): Promise<string> {
  return agent.frame.locator(selector).evaluate((el, prop) => getComputedStyle(el).getPropertyValue(prop), property);
}

describe('styles on the agent', () => {
  it('CSS-in-JS rules, adopted sheets, style edits, late <link>s, media queries and :hover look as on the customer page', async () => {
    const { customer, agent } = await h.liveSession('styles.html', { customerViewport: { width: 1000, height: 700 } });
    const hostStyle = (selector: string, property: string) => customer.page.locator(selector).evaluate((el, prop) => getComputedStyle(el).getPropertyValue(prop), property);

    // var() in shorthands, partly overridden by a longhand: borders, padding and accents are kept.
    for (const [selector, property] of [
      ['#var-border', 'border-top-color'],
      ['#var-border', 'border-top-width'],
      ['#var-border', 'border-right-style'],
      ['#var-border', 'border-left-style'],
      ['#var-adopted', 'padding-top'],
      ['#var-adopted', 'padding-left'],
      ['#var-adopted', 'border-bottom-color'],
      ['#var-adopted', 'border-bottom-style'],
      ['#var-style', 'margin-bottom'],
      ['#var-style', 'margin-top'],
      ['#var-style', 'border-left-color'],
      ['#var-style', 'border-left-style'],
    ] as const) {
      const value = await hostStyle(selector, property);
      expect(['rgb(0, 0, 0)', '0px', 'none', ''], `${selector} ${property} on the customer's page`).not.toContain(value);
      expect(await agentStyle(agent, selector, property), `${selector} ${property}`).toBe(value);
    }

    // Present when the agent joined.
    for (const [selector, color] of [['#plain-text', 'rgb(0, 0, 255)'], ['#cij-text', 'rgb(200, 0, 0)'], ['#adopted-text', 'rgb(0, 150, 150)'], ['#media-text', 'rgb(128, 0, 128)']] as const) {
      expect(await hostStyle(selector, 'color')).toBe(color);
      expect(await agentStyle(agent, selector, 'color'), selector).toBe(color);
    }

    // Changed while the agent watches, none of them a DOM mutation except the text edit and the link.
    await customer.page.evaluate(() => {
      const r = (window as unknown as { restyle: Record<string, () => void> }).restyle;
      r.insertLater!();
      r.changeAdopted!();
      r.editPlainText!();
      r.addLink!();
    });
    const expected: [string, string, string][] = [
      ['#late-cij-text', 'color', 'rgb(10, 20, 30)'],
      ['#adopted-text', 'color', 'rgb(90, 60, 30)'],
      ['#plain-text', 'color', 'rgb(255, 0, 255)'],
      ['#link-text', 'color', 'rgb(1, 2, 3)'],
      ['#link-text', 'letter-spacing', '3px'],
    ];
    for (const [selector, property, value] of expected) {
      expect(await hostStyle(selector, property)).toBe(value);
      await eventually(() => agentStyle(agent, selector, property), (v) => v === value, 5_000);
    }

    // The customer's window narrows past a breakpoint: the agent's copy follows the customer's width.
    await customer.page.setViewportSize({ width: 500, height: 700 });
    expect(await hostStyle('#media-text', 'color')).toBe('rgb(0, 128, 0)');
    await eventually(() => agentStyle(agent, '#media-text', 'color'), (v) => v === 'rgb(0, 128, 0)', 5_000);

    // The element under the customer's pointer shows its :hover style to the agent.
    expect(await agentStyle(agent, '#hover-target', 'background-color')).toBe('rgb(255, 255, 255)');
    await customer.page.locator('#hover-target').hover();
    await eventually(() => agentStyle(agent, '#hover-target', 'background-color'), (v) => v === 'rgb(255, 200, 0)', 5_000);
    // The page rewrites the hovered element's class: it is still under the pointer.
    await customer.page.evaluate(() => (document.getElementById('hover-target')!.className = 'rewritten'));
    await eventually(() => agent.frame.locator('#hover-target').getAttribute('class'), (c) => c?.split(' ').includes('rewritten') ?? false, 5_000);
    expect(await agentStyle(agent, '#hover-target', 'background-color')).toBe('rgb(255, 200, 0)');
    await customer.page.mouse.move(5, 5);
    await eventually(() => agentStyle(agent, '#hover-target', 'background-color'), (v) => v === 'rgb(255, 255, 255)', 5_000);
  });
});

describe('where the customer is', () => {
  it('the element under a pointer that rests there since before sharing shows :hover from the first frame', async () => {
    const { agent } = await h.liveSession('styles.html', {
      customerViewport: { width: 1000, height: 700 },
      beforeJoin: async (c) => c.page.locator('#hover-target').hover(),
    });
    expect(await agentStyle(agent, '#hover-target', 'background-color')).toBe('rgb(255, 200, 0)');
  });

  it('the field the customer is typing in and the text they select show on the agent', async () => {
    const { customer, agent } = await h.liveSession('secrets.html');
    await customer.page.locator('#username').focus();
    await eventually(() => agent.frame.locator('[data-coview-focus]').getAttribute('id'), (id) => id === 'username', 5_000);
    // The agent sees a visible outline around it.
    expect(await agentStyle(agent, '#username', 'outline-style')).toBe('solid');

    const selected = await customer.page.evaluate(() => {
      const text = document.querySelector('h1')!.firstChild!;
      getSelection()!.setBaseAndExtent(text, 0, text, 6);
      return getSelection()!.toString();
    });
    expect(selected.length).toBe(6);
    await eventually(() => agent.inMirror((doc) => doc.getSelection()?.toString() ?? ''), (t) => t === selected, 5_000);
  });
});

describe('components, frames, canvas and media on the agent', () => {
  it('open shadow roots and web components are mirrored with their styles and changes', async () => {
    const { customer, agent } = await h.liveSession('components.html');
    const call = (fn: string, ...args: string[]) => customer.page.evaluate(([f, a]) => (window as unknown as { components: Record<string, (...x: string[]) => void> }).components[f]!(...a), [fn, args] as const);

    expect(await agent.frame.locator('#tag1 .amount').textContent()).toBe('42 €');
    expect(await agentStyle(agent, '#tag1 .amount', 'color')).toBe('rgb(0, 100, 0)');

    await call('setAmount', 'tag1', '99');
    await call('addTag', '7');
    await call('shadowLater');
    await eventually(() => agent.frame.locator('#tag1 .amount').textContent(), (t) => t === '99 €', 5_000);
    await eventually(() => agent.frame.locator('#tag2 .amount').textContent(), (t) => t === '7 €', 5_000);
    await eventually(() => agent.frame.locator('#late-shadow').count(), (n) => n === 1, 5_000);
    expect(await agent.frame.locator('#late-shadow').textContent()).toBe('Attached after sharing');
  });

  it('one constructed sheet shared by many shadow roots travels once, and an edit to it restyles every copy', async () => {
    const { customer, agent } = await h.liveSession('components.html', { recordWire: true });
    const badges = ['#badge1', '#badge2', '#badge3'];
    for (const badge of badges) expect(await agentStyle(agent, `${badge} .badge`, 'color'), badge).toBe('rgb(0, 0, 139)');
    const textSent = async (color: string) => (await readWire(customer.page)).messages.filter((m) => m.includes(color)).length;
    // Three roots adopt it: its text went out in one message, the roots name it.
    expect(await textSent('rgb(0, 0, 139)')).toBe(1);

    await customer.page.evaluate(() => (window as unknown as { components: Record<string, () => void> }).components.restyleBadges!());
    for (const badge of badges) await eventually(() => agentStyle(agent, `${badge} .badge`, 'color'), (c) => c === 'rgb(139, 0, 0)', 5_000);
    expect(await textSent('rgb(139, 0, 0)')).toBe(1);
    // A component added later adopts the sheet the agent already has, with its edited text.
    await customer.page.evaluate(() => (window as unknown as { components: Record<string, () => void> }).components.addBadge!());
    await eventually(() => agentStyle(agent, '#badge4 .badge', 'color'), (c) => c === 'rgb(139, 0, 0)', 5_000);
    expect(await textSent('rgb(139, 0, 0)')).toBe(1);
  });

  it('same-origin frames, nested, are mirrored with their changes and typing', async () => {
    const { customer, agent } = await h.liveSession('components.html');
    const outer = agent.frame.frameLocator('#outer-frame');
    await eventually(() => outer.locator('#outer-text').textContent(), (t) => t === 'Inside the outer frame', 5_000);
    await eventually(() => outer.frameLocator('#inner-frame').locator('#inner-text').textContent(), (t) => t === 'Inside the nested frame', 5_000);

    const customerOuter = customer.page.frameLocator('#outer-frame');
    await customer.page.evaluate(() => {
      const doc = (document.getElementById('outer-frame') as HTMLIFrameElement).contentDocument!;
      doc.getElementById('outer-text')!.textContent = 'Changed inside the frame';
    });
    await customerOuter.locator('#outer-input').fill('typed in a frame');
    await eventually(() => outer.locator('#outer-text').textContent(), (t) => t === 'Changed inside the frame', 5_000);
    await eventually(() => outer.locator('#outer-input').inputValue(), (v) => v === 'typed in a frame', 5_000);
  });

  it('a canvas shows on the agent and follows what the customer draws; audio play state follows too', async () => {
    const { customer, agent } = await h.liveSession('components.html');
    const agentPixel = () => agent.frame.locator('#chart').evaluate((c: HTMLCanvasElement) => Array.from(c.getContext('2d')!.getImageData(60, 40, 1, 1).data.slice(0, 3)));
    // Frames travel as lossy WebP: colours within a few steps.
    const near = (expected: number[]) => (pixel: number[]) => pixel.every((v, i) => Math.abs(v - expected[i]!) <= 8);
    await eventually(agentPixel, near([255, 0, 0]), 5_000);
    await customer.page.evaluate(() => (window as unknown as { components: { paint(c: string): void } }).components.paint('rgb(0, 0, 255)'));
    await eventually(agentPixel, near([0, 0, 255]), 5_000);

    const agentAudio = () => agent.frame.locator('#sound').evaluate((a: HTMLAudioElement) => ({ paused: a.paused, time: a.currentTime }));
    expect((await agentAudio()).paused).toBe(true);
    await customer.page.evaluate(() => (window as unknown as { components: { play(): Promise<void> } }).components.play());
    await eventually(agentAudio, (a) => !a.paused, 5_000);
    await new Promise((resolve) => setTimeout(resolve, 700));
    const hostTime = await customer.page.evaluate(() => {
      const audio = document.getElementById('sound') as HTMLAudioElement;
      audio.pause();
      return audio.currentTime;
    });
    await eventually(agentAudio, (a) => a.paused && Math.abs(a.time - hostTime) < 0.5, 5_000);
  });
});

describe('private assets', () => {
  const logIn = (context: BrowserContext) => context.addCookies([{ ...SESSION_COOKIE, url: h.fixtures.url }]);

  it('an image that only the logged-in customer can load is sent over the channel and shown to the agent', async () => {
    let agentContext: BrowserContext | null = null;
    const { customer, agent } = await h.liveSession('private-assets.html', { prepareCustomer: logIn, prepareAgent: async (c) => void (agentContext = c) });

    // The agent's browser really cannot load it itself.
    expect((await agentContext!.request.get(`${h.fixtures.url}/private/photo.png`)).status()).toBe(403);
    expect(await customer.page.locator('#avatar').evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(48);
    await eventually(() => agent.frame.locator('#avatar').evaluate((img: HTMLImageElement) => [img.naturalWidth, img.src.slice(0, 5)].join(' ')), (v) => v === '48 blob:', 20_000);
  });

  // Parts of one node end between a <style> and its text on every snapshot: that boundary once
  // left two @font-face rules for the family on the agent's side, one of them never loaded.
  it.each([
    ['sliced by time', {}],
    ['sent one node a part', { snapshotSliceNodes: 1 }],
  ])('a web font that only the logged-in customer can load is sent over the channel and shown to the agent (%s)', async (_name, startOptions) => {
    const { customer, agent } = await h.liveSession('private-assets.html', { prepareCustomer: logIn, startOptions });
    const fontState = () =>
      agent.inMirror((doc) => ({
        loaded: doc.fonts.check('24px PrivateSans') && [...doc.fonts].some((f) => f.family.replace(/"/g, '') === 'PrivateSans' && f.status === 'loaded'),
        faces: [...doc.fonts].map((f) => `${f.family} ${f.status}`),
        sheet: doc.querySelector('style')?.textContent ?? '',
      }));
    // Fetched by the customer's browser, sent, cached and swapped in: seconds on a busy machine.
    const state = await eventually(fontState, (s) => s.loaded, 20_000).catch(fontState);
    expect(state.loaded, JSON.stringify(state)).toBe(true);
    // One rule for the family, as on the customer's page: the sheet's text is not doubled.
    expect(state.faces).toEqual(['PrivateSans loaded']);
    expect(state.sheet.match(/@font-face/g)).toHaveLength(1);
    // And the text is really set in it: as wide as on the customer's screen, not in the fallback font.
    const width = () => agent.frame.locator('#branded').evaluate((el) => el.getBoundingClientRect().width);
    const hostWidth = await customer.page.locator('#branded').evaluate((el) => el.getBoundingClientRect().width);
    await eventually(width, (w) => Math.abs(w - hostWidth) < 2, 5_000);
  });
});

describe('big pages and resync', () => {
  it('a 30,000-node documentation page is sent in slices and mirrored exactly', async () => {
    const { customer, agent } = await h.liveSession('docs.html?nodes=30000', { recordWire: true });
    const nodes = Number(await customer.page.locator('html').getAttribute('data-nodes'));
    expect(nodes).toBeGreaterThan(30_000);
    const expected = (await customer.page.evaluate(`(${domSignature.toString()})(document)`)) as string;
    const seen = await eventually(() => agent.inMirror(new Function('doc', `return (${domSignature.toString()})(doc)`) as (doc: Document) => string), (s) => s === expected, 10_000).catch(() => '');
    expect(seen === expected, firstDifference(expected, seen)).toBe(true);

    const { messages, bytes } = await readWire(customer.page);
    const parts = messages.filter((m) => m.startsWith('{"type":"snapshot-part"'));
    expect(parts.length).toBeGreaterThan(3);
    expect(JSON.parse(parts.at(-1)!).done).toBe(true);
    // Deflated: far fewer bytes on the wire than the JSON the agent decodes.
    const json = messages.reduce((sum, m) => sum + m.length, 0);
    expect(bytes).toBeLessThan(json / 3);
  });

  it('a customer’s browser without CompressionStream (Safari < 16.4, Chrome < 103) shares its page uncompressed, exactly', async () => {
    const { customer, agent } = await h.liveSession('docs.html?nodes=5000', {
      recordWire: true,
      prepareCustomer: async (context) => {
        await context.addInitScript(() => {
          delete (window as unknown as Record<string, unknown>).CompressionStream;
        });
      },
    });
    const expected = (await customer.page.evaluate(`(${domSignature.toString()})(document)`)) as string;
    const seen = await eventually(() => agent.inMirror(new Function('doc', `return (${domSignature.toString()})(doc)`) as (doc: Document) => string), (s) => s === expected, 10_000).catch(() => '');
    expect(seen === expected, firstDifference(expected, seen)).toBe(true);
    const { frames, messages, bytes } = await readWire(customer.page);
    // No DEFLATED (2) or STREAM (8) frame: every message as it is, and all of it read back.
    expect(frames.every((frame) => (frame.charCodeAt(0) & (2 | 8)) === 0)).toBe(true);
    expect(messages.filter((m) => m.startsWith('{"type":"snapshot-part"')).length).toBeGreaterThan(1);
    expect(messages.some((m) => m.startsWith('!undecodable'))).toBe(false);
    expect(bytes).toBeGreaterThan(messages.reduce((sum, m) => sum + m.length, 0) * 0.9);
  });

  it('the Resync button replaces a damaged view, and a lost message triggers a resync by itself', async () => {
    const { customer, agent } = await h.liveSession('mutations.html', {
      prepareAgent: async (context) => {
        await context.addInitScript(() => {
          // Lets the test lose one incoming single-frame bulk message, as a broken peer would.
          const w = window as unknown as { __dropNext: boolean; __dropped: number };
          w.__dropNext = false;
          w.__dropped = 0;
          const descriptor = Object.getOwnPropertyDescriptor(RTCDataChannel.prototype, 'onmessage')!;
          Object.defineProperty(RTCDataChannel.prototype, 'onmessage', {
            ...descriptor,
            set(this: RTCDataChannel, handler: ((event: MessageEvent) => void) | null) {
              descriptor.set!.call(
                this,
                handler &&
                  ((event: MessageEvent) => {
                    const flags = event.data instanceof ArrayBuffer ? new Uint8Array(event.data)[0]! : -1;
                    if (w.__dropNext && flags >= 0 && (flags & 5) === 0) {
                      w.__dropNext = false;
                      w.__dropped++;
                      return;
                    }
                    handler.call(this, event);
                  }),
              );
            },
          });
        });
      },
    });
    const heading = () => agent.frame.locator('h1').textContent();

    // Damaged and read back in one go: a snapshot still on its way may heal it in between.
    expect(await agent.inMirror((doc) => (doc.querySelector('h1')!.textContent = 'damaged'))).toBe('damaged');
    await agent.page.locator('[data-coview-resync]').click();
    await eventually(heading, (t) => t === 'Mutation churn', 15_000);

    await agent.page.evaluate(() => void ((window as unknown as { __dropNext: boolean }).__dropNext = true));
    await customer.page.evaluate(() => void (document.querySelector('h1')!.textContent = 'First change (lost on the way)'));
    await eventually(() => agent.page.evaluate(() => (window as unknown as { __dropped: number }).__dropped), (n) => n === 1, 15_000);
    await customer.page.evaluate(() => void (document.getElementById('s3')!.textContent = 'Second change'));
    await eventually(heading, (t) => t === 'First change (lost on the way)', 15_000);
    // The lost message may be the structure digest instead of the change: either way the view
    // heals, and a resync's snapshot may still be arriving when the second change is looked at.
    await eventually(() => agent.frame.locator('#s3').textContent(), (t) => t === 'Second change', 15_000);
  });
});
