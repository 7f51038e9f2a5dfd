/**
 * The part of `readable-stream`'s Duplex that simple-peer's source uses, for the browser bundles
 * (scripts/build.mjs builds simple-peer from source with this in place of readable-stream and
 * Node's Buffer, which its prebuilt browser build carries: ~70 KiB minified). Node keeps the real one.
 *
 * Writable side, as readable-stream: `write()` queues the chunk and hands one chunk at a time to
 * `_write` (simple-peer's, which holds its callback while the data channel's bufferedAmount is
 * over 64 KiB); it returns false once more than HIGH_WATER_MARK bytes wait, and `drain` fires
 * when the queue is empty again. Readable side: `push(chunk)` is a `data` event at once (peer.ts
 * listens from the start, so there is no paused mode), `push(null)` ends it. Events: the part of
 * Node's EventEmitter simple-peer and peer.ts call.
 */
const HIGH_WATER_MARK = 16 * 1024; // readable-stream's default for byte streams

type Chunk = Uint8Array | string;
type WriteCallback = (error?: Error | null) => void;
/** A listener takes what its event carries: never[] so any listener fits, called as (...unknown[]). */
type Listener = (...args: never[]) => void;
type Call = (...args: unknown[]) => void;

class EventEmitter {
  readonly #listeners = new Map<string, Listener[]>();

  on(event: string, listener: Listener): this {
    this.#listeners.set(event, [...(this.#listeners.get(event) ?? []), listener]);
    return this;
  }

  once(event: string, listener: Listener): this {
    const once = Object.assign((...args: unknown[]) => (this.removeListener(event, once), (listener as Call)(...args)), { listener });
    return this.on(event, once);
  }

  removeListener(event: string, listener: Listener): this {
    const list = this.#listeners.get(event) ?? [];
    const at = list.findIndex((l) => l === listener || (l as { listener?: Listener }).listener === listener);
    if (at >= 0) this.#listeners.set(event, list.filter((_, i) => i !== at));
    return this;
  }

  emit(event: string, ...args: unknown[]): boolean {
    const list = this.#listeners.get(event) ?? [];
    // As Node's: an error nobody handles is thrown, not lost.
    if (event === 'error' && list.length === 0) throw args[0];
    for (const listener of list) (listener as Call)(...args);
    return list.length > 0;
  }
}

export class Duplex extends EventEmitter {
  readable = true;
  writable = true;
  /** Read by simple-peer's destroy. */
  readonly _readableState = { ended: false };
  readonly _writableState = { finished: false };
  readonly #queue: Chunk[] = [];
  #queuedBytes = 0;
  #writing = false;
  #ending = false;
  #needDrain = false;

  constructor(_options?: unknown) {
    super();
  }

  _write(_chunk: Chunk, _encoding: string, callback: WriteCallback): void {
    callback(new Error('_write is not implemented'));
  }

  _read(): void {}

  write(chunk: Chunk): boolean {
    if (this.#ending) return false; // after destroy: dropped, as the peer is gone
    this.#queuedBytes += size(chunk);
    this.#queue.push(chunk);
    const belowMark = this.#queuedBytes < HIGH_WATER_MARK;
    if (!belowMark) this.#needDrain = true;
    if (!this.#writing) this.#writeNext();
    return belowMark;
  }

  end(): void {
    if (this.#ending) return;
    this.#ending = true;
    if (!this.#writing) this.#finishSoon();
  }

  push(chunk: Chunk | null): boolean {
    if (this._readableState.ended) return false;
    if (chunk === null) {
      this._readableState.ended = true;
      queueMicrotask(() => this.emit('end'));
      return false;
    }
    // A byte stream, as readable-stream's: a text message arrives as its UTF-8 bytes.
    this.emit('data', typeof chunk === 'string' ? new TextEncoder().encode(chunk) : chunk);
    return true;
  }

  #writeNext(): void {
    if (this.#writing) return;
    const chunk = this.#queue.shift();
    if (chunk === undefined) {
      if (this.#needDrain) {
        this.#needDrain = false;
        this.emit('drain');
      }
      if (this.#ending) this.#finishSoon();
      return;
    }
    this.#writing = true;
    let synchronous = true;
    this._write(chunk, 'buffer', (error) => {
      this.#writing = false;
      this.#queuedBytes -= size(chunk);
      if (error) {
        this.emit('error', error);
        return;
      }
      // Like readable-stream, a callback called at once goes on in a microtask, so `write()` returns before `drain`.
      if (synchronous) queueMicrotask(() => this.#writeNext());
      else this.#writeNext();
    });
    synchronous = false;
  }

  #finishSoon(): void {
    queueMicrotask(() => {
      if (this._writableState.finished) return;
      this._writableState.finished = true;
      this.emit('finish');
    });
  }
}

function size(chunk: Chunk): number {
  return typeof chunk === 'string' ? chunk.length : chunk.byteLength;
}
