import { randomBytes } from 'node:crypto';
import { deflateSync } from 'fflate';
import { describe, expect, it, vi } from 'vitest';
import { CoviewError, decodeHostMessage, type HostMessage } from '../../../widget/protocol/index.js';
import { FRAME_BYTES, FramedChannel, MAX_MESSAGE_BYTES } from '../../../widget/transport/channel.js';
import { fflateReader } from '../../../widget/transport/inflate.js';

/**
 * A link that behaves like simple-peer's stream: write() returns false once `window` bytes are in
 * flight, and 'drain' fires when the test lets the network catch up.
 */
function fakeLink(window = 64 * 1024) {
  const sent: Uint8Array[] = [];
  let inFlight = 0;
  let drainWaiter: (() => void) | null = null;
  return {
    sent,
    get inFlight() {
      return inFlight;
    },
    write(frame: Uint8Array) {
      sent.push(frame);
      inFlight += frame.length;
      return inFlight < window;
    },
    onDrain(callback: () => void) {
      drainWaiter = callback;
    },
    /** The network delivers everything in flight. */
    drain() {
      inFlight = 0;
      const waiter = drainWaiter;
      drainWaiter = null;
      waiter?.();
    },
  };
}

function pair(window?: number) {
  const link = fakeLink(window);
  const received: HostMessage[] = [];
  const errors: CoviewError[] = [];
  // fflate, synchronous: these tests look at framing; async compression has its own test.
  const sender = new FramedChannel<HostMessage, HostMessage>(link, decodeHostMessage, { onMessage: () => {}, onError: () => {} }, { compress: (bytes) => deflateSync(bytes) });
  const receiver = new FramedChannel<HostMessage, HostMessage>(link, decodeHostMessage, {
    onMessage: (m) => received.push(m),
    onError: (e) => errors.push(e),
  }, { reader: fflateReader });
  const deliver = () => {
    for (const frame of link.sent.splice(0)) receiver.receive(frame);
  };
  return { link, sender, receiver, received, errors, deliver };
}


