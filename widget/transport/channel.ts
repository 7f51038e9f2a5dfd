import { CoviewError, type Decoder } from '../protocol/index.js';
import type { PeerLink } from './peer.js';

/**
 * Typed messages over a peer link: JSON, split into frames small enough for every data channel
 * (Chromium throws on a send over 256 KiB), sent with backpressure so a big snapshot never
 * floods the channel's buffer.
 *
 * Frame layout: one flag byte (MORE = more frames of this message follow, LAST = final frame),
 * then up to FRAME_PAYLOAD bytes of the UTF-8 JSON text.
 */
export const FRAME_BYTES = 16 * 1024;
const FRAME_PAYLOAD = FRAME_BYTES - 1;
const MORE = 1;
const LAST = 0;
/** A message larger than this is refused by the receiver (the sender is told via onError there). */
export const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

export interface ChannelHandlers<In> {
  onMessage(message: In): void;
  /** A message that could not be decoded: it is dropped, the channel goes on. */
  onError(error: CoviewError): void;
}

export class FramedChannel<Out, In> {
  private readonly queue: Uint8Array[] = [];
  private waitingForDrain = false;
  private incoming: Uint8Array[] = [];
  private incomingBytes = 0;
  private discarding = false;
  private readonly encoder = new TextEncoder();
  private readonly decoder = new TextDecoder();
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly link: Pick<PeerLink, 'write' | 'onDrain'>,
    private readonly decode: Decoder<In>,
    private readonly handlers: ChannelHandlers<In>,
  ) {}

  send(message: Out): void {
    const bytes = this.encoder.encode(JSON.stringify(message));
    if (bytes.length > MAX_MESSAGE_BYTES) {
      throw new CoviewError('ERR_MESSAGE_TOO_LARGE', `A ${bytes.length}-byte message is larger than the ${MAX_MESSAGE_BYTES}-byte limit.`);
    }
    for (let offset = 0; offset < bytes.length || offset === 0; offset += FRAME_PAYLOAD) {
      const payload = bytes.subarray(offset, offset + FRAME_PAYLOAD);
      const frame = new Uint8Array(payload.length + 1);
      frame[0] = offset + FRAME_PAYLOAD >= bytes.length ? LAST : MORE;
      frame.set(payload, 1);
      this.queue.push(frame);
    }
    this.pump();
  }

  /** Bytes waiting in our queue (not yet handed to the data channel). */
  get queuedBytes(): number {
    return this.queue.reduce((sum, frame) => sum + frame.length, 0);
  }

  /** Resolves once everything queued has been handed to the data channel. */
  flushed(): Promise<void> {
    if (this.queue.length === 0 && !this.waitingForDrain) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  receive(frame: Uint8Array): void {
    if (frame.length === 0) return this.handlers.onError(new CoviewError('ERR_MALFORMED_MESSAGE', 'Received an empty frame.'));
    const last = frame[0] === LAST;
    if (!this.discarding) {
      this.incomingBytes += frame.length - 1;
      if (this.incomingBytes > MAX_MESSAGE_BYTES) {
        this.discarding = true;
        this.incoming = [];
        this.handlers.onError(new CoviewError('ERR_MESSAGE_TOO_LARGE', `Dropped a message larger than ${MAX_MESSAGE_BYTES} bytes.`));
      } else {
        this.incoming.push(frame.subarray(1));
      }
    }
    if (!last) return;
    const parts = this.incoming;
    const wasDiscarding = this.discarding;
    this.incoming = [];
    this.incomingBytes = 0;
    this.discarding = false;
    if (wasDiscarding) return;
    this.deliver(parts);
  }

  private deliver(parts: Uint8Array[]): void {
    let message: In;
    try {
      message = this.decode(JSON.parse(this.decoder.decode(concat(parts))));
    } catch (cause) {
      const error = cause instanceof CoviewError ? cause : new CoviewError('ERR_MALFORMED_MESSAGE', 'Received a frame that is not valid JSON.', { cause });
      return this.handlers.onError(error);
    }
    this.handlers.onMessage(message);
  }

  private pump(): void {
    while (!this.waitingForDrain && this.queue.length > 0) {
      const frame = this.queue.shift()!;
      if (!this.link.write(frame)) {
        this.waitingForDrain = true;
        this.link.onDrain(() => {
          this.waitingForDrain = false;
          this.pump();
        });
      }
    }
    if (!this.waitingForDrain && this.queue.length === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      waiters.forEach((resolve) => resolve());
    }
  }
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
