import { createRequire } from 'node:module';
import type { Duplex as NodeDuplex } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Duplex } from '../../../widget/transport/peer-stream.js';

/** What simple-peer's prebuilt browser build carries (its own dependency; Node's streams differ a little). */
const { Duplex: ReadableStreamDuplex } = createRequire(import.meta.url)('readable-stream') as { Duplex: new (options?: object) => NodeDuplex };

type Callback = (error?: Error | null) => void;
type DuplexClass = new (options?: object) => NodeDuplex | Duplex;

/**
 * simple-peer's `_write`: sends at once, and holds the callback while the data channel is over
 * its buffer limit (here: while `full` is set), releasing it on `bufferedamountlow`.
 */
function channelSink(Base: DuplexClass) {
  const sent: number[] = [];
  const held: Callback[] = [];
  const log: string[] = [];
  const state = { full: false };
  class Sink extends (Base as new (options?: object) => Duplex) {
    override _write(chunk: Uint8Array, _encoding: string, callback: Callback): void {
      sent.push(chunk.byteLength);
      if (state.full) held.push(callback);
      else callback(null);
    }
  }
  const stream = new Sink({ allowHalfOpen: false });
  stream.on('drain', () => log.push('drain'));
  const settle = () => new Promise((resolve) => setImmediate(resolve));
  return {
    sent,
    log,
    state,
    write: (bytes: number) => log.push(`write ${bytes}: ${stream.write(new Uint8Array(bytes))}`),
    release: () => held.splice(0).forEach((callback) => callback(null)),
    settle,
  };
}

/** One run of writes, a full channel and its release: the log of what the writer saw. */
async function run(Base: DuplexClass) {
  const sink = channelSink(Base);
  sink.write(1_000);
  sink.write(20_000); // over the 16 KiB mark: false, then drain
  await sink.settle();
  sink.state.full = true;
  sink.write(60_000); // sent, callback held
  sink.write(100); // queued behind it
  sink.write(100);
  await sink.settle();
  sink.log.push(`sent before release: ${sink.sent.length}`);
  sink.state.full = false;
  sink.release();
  await sink.settle();
  sink.write(10);
  await sink.settle();
  return { log: sink.log, sent: sink.sent };
}

describe('peer-stream: the Duplex simple-peer gets in the browser bundles', () => {
  it('gives the same write results, drains and write order as readable-stream’s Duplex', async () => {
    const ours = await run(Duplex);
    const readableStream = await run(ReadableStreamDuplex);
    expect(ours).toEqual(readableStream);
    // What the comparison covers: backpressure happened, and was lifted.
    expect(ours.log).toContain('write 20000: false');
    expect(ours.log.filter((line) => line === 'drain')).toHaveLength(2);
    expect(ours.log).toContain('sent before release: 3');
    expect(ours.sent).toEqual([1_000, 20_000, 60_000, 100, 100, 10]);
  });

  it('hands on each pushed message whole and in order, text as its UTF-8 bytes, and ends on null', async () => {
    const stream = new Duplex();
    const got: unknown[] = [];
    let ended = false;
    stream.on('data', (chunk: Uint8Array) => got.push(chunk));
    stream.on('end', () => (ended = true));
    stream.push(new Uint8Array([1, 2, 3]));
    stream.push('é');
    stream.push(null);
    expect(stream.push(new Uint8Array([9]))).toBe(false);
    await Promise.resolve();
    expect(got).toEqual([new Uint8Array([1, 2, 3]), new Uint8Array([0xc3, 0xa9])]);
    expect(ended).toBe(true);
    expect(stream._readableState.ended).toBe(true);
  });

  it('finishes on end(), and a once listener taken back with removeListener is not called (simple-peer’s destroy)', async () => {
    const stream = new Duplex();
    const calls: string[] = [];
    const onFinish = () => calls.push('removed listener');
    stream.once('finish', onFinish);
    stream.once('finish', () => calls.push('finish'));
    stream.removeListener('finish', onFinish);
    stream.end();
    await Promise.resolve();
    stream.emit('finish');
    expect(calls).toEqual(['finish']);
    expect(stream._writableState.finished).toBe(true);
    expect(stream.write(new Uint8Array(1))).toBe(false);
  });

  it('throws an error event nobody listens to, as Node does, and hands it to a listener otherwise', () => {
    const stream = new Duplex();
    expect(() => stream.emit('error', new Error('lost'))).toThrow('lost');
    const errors: unknown[] = [];
    stream.on('error', (error: Error) => errors.push(error.message));
    stream.emit('error', new Error('handled'));
    expect(errors).toEqual(['handled']);
  });
});
