import { deflateSync, Inflate } from 'fflate';
import { CoviewError, type Decoder } from '../protocol/index.js';
import type { PeerLink } from './peer.js';

/**
 * Typed messages over a peer link: JSON, deflated when large, cut into frames small enough for
 * every data channel (Chromium throws on a send over 256 KiB), sent with backpressure so a big
 * snapshot never floods the channel's buffer.
 *
 * Two lanes share the link. `priority` messages (pointer, scroll) are single frames sent ahead of
 * whatever bulk frames are still queued, so the customer's pointer never waits behind a snapshot.
 * Each lane numbers its messages; a receiver that sees a number skipped (a message it had to drop)
 * reports a gap so the agent can ask for a fresh snapshot.
 *
 * Frame layout: flags (1 byte: MORE, DEFLATED, PRIORITY), the message's sequence number in its
 * lane (4 bytes, big-endian), then up to FRAME_PAYLOAD bytes of the (possibly deflated) JSON.
 */
export const FRAME_BYTES = 16 * 1024;
const HEADER_BYTES = 5;
const FRAME_PAYLOAD = FRAME_BYTES - HEADER_BYTES;
const MORE = 1;
const DEFLATED = 2;
const PRIORITY = 4;
/** Below this, deflate costs more time than the bytes it saves. */
const COMPRESS_FROM_BYTES = 512;

/** Raw DEFLATE of a message's JSON, at once or (the browser's own stream) asynchronously. */
export type Compressor = (bytes: Uint8Array) => Uint8Array | Promise<Uint8Array>;
/** A message larger than this (uncompressed) is refused by the receiver and by the sender. */
export const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

export type Lane = 'bulk' | 'priority';

export interface ChannelHandlers<In> {
  onMessage(message: In): void;
  /** A message that could not be decoded: it is dropped, the channel goes on. */
  onError(error: CoviewError): void;
  /** A message of `lane` was lost (dropped here or skipped by the sender): state may be stale. */
  onGap?(lane: Lane): void;
}

interface Assembly {
  parts: Uint8Array[];
  bytes: number;
  discarding: boolean;
  expectedSeq: number;
}

export class FramedChannel<Out, In> {
  private readonly bulk: Uint8Array[] = [];
  private readonly priority: Uint8Array[] = [];
  private readonly nextSeq = { bulk: 0, priority: 0 };
  private readonly assembly: Record<Lane, Assembly> = { bulk: newAssembly(), priority: newAssembly() };
  private waitingForDrain = false;
  private readonly encoder = new TextEncoder();
  private readonly decoder = new TextDecoder();
  private idleWaiters: (() => void)[] = [];
  /** Raw and sent byte counts, for the bench and the README's figures. */
  readonly stats = { messages: 0, jsonBytes: 0, wireBytes: 0 };

  /** Bulk messages still being compressed, in order; later bulk messages wait behind them. */
  private compressing = 0;
  private compressChain: Promise<void> = Promise.resolve();

  constructor(
    private readonly link: Pick<PeerLink, 'write' | 'onDrain'>,
    private readonly decode: Decoder<In>,
    private readonly handlers: ChannelHandlers<In>,
    /** How large messages are deflated (raw DEFLATE): the browser's own CompressionStream unless given; null sends them as they are. */
    private readonly compress: Compressor | null = nativeCompressor(),
  ) {}

  send(message: Out, lane: Lane = 'bulk'): void {
    const json = this.encoder.encode(JSON.stringify(message));
    if (json.length > MAX_MESSAGE_BYTES) {
      throw new CoviewError('ERR_MESSAGE_TOO_LARGE', `A ${json.length}-byte message is larger than the ${MAX_MESSAGE_BYTES}-byte limit.`);
    }
    this.stats.messages++;
    this.stats.jsonBytes += json.length;
    // Small enough for one frame uncompressed: a priority message goes out ahead of everything.
    if (lane === 'priority' && json.length <= FRAME_PAYLOAD) return this.enqueue(json, false, 'priority');
    const seq = this.nextSeq.bulk++;
    const packed = this.compress && json.length >= COMPRESS_FROM_BYTES ? this.compress(json) : null;
    if (this.compressing === 0 && !(packed instanceof Promise)) return this.enqueueBulk(json, packed, seq);
    // Compression is asynchronous (native, off our stack): order is kept by chaining.
    this.compressing++;
    this.compressChain = this.compressChain
      .then(async () => this.enqueueBulk(json, await packed, seq))
      .catch((error: unknown) => {
        // Never lose a message to a compressor failure: send it as it is.
        console.warn('[coview] compression failed; sending uncompressed', error);
        this.enqueue(json, false, 'bulk', seq);
      })
      .finally(() => {
        this.compressing--;
        this.pump();
      });
  }

  private enqueueBulk(json: Uint8Array, packed: Uint8Array | null, seq: number): void {
    if (packed && packed.length < json.length) this.enqueue(packed, true, 'bulk', seq);
    else this.enqueue(json, false, 'bulk', seq);
  }

  private enqueue(body: Uint8Array, deflated: boolean, lane: Lane, seq = this.nextSeq[lane]++): void {
    const queue = lane === 'priority' ? this.priority : this.bulk;
    const baseFlags = (deflated ? DEFLATED : 0) | (lane === 'priority' ? PRIORITY : 0);
    for (let offset = 0; offset < body.length || offset === 0; offset += FRAME_PAYLOAD) {
      const payload = body.subarray(offset, offset + FRAME_PAYLOAD);
      const frame = new Uint8Array(payload.length + HEADER_BYTES);
      frame[0] = baseFlags | (offset + FRAME_PAYLOAD < body.length ? MORE : 0);
      new DataView(frame.buffer).setUint32(1, seq >>> 0);
      frame.set(payload, HEADER_BYTES);
      queue.push(frame);
      this.stats.wireBytes += frame.length;
    }
    this.pump();
  }

