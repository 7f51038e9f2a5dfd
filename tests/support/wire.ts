import type { BrowserContext } from 'playwright-core';

/** What a page put on its data channels: the decoded text of every send, and the byte count. */
export interface WireRecord {
  frames: string[];
  bytes: number;
  /** Each frame's bytes as a binary string (one char per byte), for reassembly by `wireMessages`. */
  raw: string[];
}

/**
 * Records, in every page of `context`, each data-channel send as the network would see it before
 * DTLS; read it back with `readWire(page)`.
 */
export async function recordWire(context: BrowserContext): Promise<void> {
  await context.addInitScript(() => {
    const record: { frames: string[]; bytes: number; raw: string[] } = { frames: [], bytes: 0, raw: [] };
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
      record.frames.push(new TextDecoder().decode(bytes));
      let raw = '';
      for (let i = 0; i < bytes.length; i += 8192) raw += String.fromCharCode(...bytes.subarray(i, i + 8192));
      record.raw.push(raw);
      record.bytes += bytes.length;
      return send.call(this, data as never);
    };
  });
}

export function readWire(page: { evaluate<R>(fn: () => R): Promise<R> }): Promise<WireRecord> {
  return page.evaluate(() => (window as unknown as { __wire: WireRecord }).__wire);
}

/**
 * Scripts run with tsx (bench, screenshots) are compiled with esbuild's keepNames, which wraps
 * functions passed to page.evaluate in a `__name` helper that pages do not have.
 */
export async function allowTsxEvaluate(context: BrowserContext): Promise<void> {
  await context.addInitScript({ content: 'globalThis.__name = (fn) => fn;' });
}

/**
 * The messages a page sent, reassembled from its frames and decoded to text: what a canary search
 * must look at (a secret split across two frames is whole again here).
 * THE one place that knows the frame layout (transport/channel.ts: one flag byte, 0 = last frame
 * of a message, then payload); when the channel compresses, decompress `payload` here.
 */
export function wireMessages(record: WireRecord): string[] {
  const messages: string[] = [];
  let parts: Buffer[] = [];
  for (const frame of record.raw) {
    const bytes = Buffer.from(frame, 'latin1');
    parts.push(bytes.subarray(1));
    if (bytes[0] === 0) {
      messages.push(Buffer.concat(parts).toString('utf8'));
      parts = [];
    }
  }
  if (parts.length) messages.push(Buffer.concat(parts).toString('utf8'));
  return messages;
}

/** Every message a page sent so far, decoded (see wireMessages). */
export async function readWireMessages(page: { evaluate<R>(fn: () => R): Promise<R> }): Promise<string[]> {
  return wireMessages(await readWire(page));
}
