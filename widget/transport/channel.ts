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
 * Frame layout: flags (1 byte: MORE, DEFLATED, PRIORITY, STREAM, END), the message's sequence
 * number in its lane (4 bytes, big-endian), then up to FRAME_PAYLOAD bytes of the (possibly
 * deflated) JSON.
 *
 * A run of bulk messages sent `streamed` (a snapshot's parts) shares one deflate stream, so each
 * part is compressed against the text of the ones before it, as gzip of the whole snapshot would be
 * (per part, the snapshot was ~1.6× that). Inside the stream each message is its length (4 bytes,
 * big-endian) and its JSON; the stream's output goes out as it comes, in STREAM frames numbered in
 * the bulk lane like messages, the last one marked END.
 */
export const FRAME_BYTES = 16 * 1024;
const HEADER_BYTES = 5;
const FRAME_PAYLOAD = FRAME_BYTES - HEADER_BYTES;
const MORE = 1;
const DEFLATED = 2;
const PRIORITY = 4;
const STREAM = 8;
const END = 16;
/** A deflate stream nobody wrote to for this long ends, so nothing waits in the compressor. */
const STREAM_IDLE_MS = 250;
/** Below this, deflate costs more time than the bytes it saves. */
const COMPRESS_FROM_BYTES = 512;

/** Raw DEFLATE of a message's JSON, at once or (the browser's own stream) asynchronously. */
export type Compressor = (bytes: Uint8Array) => Uint8Array | Promise<Uint8Array>;

/** One raw DEFLATE stream: what is written comes out compressed, through `onChunk`, as the compressor produces it. */
export interface DeflateStream {
  write(bytes: Uint8Array): void;
  /** Ends the stream; resolves once its last output went to `onChunk`. */
  end(): Promise<void>;
}
export type StreamCompressor = (onChunk: (chunk: Uint8Array) => void) => DeflateStream;

/**
 * How compressed frames are read: one deflated message, and the other side's deflate stream of
 * length-prefixed messages (widget/transport/inflate.ts). Either throws for what it cannot read.
 */
export interface DeflateReader {
  /** One message, inflated; stops as soon as the output passes `limit` (a deflate bomb). */
  inflate(body: Uint8Array, limit: number): Uint8Array;
  /** A stream's reader: each message made whole goes to `onMessage`; `end` says the stream ended there. */
  stream(onMessage: (json: Uint8Array) => void): { push(chunk: Uint8Array, end: boolean): void };
}

/**
 * How a channel packs what it sends and unpacks what it receives. The customer's side reads nothing
 * compressed (the agent's messages are small and sent as they are, protocol v4), so it carries no
 * reader: widget-core.js has no inflate code.
 */
export interface ChannelCodec {
  /** How large messages are deflated (raw DEFLATE): the browser's own CompressionStream unless given; null sends them as they are. */
  compress?: Compressor | null;
  /** How a streamed run is deflated: the browser's own stream unless given; null (no CompressionStream) deflates each message on its own. */
  streamCompressor?: StreamCompressor | null;
  /** How compressed frames are read (the agent's: fflateReader); without one, a compressed frame is refused (as a gap). */
  reader?: DeflateReader | null;
}

/**
 * How `send` treats a bulk message and the channel's deflate stream: `streamed: true` puts it in
 * (`last` ends the stream after it); `streamed: false` ends an open stream first and goes on its own
 * (a snapshot's first part, which must not wait in the compressor). Without either, a bulk message
 * joins a stream that is open and otherwise goes on its own.
 */
export type StreamedSend = { streamed: true; last?: boolean } | { streamed: false };
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
  /** The deflate stream being written, if a streamed run is under way. */
  private stream: OpenStream | null = null;
  /** What the receiving side is inflating from the other's stream. */
  private inflating: InflatingStream | null = null;

  constructor(
    private readonly link: Pick<PeerLink, 'write' | 'onDrain'>,
    private readonly decode: Decoder<In>,
    private readonly handlers: ChannelHandlers<In>,
    codec: ChannelCodec = {},
  ) {
    this.compress = codec.compress === undefined ? nativeCompressor() : codec.compress;
    this.streamCompressor = codec.streamCompressor === undefined ? nativeStreamCompressor() : codec.streamCompressor;
    this.reader = codec.reader ?? null;
  }

  private readonly compress: Compressor | null;
  private readonly streamCompressor: StreamCompressor | null;
  private readonly reader: DeflateReader | null;

  send(message: Out, lane: Lane = 'bulk', streamed?: StreamedSend): void {
    const json = this.encoder.encode(JSON.stringify(message));
    if (json.length > MAX_MESSAGE_BYTES) {
      throw new CoviewError('ERR_MESSAGE_TOO_LARGE', `A ${json.length}-byte message is larger than the ${MAX_MESSAGE_BYTES}-byte limit.`);
    }
    this.stats.messages++;
    this.stats.jsonBytes += json.length;
    // Small enough for one frame uncompressed: a priority message goes out ahead of everything.
    if (lane === 'priority' && json.length <= FRAME_PAYLOAD) return this.enqueue(json, false, 'priority');
    if (streamed?.streamed && this.streamCompressor) return this.sendStreamed(json, this.streamCompressor, { extends: true, last: streamed.last === true });
    if (streamed?.streamed === false) this.endStream();
    // While a run is streamed, every bulk message joins it: the order is kept, and so is the gain.
    if (this.stream && this.streamCompressor) return this.sendStreamed(json, this.streamCompressor, { extends: false, last: false });
    const packed = this.compress && json.length >= COMPRESS_FROM_BYTES ? this.compress(json) : null;
    if (this.compressing === 0 && !(packed instanceof Promise)) return this.enqueueBulk(json, packed);
    // Compression is asynchronous (native, off our stack): order is kept by chaining. Bulk
    // messages are numbered as they are queued, so in the order sent.
    this.compressing++;
    this.compressChain = this.compressChain
      .then(async () => this.enqueueBulk(json, await packed))
      .catch((error: unknown) => {
        // Never lose a message to a compressor failure: send it as it is.
        console.warn('[coview] compression failed; sending uncompressed', error);
        this.enqueue(json, false, 'bulk');
      })
      .finally(() => {
        this.compressing--;
        this.pump();
      });
  }

  /**
   * Writes `json` into the open deflate stream, opening one if needed. `extends` (a message sent
   * streamed) keeps the run open another STREAM_IDLE_MS; a message that only joins the run (sent
   * while it is open) does not, so no chatter can hold the stream open.
   */
  private sendStreamed(json: Uint8Array, streamCompressor: StreamCompressor, how: { extends: boolean; last: boolean }): void {
    const stream = (this.stream ??= this.openStream(streamCompressor));
    const length = new Uint8Array(4);
    new DataView(length.buffer).setUint32(0, json.length);
    stream.deflate.write(length);
    stream.deflate.write(json);
    if (how.last) return this.endStream();
    if (!how.extends) return;
    clearTimeout(stream.idle);
    stream.idle = setTimeout(() => this.stream === stream && this.endStream(), STREAM_IDLE_MS);
  }

  /**
   * A new deflate stream, one link of the compression chain: its output waits until every bulk
   * message sent before it is queued, then goes out in whole frames as it comes; what is sent after
   * it waits for its end. A compressor that fails skips a number, so the receiver sees a gap (the
   * agent resyncs) rather than a snapshot silently cut short.
   */
  private openStream(streamCompressor: StreamCompressor): OpenStream {
    const output: ByteQueue = { chunks: [], bytes: 0 };
    let framing = false;
    // Whole frames as the output comes; at the end, the rest (maybe nothing) in one frame marked END.
    const cut = (end: boolean) => {
      while (output.bytes >= FRAME_PAYLOAD) this.enqueueFrame(takeBytes(output, FRAME_PAYLOAD), STREAM, 'bulk', this.nextSeq.bulk++);
      if (end) this.enqueueFrame(takeBytes(output, output.bytes), STREAM | END, 'bulk', this.nextSeq.bulk++);
      this.pump();
    };
    const deflate = streamCompressor((chunk) => {
      output.chunks.push(chunk);
      output.bytes += chunk.length;
      if (framing) cut(false);
    });
    let finish!: (failure: unknown) => void;
    const finished = new Promise<unknown>((resolve) => (finish = resolve));
    const before = this.compressChain;
    this.compressing++;
    this.compressChain = (async () => {
      await before;
      framing = true;
      cut(false);
      const failure = await finished;
      if (failure !== null) {
        console.warn('[coview] the deflate stream failed; the agent resyncs', failure);
        this.nextSeq.bulk++;
      }
      cut(true);
    })().finally(() => {
      this.compressing--;
      this.pump();
    });
    return {
      deflate: {
        write: (bytes) => deflate.write(bytes),
        end: () =>
          deflate.end().then(
            () => finish(null),
            (error: unknown) => finish(error ?? new Error('the compressor failed')),
          ),
      },
      idle: undefined,
    };
  }

  /** Ends the open deflate stream, if any: its last output follows, marked END. */
  private endStream(): void {
    const stream = this.stream;
    if (!stream) return;
    this.stream = null;
    clearTimeout(stream.idle);
    void stream.deflate.end();
  }

  private enqueueBulk(json: Uint8Array, packed: Uint8Array | null): void {
    if (packed && packed.length < json.length) this.enqueue(packed, true, 'bulk');
    else this.enqueue(json, false, 'bulk');
  }

  private enqueue(body: Uint8Array, deflated: boolean, lane: Lane): void {
    const seq = this.nextSeq[lane]++;
    const baseFlags = (deflated ? DEFLATED : 0) | (lane === 'priority' ? PRIORITY : 0);
    for (let offset = 0; offset < body.length || offset === 0; offset += FRAME_PAYLOAD) {
      this.enqueueFrame(body.subarray(offset, offset + FRAME_PAYLOAD), baseFlags | (offset + FRAME_PAYLOAD < body.length ? MORE : 0), lane, seq);
    }
    this.pump();
  }

  private enqueueFrame(payload: Uint8Array, flags: number, lane: Lane, seq: number): void {
    const frame = new Uint8Array(payload.length + HEADER_BYTES);
    frame[0] = flags;
    new DataView(frame.buffer).setUint32(1, seq >>> 0);
    frame.set(payload, HEADER_BYTES);
    (lane === 'priority' ? this.priority : this.bulk).push(frame);
    this.stats.wireBytes += frame.length;
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
    if (flags & STREAM && lane === 'bulk' && state.parts.length === 0 && !state.discarding) {
      if (seq !== state.expectedSeq) this.handlers.onGap?.('bulk');
      state.expectedSeq = (seq + 1) >>> 0;
      return this.receiveStreamed(frame.subarray(HEADER_BYTES), (flags & END) !== 0);
    }
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
    let json: Uint8Array;
    try {
      const body = concat(parts);
      json = deflated ? readerOf(this.reader).inflate(body, MAX_MESSAGE_BYTES) : body;
    } catch (cause) {
      return this.refuse(cause, lane);
    }
    this.deliverJson(json, lane);
  }

  private deliverJson(json: Uint8Array, lane: Lane): void {
    let message: In;
    try {
      message = this.decode(JSON.parse(this.decoder.decode(json)));
    } catch (cause) {
      return this.refuse(cause, lane);
    }
    this.handlers.onMessage(message);
  }

  private refuse(cause: unknown, lane: Lane): void {
    const error = cause instanceof CoviewError ? cause : new CoviewError('ERR_MALFORMED_MESSAGE', 'Received a frame that is not valid (deflated) JSON.', { cause });
    this.handlers.onError(error);
    this.handlers.onGap?.(lane);
  }

  /**
   * A piece of the other side's deflate stream: inflated as it comes, each message inside it
   * delivered as soon as it is whole. A stream that cannot be read (corrupt, a message over the
   * limit, cut short) is refused once, as a gap, and skipped to its END.
   */
  private receiveStreamed(chunk: Uint8Array, end: boolean): void {
    const stream = (this.inflating ??= { reader: null, whole: [], broken: false });
    let failure: unknown = null;
    if (!stream.broken) {
      try {
        stream.reader ??= readerOf(this.reader).stream((json) => stream.whole.push(json));
        stream.reader.push(chunk, end);
      } catch (cause) {
        stream.broken = true;
        failure = cause;
      }
    }
    if (end) this.inflating = null;
    // Messages are handed over once the piece is inflated: a handler's own failure can't break the
    // stream, nor keep the next messages from their handler.
    let handlerFailure: { error: unknown } | null = null;
    for (const json of stream.whole.splice(0)) {
      try {
        this.deliverJson(json, 'bulk');
      } catch (error) {
        handlerFailure ??= { error };
      }
    }
    if (failure !== null) this.refuse(failure, 'bulk');
    if (handlerFailure) throw handlerFailure.error;
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
 * The browser's own raw DEFLATE (CompressionStream), or null where it has none (Chrome < 103,
 * Firefox < 113, Safari < 16.4): such a browser sends its messages as they are. A JavaScript
 * deflate as the fallback cost every customer ~2.2 KiB gzip of widget-core.js for those few, whose
 * snapshot (packed, see PackedNode) is still smaller unpacked than rrweb's JSON.
 */
export function nativeCompressor(): Compressor | null {
  if (!hasNativeDeflate()) return null;
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

let nativeDeflate: boolean | undefined;
/** Whether this browser has CompressionStream('deflate-raw'): found out once, not for every channel and compressor. */
function hasNativeDeflate(): boolean {
  if (nativeDeflate === undefined) {
    nativeDeflate = typeof CompressionStream !== 'undefined' && typeof Response !== 'undefined';
    try {
      if (nativeDeflate) new CompressionStream('deflate-raw');
    } catch {
      nativeDeflate = false;
    }
  }
  return nativeDeflate;
}

/**
 * The browser's own raw DEFLATE as one stream (CompressionStream), or null where it has none (a
 * streamed run is then deflated message by message). Its output is read as the browser produces it.
 */
export function nativeStreamCompressor(): StreamCompressor | null {
  if (!hasNativeDeflate()) return null;
  return (onChunk) => {
    const stream = new CompressionStream('deflate-raw');
    const writer = stream.writable.getWriter();
    const reader = stream.readable.getReader();
    const read = (async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        onChunk(value);
      }
    })();
    // A failure before `end` is awaited there, not reported as unhandled.
    read.catch(() => {});
    return {
      // A failure shows in the readable side, which `end` awaits.
      write: (bytes) => void writer.write(bytes as Uint8Array<ArrayBuffer>).catch(() => {}),
      end: async () => {
        writer.close().catch(() => {});
        await read;
      },
    };
  };
}