  /** Bytes waiting in our queues (not yet handed to the data channel). */
  get queuedBytes(): number {
    return [...this.bulk, ...this.priority].reduce((sum, frame) => sum + frame.length, 0);
  }

  /** Resolves once everything queued has been handed to the data channel. */
  flushed(): Promise<void> {
    if (this.bulk.length === 0 && this.priority.length === 0 && !this.waitingForDrain && this.compressing === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  receive(frame: Uint8Array): void {
    if (frame.length < HEADER_BYTES) return this.handlers.onError(new CoviewError('ERR_MALFORMED_MESSAGE', `Received a ${frame.length}-byte frame, shorter than its header.`));
    const flags = frame[0]!;
    const seq = new DataView(frame.buffer, frame.byteOffset, frame.byteLength).getUint32(1);
    const lane: Lane = flags & PRIORITY ? 'priority' : 'bulk';
    const state = this.assembly[lane];
    if (state.parts.length === 0 && !state.discarding) {
      // The first frame of a message: its number tells whether one went missing before it.
      if (seq !== state.expectedSeq) this.handlers.onGap?.(lane);
      state.expectedSeq = (seq + 1) >>> 0;
    }
    if (!state.discarding) {
      state.bytes += frame.length - HEADER_BYTES;
      if (state.bytes > MAX_MESSAGE_BYTES) {
        state.discarding = true;
        state.parts = [];
        this.handlers.onError(new CoviewError('ERR_MESSAGE_TOO_LARGE', `Dropped a message larger than ${MAX_MESSAGE_BYTES} bytes.`));
        this.handlers.onGap?.(lane);
      } else {
        state.parts.push(frame.subarray(HEADER_BYTES));
      }
    }
    if (flags & MORE) return;
    const { parts, discarding } = state;
    this.assembly[lane] = { ...newAssembly(), expectedSeq: state.expectedSeq };
    if (!discarding) this.deliver(parts, (flags & DEFLATED) !== 0, lane);
  }

  private deliver(parts: Uint8Array[], deflated: boolean, lane: Lane): void {
    let message: In;
    try {
      const body = concat(parts);
      const json = deflated ? inflateBounded(body, MAX_MESSAGE_BYTES) : body;
      message = this.decode(JSON.parse(this.decoder.decode(json)));
    } catch (cause) {
      const error = cause instanceof CoviewError ? cause : new CoviewError('ERR_MALFORMED_MESSAGE', 'Received a frame that is not valid (deflated) JSON.', { cause });
      this.handlers.onError(error);
      return this.handlers.onGap?.(lane);
    }
    this.handlers.onMessage(message);
  }

  private pump(): void {
    while (!this.waitingForDrain) {
      const frame = this.priority.shift() ?? this.bulk.shift();
      if (!frame) break;
      if (!this.link.write(frame)) {
        this.waitingForDrain = true;
        this.link.onDrain(() => {
          this.waitingForDrain = false;
          this.pump();
        });
      }
    }
    if (!this.waitingForDrain && this.bulk.length === 0 && this.priority.length === 0 && this.compressing === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      waiters.forEach((resolve) => resolve());
    }
  }
}

/**
 * The customer's compressor: the browser's native DEFLATE where there is one (many times faster
 * than doing it in JavaScript, which matters for a big page's snapshot); fflate elsewhere, so an
 * older browser's snapshot is compressed too.
 */
export function portableCompressor(): Compressor {
  return nativeCompressor() ?? ((bytes) => deflateSync(bytes, { level: 6 }));
}

/**
 * The browser's own raw DEFLATE (CompressionStream), or null where it has none. The agent's
 * messages are small (pointer, input, drawing), so its channel sends them as they are on such a
 * browser, and join.js carries no deflate of its own.
 */
export function nativeCompressor(): Compressor | null {
  if (typeof CompressionStream === 'undefined' || typeof Response === 'undefined') return null;
  try {
    new CompressionStream('deflate-raw');
  } catch {
    return null;
  }
  return async (bytes) => {
    // Written straight into the stream: a Blob around the bytes would copy them and register them
    // with the browser process first (a quarter of the snapshot's main-thread time on a slow phone).
    const stream = new CompressionStream('deflate-raw');
    const writer = stream.writable.getWriter();
    // A failure shows in the readable side, which the caller awaits.
    writer.write(bytes as Uint8Array<ArrayBuffer>).catch(() => {});
    writer.close().catch(() => {});
    return new Uint8Array(await new Response(stream.readable).arrayBuffer());
  };
}

/** Inflates, but stops as soon as the output passes `limit`: a tiny deflate bomb must not eat the agent's memory. */
function inflateBounded(body: Uint8Array, limit: number): Uint8Array {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const inflater = new Inflate((chunk) => {
    total += chunk.length;
    if (total > limit) throw new CoviewError('ERR_MESSAGE_TOO_LARGE', `Dropped a message that inflates past ${limit} bytes.`);
    chunks.push(chunk);
  });
  for (let offset = 0; offset < body.length; offset += 64 * 1024) {
    inflater.push(body.subarray(offset, offset + 64 * 1024), offset + 64 * 1024 >= body.length);
  }
  return concat(chunks);
}

function newAssembly(): Assembly {
  return { parts: [], bytes: 0, discarding: false, expectedSeq: 0 };
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
