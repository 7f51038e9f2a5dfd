import type { BrowserContext, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { SESSION_COOKIE, SIGNED_TOKEN } from '../support/fixture-server.js';
import { recordWire, readWire } from '../support/wire.js';
import { eventually } from './pages.js';
import { useHarness } from './harness.js';

const h = useHarness();

/** The agent's page keeps a handle on its data channel, to write raw frames on it (a hostile agent). */
async function keepChannel(context: BrowserContext): Promise<void> {
  await context.addInitScript(() => {
    const send = RTCDataChannel.prototype.send;
    RTCDataChannel.prototype.send = function (this: RTCDataChannel, data: never) {
      (window as unknown as { __channel: RTCDataChannel }).__channel = this;
      return send.call(this, data);
    };
  });
}

/** Agent → customer frames: flags 0 (one frame, not deflated), a sequence number, the JSON. */
async function forge(page: Page, messages: object[], first: number): Promise<void> {
  await page.evaluate(
    ([texts, seq]) => {
      const channel = (window as unknown as { __channel: RTCDataChannel }).__channel;
      texts.forEach((text, i) => {
        const bytes = new TextEncoder().encode(text);
        const frame = new Uint8Array(bytes.length + 5);
        new DataView(frame.buffer).setUint32(1, seq + i);
        frame.set(bytes, 5);
        channel.send(frame);
      });
    },
    [messages.map((m) => JSON.stringify(m)), first] as const,
  );
}

describe('privacy on every path', () => {
  for (const [name, startOptions] of [
    ['blockSelector', { blockSelector: '#avatar' }],
    ['private mode', { privateByDefault: true }],
  ] as const) {
    it(`the asset channel never serves a picture the rule does not show (${name}), even when a hostile agent asks for its URL`, async () => {
      const logIn = (context: BrowserContext) => context.addCookies([{ ...SESSION_COOKIE, url: h.fixtures.url }]);
      let agentPage: Page | null = null;
      const { customer, agent } = await h.liveSession('private-assets.html', { recordWire: true, prepareCustomer: logIn, prepareAgent: keepChannel, startOptions });
      agentPage = agent.page;
      const url = `${h.fixtures.url}/private/photo.png`;
      expect(await customer.page.locator('#avatar').evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(48);
      await forge(agentPage, [{ type: 'asset-request', url }], 5_000);
      const answers = () => readWire(customer.page).then((wire) => wire.messages.filter((m) => m.includes(url) && /"type":"asset(-missing)?"/.test(m)));
      const seen = await eventually(answers, (list) => list.length > 0, 10_000);
      expect(seen.every((m) => m.startsWith('{"type":"asset-missing"'))).toBe(true);
      // The agent's copy is a same-size empty box without an address.
      expect(await agent.frame.locator('img').first().evaluate((img) => [img.getAttribute('src'), (img as HTMLElement).style.width])).toEqual([null, '48px']);
    });
  }

  it('a picture whose URL carries a secret shows on the agent over the asset channel, the secret never on the wire; a ?w=200 picture loads directly', async () => {
    const agentRequests: string[] = [];
    const { customer, agent } = await h.liveSession('signed-assets.html', {
      recordWire: true,
      prepareAgent: async (context) => {
        await recordWire(context);
        context.on('request', (request) => void agentRequests.push(request.url()));
      },
    });
    expect(await customer.page.locator('#signed').evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(48);
    const base = h.fixtures.url;

    // The resized picture keeps its size parameter (a resource), and the agent's browser loads it itself;
    // the same URL as a link loses every query value.
    const sized = () => agent.frame.locator('#sized').evaluate((img: HTMLImageElement) => [img.getAttribute('src'), img.naturalWidth]);
    await eventually(sized, ([src, width]) => src === `${base}/media/photo.png?w=200` && width === 48, 20_000);
    expect(await agent.frame.locator('#sized-link').getAttribute('href')).toBe(`${base}/media/photo.png?w=[redacted]`);

    // The signed one arrives redacted, is asked for at once, and is shown from the customer's bytes.
    const signed = () => agent.frame.locator('#signed').evaluate((img: HTMLImageElement) => [img.src.slice(0, 5), img.naturalWidth].join(' '));
    await eventually(signed, (v) => v === 'blob: 48', 20_000);

    // The font behind a signed URL was pushed up front under its wire URL, which the agent's stylesheet names.
    const fontUrl = `${base}/signed/open-sans.woff2?token=[redacted]&v=3`;
    const wire = () => readWire(customer.page).then((record) => record.messages);
    const messages = await eventually(wire, (list) => list.some((m) => m.startsWith('{"type":"asset"') && m.includes(JSON.stringify(fontUrl))), 20_000);
    await eventually(
      () => agent.inMirror((doc) => Array.from(doc.querySelectorAll('style')).some((style) => /SignedSans[^}]*url\(["']?blob:/.test(style.textContent ?? ''))),
      (rewritten) => rewritten === true,
      20_000,
    );

    // Nowhere the token: not in what the customer's page sent, not in what the agent sent, not in a request the agent's browser made.
    const agentWire = await readWire(agent.page);
    expect(messages.filter((m) => m.includes(SIGNED_TOKEN))).toEqual([]);
    expect(agentWire.messages.filter((m) => m.includes(SIGNED_TOKEN))).toEqual([]);
    expect(agentRequests.filter((url) => url.includes(SIGNED_TOKEN))).toEqual([]);
    // The agent asked for the redacted picture by its wire URL.
    expect(agentWire.messages.some((m) => m.includes('"type":"asset-request"') && m.includes(`${base}/signed/photo.png?token=[redacted]&w=48`))).toBe(true);
  });

  it('in a real page: masked shadow trees and frames, blocked canvases, agent-side iframe src changes (loopback through the real channel code)', async () => {
    const page = await (await h.browser.newContext()).newPage();
    await page.goto(`${h.fixtures.url}/privacy-fuzz.html?reset_token=CNRYurl`);
    const result = await page.evaluate(async () => {
      const root = document.getElementById('pages')!;
      root.innerHTML = `
        <a id="top-link" href="#main">top</a>
        <div id="masked-host" data-coview-mask></div>
        <section class="pii"><iframe id="masked-frame" srcdoc="<p id=inner>CNRYframe text</p><input id=inner-field value=CNRYframevalue>"></iframe></section>
        <div data-coview-block><canvas id="blocked-canvas" width="40" height="20"></canvas></div>
        <iframe id="plain-frame" srcdoc="<p>plain</p>"></iframe>`;
      const shadow = document.getElementById('masked-host')!.attachShadow({ mode: 'open' });
      shadow.innerHTML = '<p id="in-shadow" title="CNRYshadowtitle">CNRYshadow text</p>CNRYshadowroottext<input id="shadow-field" value="CNRYshadowvalue">';
      await new Promise((resolve) => setTimeout(resolve, 300));
      const stage = document.createElement('div');
      stage.id = 'stage';
      document.body.append(stage);
      type Loop = { complete: Promise<void>; flush(): void; stop(): void; wire: string[]; mirror(): Document };
      const loop = (window as unknown as { CoviewLoopback: { start(stage: HTMLElement, options: object): Loop } }).CoviewLoopback.start(stage, { privacy: { maskSelector: '.pii' } });
      await loop.complete;
      const canvas = document.getElementById('blocked-canvas') as HTMLCanvasElement;
      canvas.getContext('2d')!.fillRect(0, 0, 40, 20);
      // Later: a node in the masked shadow root, a frame src pointing at another document.
      shadow.append(Object.assign(document.createElement('b'), { textContent: 'CNRYlate shadow' }));
      document.getElementById('plain-frame')!.setAttribute('src', 'https://third-party.example/tracker.html');
      // Two canvas rounds (500 ms each).
      await new Promise((resolve) => setTimeout(resolve, 1_200));
      loop.flush();
      const mirror = loop.mirror();
      const mirroredShadow = mirror.getElementById('masked-host')?.shadowRoot;
      const frameDoc = (mirror.getElementById('masked-frame') as HTMLIFrameElement | null)?.contentDocument;
      const out = {
        wire: loop.wire.join('\n'),
        shadowText: mirroredShadow?.textContent ?? '(no shadow root)',
        frameText: frameDoc?.body?.textContent ?? '(no frame document)',
        plainFrameSrc: mirror.getElementById('plain-frame')?.getAttribute('src') ?? null,
        topLink: mirror.getElementById('top-link')?.getAttribute('href') ?? null,
        canvasMessages: loop.wire.filter((m) => m.startsWith('{"type":"canvas"')).length,
      };
      loop.stop();
      return out;
    });
    expect(result.wire.match(/CNRY\w+/g) ?? []).toEqual([]);
    expect(result.shadowText).toMatch(/^[•\s]+$/);
    expect(result.frameText).toMatch(/^[•\s]+$/);
    expect(result.canvasMessages).toBe(0);
    expect(result.plainFrameSrc).toBeNull();
    expect(result.topLink).toMatch(/privacy-fuzz\.html\?reset_token=%5Bredacted%5D#main$|privacy-fuzz\.html\?reset_token=\[redacted\]#main$/);
  });
});
