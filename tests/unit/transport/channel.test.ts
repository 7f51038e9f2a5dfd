import { describe, expect, it } from 'vitest';
import { CoviewError, decodeHostMessage, type HostMessage } from '../../../widget/protocol/index.js';
import { FRAME_BYTES, FramedChannel, MAX_MESSAGE_BYTES } from '../../../widget/transport/channel.js';

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
  const sender = new FramedChannel<HostMessage, HostMessage>(link, decodeHostMessage, { onMessage: () => {}, onError: () => {} });
  const receiver = new FramedChannel<HostMessage, HostMessage>(link, decodeHostMessage, {
    onMessage: (m) => received.push(m),
    onError: (e) => errors.push(e),
  });
  const deliver = () => {
    for (const frame of link.sent.splice(0)) receiver.receive(frame);
  };
  return { link, sender, receiver, received, errors, deliver };
}

const bigText = (bytes: number) => 'é'.repeat(bytes / 2); // two UTF-8 bytes per character

describe('framed channel', () => {
  it('splits a 3 MB message into frames no larger than FRAME_BYTES and reassembles it exactly', () => {
    const { link, sender, received, deliver } = pair(Infinity);
    const message: HostMessage = { type: 'input', id: 7, value: bigText(3_000_000) };
    sender.send(message);
    expect(link.sent.length).toBeGreaterThan(180);
    expect(Math.max(...link.sent.map((f) => f.length))).toBeLessThanOrEqual(FRAME_BYTES);
    deliver();
    expect(received).toHaveLength(1);
    // Compared as a boolean: a diff of 3 MB strings helps nobody.
    expect(JSON.stringify(received[0]) === JSON.stringify(message)).toBe(true);
  });

  it('keeps messages in order, small ones after big ones', () => {
    const { sender, received, deliver } = pair(Infinity);
    sender.send({ type: 'input', id: 1, value: bigText(200_000) });
    sender.send({ type: 'pointer', x: 1, y: 2 });
    sender.send({ type: 'scroll', id: 1, x: 0, y: 300 });
    deliver();
    expect(received.map((m) => m.type)).toEqual(['input', 'pointer', 'scroll']);
  });

  it('stops writing when the link pushes back and resumes on drain, never exceeding the window by more than a frame', () => {
    const window = 64 * 1024;
    const { link, sender, received, deliver } = pair(window);
    sender.send({ type: 'input', id: 1, value: bigText(1_000_000) });
    let rounds = 0;
    while (sender.queuedBytes > 0) {
      expect(link.inFlight).toBeLessThan(window + FRAME_BYTES);
      deliver();
      link.drain();
      rounds++;
    }
    deliver();
    expect(rounds).toBeGreaterThan(10);
    expect(received).toHaveLength(1);
  });

  it('flushed() resolves only once everything was handed to the link', async () => {
    const { link, sender } = pair(32 * 1024);
    sender.send({ type: 'input', id: 1, value: bigText(200_000) });
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
    const { receiver, received, errors, sender, link, deliver } = pair(Infinity);
    receiver.receive(new Uint8Array(0));
    receiver.receive(new Uint8Array([0, ...new TextEncoder().encode('{not json')]));
    receiver.receive(new Uint8Array([0, ...new TextEncoder().encode('{"type":"pointer","x":"left"}')]));
    receiver.receive(new Uint8Array([0, ...new TextEncoder().encode('{"type":"format-disk"}')]));
    expect(errors.map((e) => e.code)).toEqual(['ERR_MALFORMED_MESSAGE', 'ERR_MALFORMED_MESSAGE', 'ERR_MALFORMED_MESSAGE', 'ERR_MALFORMED_MESSAGE']);
    expect(errors[2]!.message).toContain('x should be a finite number');
    sender.send({ type: 'pointer', x: 1, y: 2 });
    deliver();
    expect(received).toEqual([{ type: 'pointer', x: 1, y: 2 }]);
    void link;
  });

  it('refuses a message over MAX_MESSAGE_BYTES without buffering it, then accepts the next one', () => {
    const { receiver, received, errors } = pair();
    const chunk = new Uint8Array(FRAME_BYTES).fill(0x61);
    chunk[0] = 1; // more frames follow
    const frames = Math.ceil(MAX_MESSAGE_BYTES / (FRAME_BYTES - 1)) + 2;
    for (let i = 0; i < frames; i++) receiver.receive(chunk);
    receiver.receive(new Uint8Array([0]));
    expect(errors.map((e) => e.code)).toEqual(['ERR_MESSAGE_TOO_LARGE']);
    receiver.receive(new Uint8Array([0, ...new TextEncoder().encode('{"type":"viewport","width":800,"height":600}')]));
    expect(received).toEqual([{ type: 'viewport', width: 800, height: 600 }]);
  });
});
