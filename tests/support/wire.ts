import type { BrowserContext } from 'playwright-core';
import { FramedChannel } from '../../widget/transport/channel.js';
import { fflateReader } from '../../widget/transport/inflate.js';

/**
 * What the canary page's fields get typed (canary.html): a card number, a security code, one-time
 * and password fields, masked fields, and one plain field whose text must show (`visible-typed`).
 */
export const CANARY_TYPING: readonly (readonly [selector: string, text: string])[] = [
  ['#card', '4111111111111111'],
  ['#csc', 'CANARY-csc'],
  ['#otp', 'CANARY-otp'],
  ['#current', 'CANARY-current'],
  ['#newpw', 'CANARY-new'],
  ['#masked-input', 'CANARY-typed-masked'],
  ['#masked-notes', 'CANARY-typed-notes'],
  ['#react-masked', 'CANARY-typed-react'],
  ['#plain', 'visible-typed'],
];

/** What a page put on its data channels: every message as readable JSON text, and the bytes sent. */
export interface WireRecord {
  /** One entry per message, reassembled from its frames and inflated: what the peer decodes. */
  messages: string[];
  /** Every frame exactly as sent (before DTLS), as Latin-1 text, for searching raw bytes too. */
  frames: string[];
  bytes: number;
}

/**
 * Records, in every page of `context`, each data-channel send as the network would see it before
 * DTLS; read it back with `readWire(page)`.
 */
export async function recordWire(context: BrowserContext): Promise<void> {
  await context.addInitScript(wireRecorder);
}

/** The init script of `recordWire`, for any driver that can run a script before the page's own. */
export function wireRecorder(): void {
  // Which data channel each frame went on: a channel's deflate stream is read on its own.
  const record: { frames: string[]; channels: number[]; bytes: number } = { frames: [], channels: [], bytes: 0 };
  const channelIds = new WeakMap<RTCDataChannel, number>();
  let channelCount = 0;
  (window as unknown as { __wire: typeof record }).__wire = record;
  const send = RTCDataChannel.prototype.send;
  RTCDataChannel.prototype.send = function (this: RTCDataChannel, data: string | Blob | ArrayBuffer | ArrayBufferView) {
    const bytes =
      typeof data === 'string'
        ? new TextEncoder().encode(data)
        : ArrayBuffer.isView(data)
          ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
          : data instanceof ArrayBuffer
            ? new Uint8Array(data)
            : new Uint8Array();
    let latin1 = '';
    for (let i = 0; i < bytes.length; i += 8192) latin1 += String.fromCharCode(...bytes.subarray(i, i + 8192));
    if (!channelIds.has(this)) channelIds.set(this, channelCount++);
    record.frames.push(latin1);
    record.channels.push(channelIds.get(this)!);
    record.bytes += bytes.length;
    return send.call(this, data as never);
  };
}

export async function readWire(page: { evaluate<R>(fn: () => R): Promise<R> }): Promise<WireRecord> {
  const { frames, channels, bytes } = await page.evaluate(() => (window as unknown as { __wire: { frames: string[]; channels: number[]; bytes: number } }).__wire);
  return { frames, bytes, messages: decodeFrames(frames.map((f) => Uint8Array.from(f, (c) => c.charCodeAt(0))), channels) };
}

/**
 * Every canary that crossed the wire, searched in whole messages (a canary split across frames
 * still counts), and how many messages were searched.
 */
export async function canaryLeaks(page: Parameters<typeof readWire>[0], canaries: string[]): Promise<{ messages: number; leaks: string[] }> {
  const { messages } = await readWire(page);
  return { messages: messages.length, leaks: canaries.flatMap((canary) => messages.filter((m) => m.includes(canary)).map((m) => `${canary} in ${m.slice(0, 200)}`)) };
}

/** Reassembles and inflates frames with the product's own channel code (one per data channel), decoding nothing further. */
function decodeFrames(frames: Uint8Array[], channels: number[]): string[] {
  const messages: string[] = [];
  const receivers = new Map<number, FramedChannel<never, unknown>>();
  const receiverOf = (id: number) => {
    let receiver = receivers.get(id);
    if (!receiver) {
      receiver = new FramedChannel<never, unknown>({ write: () => true, onDrain: () => {} }, (input) => input, {
        onMessage: (message) => messages.push(JSON.stringify(message)),
        onError: (error) => messages.push(`!undecodable: ${error.message}`),
      }, { reader: fflateReader });
      receivers.set(id, receiver);
    }
    return receiver;
  };
  frames.forEach((frame, i) => receiverOf(channels[i] ?? 0).receive(frame));
  return messages;
}

/**
 * Scripts run with tsx (bench, screenshots) are compiled with esbuild's keepNames, which wraps
 * functions passed to page.evaluate in a `__name` helper that pages do not have.
 */
export async function allowTsxEvaluate(context: BrowserContext): Promise<void> {
  await context.addInitScript({ content: 'globalThis.__name = (fn) => fn;' });
}