describe('framed channel', () => {
  it('splits a 3 MB message into frames no larger than FRAME_BYTES and reassembles it exactly', () => {
    const { link, sender, received, deliver } = pair(Infinity);
    const message: HostMessage = { type: 'input', id: 7, value: randomText(3_000_000) };
    sender.send(message);
    expect(link.sent.length).toBeGreaterThan(100);
    expect(Math.max(...link.sent.map((f) => f.length))).toBeLessThanOrEqual(FRAME_BYTES);
    deliver();
    expect(received).toHaveLength(1);
    // Compared as a boolean: a diff of 3 MB strings helps nobody.
    expect(JSON.stringify(received[0]) === JSON.stringify(message)).toBe(true);
  });

  it('keeps messages in order, small ones after big ones', () => {
    const { sender, received, deliver } = pair(Infinity);
    sender.send({ type: 'input', id: 1, value: randomText(200_000) });
    sender.send({ type: 'pointer', x: 1, y: 2 });
    sender.send({ type: 'scroll', id: 1, x: 0, y: 300 });
    deliver();
    expect(received.map((m) => m.type)).toEqual(['input', 'pointer', 'scroll']);
  });

  it('stops writing when the link pushes back and resumes on drain, never exceeding the window by more than a frame', () => {
    const window = 64 * 1024;
    const { link, sender, received, deliver } = pair(window);
    sender.send({ type: 'input', id: 1, value: randomText(1_000_000) });
    let rounds = 0;
    while (sender.queuedBytes > 0) {
      expect(link.inFlight).toBeLessThan(window + FRAME_BYTES);
      deliver();
      link.drain();
      rounds++;
    }
    deliver();
    expect(rounds).toBeGreaterThan(5);
    expect(received).toHaveLength(1);
  });

  it('flushed() resolves only once everything was handed to the link', async () => {
    const { link, sender } = pair(32 * 1024);
    sender.send({ type: 'input', id: 1, value: randomText(200_000) });
    let done = false;
    const flushed = sender.flushed().then(() => (done = true));
    await Promise.resolve();
    expect(done).toBe(false);
    while (sender.queuedBytes > 0) link.drain();
    link.drain();
    await flushed;
    expect(done).toBe(true);
  });

  it('drops malformed frames with a clear error and goes on', () => {
    const { receiver, received, errors, sender, deliver } = pair(Infinity);
    receiver.receive(new Uint8Array(0));
    receiver.receive(frame(0, 0, '{not json'));
    receiver.receive(frame(0, 1, '{"type":"pointer","x":"left"}'));
    receiver.receive(frame(0, 2, '{"type":"format-disk"}'));
    receiver.receive(frame(FLAG_DEFLATED, 3, 'not deflate at all'));
    expect(errors.map((e) => e.code)).toEqual(['ERR_MALFORMED_MESSAGE', 'ERR_MALFORMED_MESSAGE', 'ERR_MALFORMED_MESSAGE', 'ERR_MALFORMED_MESSAGE', 'ERR_MALFORMED_MESSAGE']);
    expect(errors[2]!.message).toContain('x should be a finite number');
    sender.send({ type: 'viewport', width: 1, height: 2 });
    deliver();
    expect(received).toEqual([{ type: 'viewport', width: 1, height: 2 }]);
  });

  it('refuses a message over MAX_MESSAGE_BYTES without buffering it, then accepts the next one', () => {
    const { receiver, received, errors } = pair();
    const chunk = frame(FLAG_MORE, 0, 'a'.repeat(FRAME_BYTES - 5));
    const frames = Math.ceil(MAX_MESSAGE_BYTES / (FRAME_BYTES - 5)) + 2;
    for (let i = 0; i < frames; i++) receiver.receive(chunk);
    receiver.receive(frame(0, 0, ''));
    expect(errors.map((e) => e.code)).toEqual(['ERR_MESSAGE_TOO_LARGE']);
    receiver.receive(frame(0, 1, '{"type":"viewport","width":800,"height":600}'));
    expect(received).toEqual([{ type: 'viewport', width: 800, height: 600 }]);
  });

  it('deflates large messages: a repetitive 1 MB message crosses the link in a small fraction of its size', () => {
    const { link, sender, received, deliver } = pair(Infinity);
    const message: HostMessage = { type: 'input', id: 3, value: '<div class="row">hello</div>'.repeat(40_000) };
    sender.send(message);
    const wire = link.sent.reduce((sum, f) => sum + f.length, 0);
    expect(wire).toBeLessThan(JSON.stringify(message).length / 50);
    expect(sender.stats.jsonBytes).toBe(JSON.stringify(message).length);
    deliver();
    expect(JSON.stringify(received[0]) === JSON.stringify(message)).toBe(true);
  });

  it('refuses a deflate bomb (tiny on the wire, huge inflated) and goes on', () => {
    const { receiver, received, errors } = pair();
    const bomb = deflateSync(new Uint8Array(MAX_MESSAGE_BYTES + 1024).fill(0x20));
    expect(bomb.length).toBeLessThan(FRAME_BYTES * 8);
    for (let offset = 0; offset < bomb.length; offset += FRAME_BYTES - 5) {
      const part = bomb.subarray(offset, offset + FRAME_BYTES - 5);
      receiver.receive(frame(FLAG_DEFLATED | (offset + FRAME_BYTES - 5 < bomb.length ? FLAG_MORE : 0), 0, part));
    }
    expect(errors.map((e) => e.code)).toEqual(['ERR_MESSAGE_TOO_LARGE']);
    receiver.receive(frame(0, 1, '{"type":"viewport","width":800,"height":600}'));
    expect(received).toHaveLength(1);
  });

  it('sends priority messages ahead of a big message still queued behind backpressure', () => {
    const { link, sender, received, deliver } = pair(64 * 1024);
    sender.send({ type: 'input', id: 1, value: randomText(2_000_000) });
    sender.send({ type: 'pointer', x: 5, y: 6 }, 'priority');
    deliver();
    expect(received).toEqual([]);
    link.drain();
    deliver();
    // The pointer arrived while most of the big message was still waiting for the network.
    expect(received.map((m) => m.type)).toEqual(['pointer']);
    expect(sender.queuedBytes).toBeGreaterThan(1_000_000);
    while (sender.queuedBytes > 0) {
      link.drain();
      deliver();
    }
    link.drain();
    deliver();
    expect(received.map((m) => m.type)).toEqual(['pointer', 'input']);
  });

  it('with an asynchronous compressor, messages still arrive in the order sent and flushed() waits for them', async () => {
    const link = fakeLink(Infinity);
    const received: HostMessage[] = [];
    const releases: (() => void)[] = [];
    const slowCompressor = (bytes: Uint8Array) => new Promise<Uint8Array>((resolve) => releases.push(() => resolve(deflateSync(bytes))));
    const sender = new FramedChannel<HostMessage, HostMessage>(link, decodeHostMessage, { onMessage: () => {}, onError: () => {} }, { compress: slowCompressor });
    const receiver = new FramedChannel<HostMessage, HostMessage>(link, decodeHostMessage, { onMessage: (m) => received.push(m), onError: () => {} }, { reader: fflateReader });
    sender.send({ type: 'input', id: 1, value: 'a'.repeat(10_000) });
    sender.send({ type: 'viewport', width: 1, height: 1 });
    sender.send({ type: 'input', id: 2, value: 'b'.repeat(10_000) });
    sender.send({ type: 'pointer', x: 1, y: 1 }, 'priority');
    let flushed = false;
    const done = sender.flushed().then(() => (flushed = true));
    for (const frame of link.sent.splice(0)) receiver.receive(frame);
    // Only the priority message could go while the first big one is still being compressed.
    expect(received.map((m) => m.type)).toEqual(['pointer']);
    expect(flushed).toBe(false);
    releases.reverse().forEach((release) => release()); // finish in the wrong order on purpose
    await done;
    for (const frame of link.sent.splice(0)) receiver.receive(frame);
    expect(received.map((m) => (m.type === 'input' ? `input ${m.id}` : m.type))).toEqual(['pointer', 'input 1', 'viewport', 'input 2']);
  });

  it('compresses with the platform CompressionStream by default, readable by the receiver', async () => {
    const link = fakeLink(Infinity);
    const received: HostMessage[] = [];
    const sender = new FramedChannel<HostMessage, HostMessage>(link, decodeHostMessage, { onMessage: () => {}, onError: () => {} });
    const receiver = new FramedChannel<HostMessage, HostMessage>(link, decodeHostMessage, { onMessage: (m) => received.push(m), onError: () => {} }, { reader: fflateReader });
    const message: HostMessage = { type: 'input', id: 3, value: '<li>row</li>'.repeat(20_000) };
    sender.send(message);
    await sender.flushed();
    expect(link.sent.reduce((sum, f) => sum + f.length, 0)).toBeLessThan(20_000);
    for (const frame of link.sent.splice(0)) receiver.receive(frame);
    expect(JSON.stringify(received[0]) === JSON.stringify(message)).toBe(true);
  });

  it('reports a gap when a numbered message never arrived, per lane', () => {
    const { receiver } = pair();
    const received: HostMessage[] = [];
    const gaps: string[] = [];
    const watcher = new FramedChannel<HostMessage, HostMessage>({ write: () => true, onDrain: () => {} }, decodeHostMessage, {
      onMessage: (m) => received.push(m),
      onError: () => {},
      onGap: (lane) => gaps.push(lane),
    }, { reader: fflateReader });
    void receiver;
    watcher.receive(frame(0, 0, '{"type":"viewport","width":1,"height":1}'));
    watcher.receive(frame(0, 1, '{"type":"viewport","width":2,"height":2}'));
    expect(gaps).toEqual([]);
    watcher.receive(frame(0, 3, '{"type":"viewport","width":3,"height":3}'));
    expect(gaps).toEqual(['bulk']);
    watcher.receive(frame(FLAG_PRIORITY, 0, '{"type":"pointer","x":1,"y":1}'));
    watcher.receive(frame(FLAG_PRIORITY, 1, '{"type":"pointer","x":1,"y":1}'));
    watcher.receive(frame(0, 4, '{"type":"viewport","width":4,"height":4}'));
    expect(gaps).toEqual(['bulk']);
    // A message dropped as malformed is a gap too: the view may now be missing it.
    watcher.receive(frame(0, 5, '{"type":"nonsense"}'));
    expect(gaps).toEqual(['bulk', 'bulk']);
    expect(received).toHaveLength(6);
  });
});

