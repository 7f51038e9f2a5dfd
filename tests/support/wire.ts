import type { BrowserContext } from 'playwright-core';

/** What a page put on its data channels: the decoded text of every send, and the byte count. */
export interface WireRecord {
  frames: string[];
  bytes: number;
}

/**
 * Records, in every page of `context`, each data-channel send as the network would see it before
 * DTLS; read it back with `readWire(page)`.
 */
export async function recordWire(context: BrowserContext): Promise<void> {
  await context.addInitScript(() => {
    const record: { frames: string[]; bytes: number } = { frames: [], bytes: 0 };
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
