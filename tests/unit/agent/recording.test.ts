import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assetUrls, decodeRecording, encodeRecording, fetchAssets, recordingFileName, recordingProblem, withAssets } from '../../../widget/agent/recording.js';
import type { TimelineEntry } from '../../../widget/agent/timeline.js';
import { CoviewError, NodeKind, type HostMessage } from '../../../widget/protocol/index.js';

const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');
let base = '';
const server = createServer((req, res) => {
  if (req.url === '/pixel.png') return void res.writeHead(200, { 'content-type': 'image/png', 'access-control-allow-origin': '*' }).end(PNG);
  res.writeHead(404).end();
});
beforeAll(() => new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => ((base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`), resolve()))));
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const entries = (): TimelineEntry[] => [
  { t: 1_000, message: { type: 'hello', v: 1, page: { url: 'https://shop.example/', title: 'Shop', userAgent: 'UA', language: 'en' } } },
  {
    t: 1_010,
    message: {
      type: 'snapshot',
      node: {
        id: 1,
        type: NodeKind.Document,
        childNodes: [
          { id: 2, type: NodeKind.Element, tagName: 'style', attributes: { _cssText: `.hero { background: url("${base}/pixel.png") }` } },
          { id: 3, type: NodeKind.Element, tagName: 'img', attributes: { src: `${base}/pixel.png` } },
          { id: 4, type: NodeKind.Element, tagName: 'img', attributes: { src: `${base}/missing.png` } },
        ],
      },
      viewport: { width: 800, height: 600 },
      scroll: { x: 0, y: 0 },
    },
  },
  { t: 1_020, message: { type: 'mutation', removes: [], adds: [{ parentId: 1, nextId: null, node: { id: 5, type: NodeKind.Element, tagName: 'video', attributes: { poster: `${base}/pixel.png` } } }], attributes: [], texts: [] } },
  { t: 1_030, message: { type: 'console', level: 'error', text: 'boom', stack: 'at x' } },
];

const gz = (data: unknown) => new Blob([gzipSync(JSON.stringify(data))]);
const file = (entryList: unknown[], extra: Record<string, unknown> = {}) => gz({ format: 'coview-recording', version: 1, protocol: 1, entries: entryList, ...extra });

async function refused(blob: Blob, opts?: { maxBytes?: number }): Promise<string> {
  try {
    await decodeRecording(blob, opts);
  } catch (error) {
    expect(error).toBeInstanceOf(CoviewError);
    expect((error as CoviewError).code).toBe('ERR_BAD_RECORDING');
    return (error as CoviewError).message;
  }
  throw new Error('expected the recording to be refused');
}

describe('recordings', () => {
  it('round-trip: what is saved is what opens, assets included', async () => {
    const saved = entries();
    const blob = await encodeRecording({ entries: saved, assets: { [`${base}/pixel.png`]: 'data:image/png;base64,AAAA' } });
    const bytes = new Uint8Array(await blob.arrayBuffer());
    expect([bytes[0], bytes[1]]).toEqual([0x1f, 0x8b]);
    const opened = await decodeRecording(blob);
    expect(opened.entries).toEqual(saved);
    expect(opened.assets).toEqual({ [`${base}/pixel.png`]: 'data:image/png;base64,AAAA' });
  });

  it('opens a recording of the 0.1.0 widget (protocol v1, adopted sheets sent inline)', async () => {
    const old = [...entries(), { t: 1_040, message: { type: 'adopted-styles', id: 1, sheets: ['p { margin: 0; }'] } as HostMessage }];
    expect((await decodeRecording(file(old))).entries).toEqual(old);
  });

  it('compresses a real-looking session well', async () => {
    const many: TimelineEntry[] = entries();
    for (let i = 0; i < 2_000; i++) many.push({ t: 2_000 + i, message: { type: 'pointer', x: i % 800, y: (i * 7) % 600 } });
    const json = JSON.stringify(many).length;
    const blob = await encodeRecording({ entries: many, assets: {} });
    expect(blob.size).toBeLessThan(json / 4);
  });

  it('finds the pictures a page loads, fetches the readable ones and swaps them in', async () => {
    const saved = entries();
    const urls = assetUrls(saved);
    expect(urls.sort()).toEqual([`${base}/missing.png`, `${base}/pixel.png`]);
    const assets = await fetchAssets(urls);
    expect(Object.keys(assets)).toEqual([`${base}/pixel.png`]);
    expect(assets[`${base}/pixel.png`]).toBe(`data:image/png;base64,${PNG.toString('base64')}`);

    const inlined = withAssets(saved, assets);
    const snapshot = inlined[1]!.message as Extract<HostMessage, { type: 'snapshot' }>;
    expect(snapshot.node.childNodes![0]!.attributes!._cssText).toBe(`.hero { background: url("${assets[`${base}/pixel.png`]}") }`);
    expect(snapshot.node.childNodes![1]!.attributes!.src).toMatch(/^data:image\/png/);
    expect(snapshot.node.childNodes![2]!.attributes!.src).toBe(`${base}/missing.png`);
    const mutation = inlined[2]!.message as Extract<HostMessage, { type: 'mutation' }>;
    expect(mutation.adds[0]!.node.attributes!.poster).toMatch(/^data:image\/png/);
    // The live timeline is not touched.
    expect((saved[1]!.message as Extract<HostMessage, { type: 'snapshot' }>).node.childNodes![1]!.attributes!.src).toBe(`${base}/pixel.png`);
  });

  it.each([
    ['plain text', async () => new Blob(['just some notes'])],
    ['gzip of something that is not JSON', async () => new Blob([gzipSync('not json')])],
    ['another JSON file', async () => gz({ hello: 'world' })],
    ['a newer format version', async () => gz({ format: 'coview-recording', version: 2, protocol: 1, entries: [] })],
    ['another protocol version', async () => gz({ format: 'coview-recording', version: 1, protocol: 99, entries: [] })],
    ['no events', async () => gz({ format: 'coview-recording', version: 1, protocol: 1 })],
    ['no snapshot', async () => file([{ t: 1, message: { type: 'pointer', x: 1, y: 1 } }])],
    ['times going backwards', async () => file(entries().reverse())],
    ['a time that is not a number', async () => file([{ t: '1', message: { type: 'pointer', x: 1, y: 1 } }])],
    ['an asset that is not a data: URL', async () => file(entries(), { assets: { 'https://a/x.png': 'javascript:alert(1)' } })],
  ])('refuses %s with a clear error', async (_what, make) => {
    expect(await refused(await make())).toMatch(/^This file can't be opened as a Coview recording: .+\.$/);
  });

  it('names the bad field of a message the protocol refuses', async () => {
    const bad = entries();
    bad.push({ t: 2_000, message: { type: 'click', x: 'left', y: 1 } as unknown as HostMessage });
    expect(await refused(file(bad))).toContain('entries[4].message.x');
    // The join page words the sentence in the agent's language and adds just this part.
    const error = await decodeRecording(file(bad)).catch((e: unknown) => e as CoviewError);
    expect(recordingProblem(error as CoviewError)).toMatch(/^entries\[4\]\.message\.x/);
    expect(recordingProblem(new CoviewError('ERR_PEER', 'x'))).toBeNull();
  });

  it('stops inflating a zip bomb at the limit', async () => {
    const bomb = new Blob([gzipSync(Buffer.alloc(4 * 1024 * 1024, 0x20))]);
    expect(bomb.size).toBeLessThan(10 * 1024);
    expect(await refused(bomb, { maxBytes: 1024 * 1024 })).toContain('inflates to more than 1 MiB');
  });

  it('names downloads by date', () => {
    expect(recordingFileName(new Date(2024, 4, 1, 9, 5))).toBe('coview-2024-05-01-0905.coview');
  });
});