const FLAG_MORE = 1;
const FLAG_DEFLATED = 2;
const FLAG_PRIORITY = 4;

/** A frame as the wire carries it: flags, sequence number, payload. */
function frame(flags: number, seq: number, payload: string | Uint8Array): Uint8Array {
  const body = typeof payload === 'string' ? new TextEncoder().encode(payload) : payload;
  const out = new Uint8Array(body.length + 5);
  out[0] = flags;
  new DataView(out.buffer).setUint32(1, seq);
  out.set(body, 5);
  return out;
}

/** Text that does not compress, so its frame count is predictable. */
describe('framed channel: one deflate stream for a streamed run (a snapshot\'s parts)', () => {
  /** A sender with the browser's own stream compressor (Node's CompressionStream here), and a receiver fed as frames arrive. */
  function streaming() {
    const link = fakeLink(Infinity);
    const received: HostMessage[] = [];
    const errors: CoviewError[] = [];
    const gaps: string[] = [];
    const sender = new FramedChannel<HostMessage, HostMessage>(link, decodeHostMessage, { onMessage: () => {}, onError: () => {} });
    const receiver = new FramedChannel<HostMessage, HostMessage>(link, decodeHostMessage, { onMessage: (m) => received.push(m), onError: (e) => errors.push(e), onGap: (lane) => gaps.push(lane) }, { reader: fflateReader });
    const deliver = () => {
      for (const frame of link.sent.splice(0)) receiver.receive(frame);
    };
    return { link, sender, received, errors, gaps, deliver };
  }
  const part = (text: string, i: number): HostMessage => ({ type: 'input', id: i, value: text });

  it('compresses each message against the ones before it: 20 parts repeating one text cost little more than one', async () => {
    const text = randomText(2_000);
    const streamed = streaming();
    for (let i = 0; i < 20; i++) streamed.sender.send(part(text, i), 'bulk', { streamed: true, last: i === 19 });
    await streamed.sender.flushed();
    const apart = streaming();
    for (let i = 0; i < 20; i++) apart.sender.send(part(text, i));
    await apart.sender.flushed();
    const bytes = (sent: Uint8Array[]) => sent.reduce((sum, frame) => sum + frame.length, 0);
    const [inStream, alone] = [bytes(streamed.link.sent), bytes(apart.link.sent)];
    expect(inStream).toBeLessThan(alone / 5);
    streamed.deliver();
    expect(streamed.received).toEqual(Array.from({ length: 20 }, (_, i) => part(text, i)));
    expect([streamed.errors, streamed.gaps]).toEqual([[], []]);
  });

  it('a run far larger than the compressor\'s output pieces (40 parts of 60 KB, read while it is still being written) arrives whole and in order', async () => {
    const { sender, received, errors, gaps, deliver } = streaming();
    const parts = Array.from({ length: 40 }, (_, i) => part(randomText(30_000) + 'ab'.repeat(15_000), i));
    for (const [i, message] of parts.entries()) {
      sender.send(message, 'bulk', { streamed: true, last: i === parts.length - 1 });
      // The receiver reads what has come out so far, as the agent does while the snapshot arrives.
      if (i % 5 === 4) {
        await new Promise((resolve) => setTimeout(resolve, 1));
        deliver();
      }
    }
    await sender.flushed();
    deliver();
    expect(received.length).toBe(parts.length);
    expect(received.every((message, i) => JSON.stringify(message) === JSON.stringify(parts[i]))).toBe(true);
    expect([errors, gaps]).toEqual([[], []]);
  });

  it('cuts the stream into whole frames: every one but the END frame is FRAME_BYTES long', async () => {
    const { link, sender } = streaming();
    for (let i = 0; i < 10; i++) sender.send(part(randomText(40_000), i), 'bulk', { streamed: true, last: i === 9 });
    await sender.flushed();
    const streamFrames = link.sent.filter((frame) => frame[0]! & 8);
    expect(streamFrames.length).toBeGreaterThan(10);
    expect(streamFrames.slice(0, -1).every((frame) => frame.length === FRAME_BYTES && (frame[0]! & 16) === 0)).toBe(true);
    expect(streamFrames.at(-1)![0]! & 16).toBe(16);
  });

  it('takes in what is sent while a run is open; a message sent `streamed: false` ends the run first and goes alone', async () => {
    const { link, sender, received, gaps, deliver } = streaming();
    sender.send(part(randomText(3_000), 1), 'bulk', { streamed: true });
    sender.send({ type: 'console', level: 'warn', text: 'joins the run' });
    sender.send(part(randomText(3_000), 2), 'bulk', { streamed: false });
    await sender.flushed();
    const kinds = link.sent.map((frame) => (frame[0]! & 8 ? 'stream' : 'alone'));
    expect(kinds.at(-1)).toBe('alone');
    expect(kinds.slice(0, -1).every((kind) => kind === 'stream')).toBe(true);
    deliver();
    expect(received.map((m) => m.type)).toEqual(['input', 'console', 'input']);
    expect(gaps).toEqual([]);
  });

  it('a compressor that fails leaves a gap the receiver reports (the agent resyncs), not a run silently cut short', async () => {
    const link = fakeLink(Infinity);
    const gaps: string[] = [];
    const failing = () => ({ write: () => {}, end: () => Promise.reject(new Error('compressor died')) });
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const sender = new FramedChannel<HostMessage, HostMessage>(link, decodeHostMessage, { onMessage: () => {}, onError: () => {} }, { streamCompressor: failing });
    const receiver = new FramedChannel<HostMessage, HostMessage>(link, decodeHostMessage, { onMessage: () => {}, onError: () => {}, onGap: (lane) => gaps.push(lane) }, { reader: fflateReader });
    sender.send(part('lost', 1), 'bulk', { streamed: true, last: true });
    await sender.flushed();
    for (const frame of link.sent) receiver.receive(frame);
    expect(gaps[0]).toBe('bulk');
    expect(warn.mock.calls.some((call) => String(call[0]).includes('the deflate stream failed'))).toBe(true);
    warn.mockRestore();
  });

  it('keeps the order of everything sent: bulk messages before and after the run, priority ones ahead', async () => {
    const { sender, received, gaps, deliver } = streaming();
    sender.send(part(randomText(3_000), 0));
    for (let i = 1; i <= 5; i++) sender.send(part(randomText(3_000), i), 'bulk', { streamed: true });
    sender.send({ type: 'pointer', x: 1, y: 2 }, 'priority');
    // Outside the stream: it ends the stream first, and comes after all of it.
    sender.send(part('after', 6));
    sender.send(part(randomText(3_000), 7), 'bulk', { streamed: true, last: true });
    await sender.flushed();
    deliver();
    expect(received.filter((m) => m.type === 'input').map((m) => (m as { id: number }).id)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(received.map((m) => m.type)).toContain('pointer');
    expect(gaps).toEqual([]);
  });

  it('ends a run nobody ended once it goes quiet, so its messages never wait in the compressor', async () => {
    const { link, sender, received, deliver } = streaming();
    sender.send(part('alone in its stream', 1), 'bulk', { streamed: true });
    await sender.flushed();
    expect(link.sent.at(-1)![0]! & 16).toBe(16);
    deliver();
    expect(received).toEqual([part('alone in its stream', 1)]);
  });

  it('refuses a stream it cannot read once, as a gap, and reads the next stream', async () => {
    const { link, sender, received, errors, gaps, deliver } = streaming();
    for (let i = 0; i < 3; i++) sender.send(part(randomText(20_000), i), 'bulk', { streamed: true, last: i === 2 });
    await sender.flushed();
    // Garble the middle of the stream's bytes.
    const middle = link.sent[Math.floor(link.sent.length / 2)]!;
    for (let i = 5; i < middle.length; i += 3) middle[i]! ^= 0x5a;
    deliver();
    expect(received.length).toBeLessThan(3);
    expect(errors).toHaveLength(1);
    expect(gaps).toEqual(['bulk']);
    sender.send(part('next run', 9), 'bulk', { streamed: true, last: true });
    await sender.flushed();
    deliver();
    expect(received.at(-1)).toEqual(part('next run', 9));
    expect(errors).toHaveLength(1);
  });

  it('refuses a message inside a stream that says it is larger than the limit, without inflating it', () => {
    const errors: CoviewError[] = [];
    const receiver = new FramedChannel<HostMessage, HostMessage>(fakeLink(), decodeHostMessage, { onMessage: () => {}, onError: (e) => errors.push(e) }, { reader: fflateReader });
    const length = new Uint8Array(4);
    new DataView(length.buffer).setUint32(0, MAX_MESSAGE_BYTES + 1);
    const body = deflateSync(length);
    const frame = new Uint8Array(5 + body.length);
    frame[0] = 8 | 16;
    frame.set(body, 5);
    receiver.receive(frame);
    expect(errors.map((e) => e.code)).toEqual(['ERR_MESSAGE_TOO_LARGE']);
  });

  it('without a stream compressor (no CompressionStream) deflates each message of the run on its own', async () => {
    const link = fakeLink(Infinity);
    const received: HostMessage[] = [];
    const sender = new FramedChannel<HostMessage, HostMessage>(link, decodeHostMessage, { onMessage: () => {}, onError: () => {} }, { compress: (bytes) => deflateSync(bytes), streamCompressor: null });
    const receiver = new FramedChannel<HostMessage, HostMessage>(link, decodeHostMessage, { onMessage: (m) => received.push(m), onError: () => {} }, { reader: fflateReader });
    for (let i = 0; i < 3; i++) sender.send(part(randomText(1_000), i), 'bulk', { streamed: true, last: i === 2 });
    await sender.flushed();
    expect(link.sent.every((frame) => (frame[0]! & 8) === 0)).toBe(true);
    for (const frame of link.sent) receiver.receive(frame);
    expect(received).toHaveLength(3);
  });

  it('the customer’s side reads nothing compressed: the agent’s codec sends as it is, and a compressed frame is refused as a gap', async () => {
    const customer = () => {
      const received: HostMessage[] = [];
      const errors: CoviewError[] = [];
      const gaps: string[] = [];
      const channel = new FramedChannel<HostMessage, HostMessage>(fakeLink(), decodeHostMessage, { onMessage: (m) => received.push(m), onError: (e) => errors.push(e), onGap: (lane) => gaps.push(lane) });
      return { channel, received, errors, gaps };
    };
    const big: HostMessage = { type: 'input', id: 1, value: 'typed '.repeat(2_000) };

    const agentLink = fakeLink(Infinity);
    const agent = new FramedChannel<HostMessage, HostMessage>(agentLink, decodeHostMessage, { onMessage: () => {}, onError: () => {} }, { compress: null, streamCompressor: null });
    agent.send(big);
    agent.send(part('streamed? no', 0), 'bulk', { streamed: true, last: true });
    await agent.flushed();
    expect(agentLink.sent.every((frame) => (frame[0]! & (2 | 8)) === 0)).toBe(true);
    const reads = customer();
    for (const frame of agentLink.sent) reads.channel.receive(frame);
    expect(reads.received).toEqual([big, part('streamed? no', 0)]);

    const deflatingLink = fakeLink(Infinity);
    const deflating = new FramedChannel<HostMessage, HostMessage>(deflatingLink, decodeHostMessage, { onMessage: () => {}, onError: () => {} }, { compress: (bytes) => deflateSync(bytes), streamCompressor: null });
    deflating.send(big);
    await deflating.flushed();
    const refuses = customer();
    for (const frame of deflatingLink.sent) refuses.channel.receive(frame);
    expect(refuses.received).toEqual([]);
    expect(refuses.errors.map((e) => e.code)).toEqual(['ERR_MALFORMED_MESSAGE']);
    expect(refuses.gaps).toEqual(['bulk']);
  });
});

function randomText(length: number): string {
  const bytes = randomBytes(length);
  let out = '';
  for (const byte of bytes) out += String.fromCharCode(97 + (byte % 26));
  return out;
}
