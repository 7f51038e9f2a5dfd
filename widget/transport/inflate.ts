import { Inflate } from 'fflate';
import { CoviewError } from '../protocol/index.js';
import { concat, MAX_MESSAGE_BYTES, takeBytes, type ByteQueue, type DeflateReader } from './channel.js';

/**
 * The agent's reader of the customer's compressed frames (fflate's streaming inflate): one
 * deflated message, or a snapshot's deflate stream of length-prefixed messages. Injected into the
 * channel (ChannelCodec.reader), so the customer's bundle, which reads nothing compressed, has none of it.
 */
export const fflateReader: DeflateReader = {
  inflate(body, limit) {
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
  },

  stream(onMessage) {
    /** Inflated bytes not yet a whole message, and the length of the one being read once its 4-byte prefix is in. */
    const queue: ByteQueue = { chunks: [], bytes: 0 };
    let next: number | null = null;
    const inflater = new Inflate((data) => {
      queue.chunks.push(data);
      queue.bytes += data.length;
      for (;;) {
        if (next === null) {
          if (queue.bytes < 4) break;
          const head = takeBytes(queue, 4);
          next = new DataView(head.buffer, head.byteOffset, 4).getUint32(0);
          if (next > MAX_MESSAGE_BYTES) throw new CoviewError('ERR_MESSAGE_TOO_LARGE', `Dropped a message larger than ${MAX_MESSAGE_BYTES} bytes.`);
        }
        if (queue.bytes < next) break;
        onMessage(takeBytes(queue, next));
        next = null;
      }
    });
    return {
      push(chunk, end) {
        inflater.push(chunk, end);
        if (end && (queue.bytes > 0 || next !== null)) throw new CoviewError('ERR_MALFORMED_MESSAGE', 'A deflate stream ended inside a message.');
      },
    };
  },
};