/** The reader, or the refusal of a side that reads nothing compressed. */
function readerOf(reader: DeflateReader | null): DeflateReader {
  if (reader) return reader;
  throw new CoviewError('ERR_MALFORMED_MESSAGE', 'Received a compressed frame, which this side does not read (the agent sends its messages as they are).');
}

/** A deflate stream being written: its compressor, and the timer that ends it when nobody does. */
interface OpenStream {
  deflate: DeflateStream;
  idle: ReturnType<typeof setTimeout> | undefined;
}

/** The other side's stream being read. */
interface InflatingStream {
  reader: ReturnType<DeflateReader['stream']> | null;
  /** Messages inflated whole, to hand over once the piece that completed them is in. */
  whole: Uint8Array[];
  broken: boolean;
}

/** Bytes in order, as pieces, and how many. */
export interface ByteQueue {
  chunks: Uint8Array[];
  bytes: number;
}

/** The first `count` bytes of `stream`, taken off its chunks. */
export function takeBytes(stream: ByteQueue, count: number): Uint8Array {
  if (count === 0) return new Uint8Array(0);
  stream.bytes -= count;
  const first = stream.chunks[0]!;
  if (first.length === count) return stream.chunks.shift()!;
  if (first.length > count) {
    stream.chunks[0] = first.subarray(count);
    return first.subarray(0, count);
  }
  const out = new Uint8Array(count);
  let filled = 0;
  while (filled < count) {
    const chunk = stream.chunks[0]!;
    const used = Math.min(chunk.length, count - filled);
    out.set(chunk.subarray(0, used), filled);
    filled += used;
    if (used === chunk.length) stream.chunks.shift();
    else stream.chunks[0] = chunk.subarray(used);
  }
  return out;
}

function newAssembly(): Assembly {
  return { parts: [], bytes: 0, discarding: false, expectedSeq: 0 };
}

export function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
