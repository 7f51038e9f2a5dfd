import { describe, expect, it } from 'vitest';
import { decodeHostMessage, deriveKeys, deriveRelayKeys, randomRelaySalt, RelayCipher, type HandshakeSide, type HostMessage } from '../../../widget/protocol/index.js';
import { FramedChannel } from '../../../widget/transport/channel.js';
import { fflateReader } from '../../../widget/transport/inflate.js';
import { ACK_DELAY_MS, ACK_EVERY_FRAMES, createRelayLink, WINDOW_FRAMES } from '../../../widget/transport/relay.js';

// The product's cost makes each derivation ~100 ms; these tests check the construction, not the cost.
const FAST = { iterations: 1_000 };
const secretOf = async (code: string) => (await deriveKeys(code, FAST))!.secret;

const HOST: HandshakeSide = { role: 'host', agentId: 'agent-1', peer: 3 };
const AGENT: HandshakeSide = { role: 'agent', agentId: 'agent-1', peer: 3 };

/** Both sides' ciphers for one relay link, from one code and one pair of salts. */
async function pair(code = 'ABCD-EFGH-J', salts = { host: randomRelaySalt(), agent: randomRelaySalt() }) {
  const secret = await secretOf(code);
  return { host: new RelayCipher(await deriveRelayKeys(secret, HOST, salts)), agent: new RelayCipher(await deriveRelayKeys(secret, AGENT, salts)), salts, secret };
}

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (frame: Uint8Array) => new TextDecoder().decode(frame);

describe('relay frames: AES-GCM with per-direction counters', () => {
  it('opens what the other side sealed, in order, and never shows the plaintext on the wire', async () => {
    const { host, agent } = await pair();
    const sealed = [await host.seal(bytes('canary-1 secret page text')), await host.seal(bytes('canary-2'))];
    expect(text(sealed[0]!)).not.toContain('canary');
    expect(Buffer.from(sealed[0]!).includes(Buffer.from('canary'))).toBe(false);
    // The counter leads each frame, from 0, one per frame.
    expect([...sealed[0]!.subarray(0, 8)]).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect([...sealed[1]!.subarray(0, 8)]).toEqual([0, 0, 0, 0, 0, 0, 0, 1]);
    expect(text(await agent.open(sealed[0]!))).toBe('canary-1 secret page text');
    expect(text(await agent.open(sealed[1]!))).toBe('canary-2');
    // The other direction has its own key and counter.
    expect(text(await host.open(await agent.seal(bytes('from the agent'))))).toBe('from the agent');
  });

  it('keys differ by direction: a side cannot open its own frames (a reflected frame is refused)', async () => {
    const { host } = await pair();
    await expect(host.open(await host.seal(bytes('reflected')))).rejects.toMatchObject({ code: 'ERR_RELAY_TAMPERED' });
  });

  it('refuses a replayed frame, and goes on with the next one', async () => {
    const { host, agent } = await pair();
    const first = await host.seal(bytes('one'));
    const second = await host.seal(bytes('two'));
    await agent.open(first);
    await expect(agent.open(first)).rejects.toMatchObject({ code: 'ERR_RELAY_REPLAYED' });
    expect(text(await agent.open(second))).toBe('two');
  });

  it('refuses a frame out of order (one dropped or held back), and takes the missing one still', async () => {
    const { host, agent } = await pair();
    const first = await host.seal(bytes('one'));
    const second = await host.seal(bytes('two'));
    await expect(agent.open(second)).rejects.toMatchObject({ code: 'ERR_RELAY_REORDERED' });
    expect(text(await agent.open(first))).toBe('one');
    expect(text(await agent.open(second))).toBe('two');
  });

  it('refuses a frame whose ciphertext, tag or counter was changed, without moving on', async () => {
    const { host, agent } = await pair();
    const frame = await host.seal(bytes('untouched'));
    for (const at of [8, frame.length - 1]) {
      const changed = frame.slice();
      changed[at]! ^= 1;
      await expect(agent.open(changed)).rejects.toMatchObject({ code: 'ERR_RELAY_TAMPERED' });
    }
    // A counter rewritten to the expected one on a later frame: the counter is in the nonce and the AAD.
    await host.seal(bytes('skipped'));
    const later = await host.seal(bytes('later'));
    const renumbered = later.slice();
    renumbered[7] = 0;
    await expect(agent.open(renumbered)).rejects.toMatchObject({ code: 'ERR_RELAY_TAMPERED' });
    await expect(agent.open(frame.subarray(0, 10))).rejects.toMatchObject({ code: 'ERR_RELAY_TAMPERED' });
    expect(text(await agent.open(frame))).toBe('untouched');
  });

  it('refuses frames under another code, another salt, another agent or another peer number', async () => {
    const { host, salts, secret } = await pair('ABCD-EFGH-J');
    const frame = await host.seal(bytes('for one link only'));
    const others = [
      new RelayCipher(await deriveRelayKeys(await secretOf('ABCD-EFGH-K'), AGENT, salts)),
      new RelayCipher(await deriveRelayKeys(secret, AGENT, { ...salts, host: randomRelaySalt() })),
      new RelayCipher(await deriveRelayKeys(secret, AGENT, { ...salts, agent: randomRelaySalt() })),
      new RelayCipher(await deriveRelayKeys(secret, { ...AGENT, agentId: 'agent-2' }, salts)),
      new RelayCipher(await deriveRelayKeys(secret, { ...AGENT, peer: 4 }, salts)),
    ];
    for (const other of others) await expect(other.open(frame)).rejects.toMatchObject({ code: 'ERR_RELAY_TAMPERED' });
  });

  it('refuses salts of the wrong size', async () => {
    const secret = await secretOf('ABCD-EFGH-J');
    await expect(deriveRelayKeys(secret, HOST, { host: new Uint8Array(8), agent: randomRelaySalt() })).rejects.toMatchObject({ code: 'ERR_MALFORMED_MESSAGE' });
  });
});

/** Two relay links wired back to back, as the server would: every sealed frame (base64) goes through `wire` (which may drop, replay or change it); acks go straight back. */
async function linkedPair(wire: (sealed: string, deliver: (frame: string) => Promise<void>) => Promise<void> = (sealed, deliver) => deliver(sealed)) {
  const { host, agent } = await pair();
  const events = { hostData: [] as Uint8Array[], hostClosed: [] as (string | undefined)[], agentClosed: [] as (string | undefined)[], acks: [] as number[] };
  /** What the wire did with each frame, delivery and the receiver's handling included. */
  const wired: Promise<void>[] = [];
  const hostLink = createRelayLink(
    { cipher: Promise.resolve(host), send: (sealed) => void wired.push(wire(sealed, (frame) => agentLink.receive(frame))), acknowledge: () => {} },
    { connect: () => {}, data: (frame) => events.hostData.push(frame), close: (error) => events.hostClosed.push(error?.code) },
  );
  const agentMessages: HostMessage[] = [];
  const agentLink = createRelayLink(
    {
      cipher: Promise.resolve(agent),
      send: () => {},
      acknowledge: (count) => {
        events.acks.push(count);
        hostLink.acknowledged({ count });
      },
    },
    { connect: () => {}, data: (frame) => channel.receive(frame), close: (error) => events.agentClosed.push(error?.code) },
  );
  const channel = new FramedChannel<never, HostMessage>(agentLink, decodeHostMessage, { onMessage: (message) => agentMessages.push(message), onError: () => {} }, { reader: fflateReader });
  await Promise.resolve();
  /** Resolves once every frame the host wrote was sealed, sent, and opened and handled by the agent (or refused): no sleeping on a busy machine. */
  const delivered = async () => {
    await hostLink.emitted();
    await Promise.allSettled(wired);
  };
  return { hostLink, agentLink, agentMessages, events, delivered };
}

describe('the relay link', () => {
  it('carries the framed channel, big messages cut into frames included', async () => {
    const { hostLink, agentMessages, delivered } = await linkedPair();
    const sender = new FramedChannel<HostMessage, never>(hostLink, decodeHostMessage as never, { onMessage: () => {}, onError: () => {} }, { compress: (json) => json });
    // Two frames' worth, sent uncompressed: it is cut into frames and put back together.
    const big = 'x'.repeat(9_000) + 'y'.repeat(9_000);
    sender.send({ type: 'asset', url: 'https://shop.example/a.png', hash: 'h', mime: 'image/png', base64: big });
    sender.send({ type: 'scroll', id: 1, x: 0, y: 5 }, 'priority');
    await sender.flushed();
    await delivered();
    expect(agentMessages.map((m) => m.type).sort()).toEqual(['asset', 'scroll']);
    expect((agentMessages.find((m) => m.type === 'asset') as { base64: string }).base64).toBe(big);
  });

  it('lets at most a window of frames go unacknowledged, then waits for drain', async () => {
    const sent: string[] = [];
    const { host } = await pair();
    const link = createRelayLink({ cipher: Promise.resolve(host), send: (data) => sent.push(data), acknowledge: () => {} }, { connect: () => {}, data: () => {}, close: () => {} });
    await Promise.resolve();
    await Promise.resolve();
    const answers: boolean[] = [];
    for (let i = 0; i < WINDOW_FRAMES; i++) answers.push(link.write(new Uint8Array(10)));
    expect(answers.slice(0, -1).every(Boolean)).toBe(true);
    expect(answers.at(-1)).toBe(false);
    let drained = false;
    link.onDrain(() => (drained = true));
    await link.emitted();
    expect(sent.length).toBe(WINDOW_FRAMES);
    expect(drained).toBe(false);
    // An ack for more than was sent (a server's invention) counts for no more than was sent; one for none changes nothing.
    link.acknowledged({ count: 0 });
    expect(drained).toBe(false);
    link.acknowledged({ count: 1 });
    expect(drained).toBe(true);
    expect(link.write(new Uint8Array(10))).toBe(false);
    link.acknowledged({ count: 1_000 });
    expect(link.write(new Uint8Array(10))).toBe(true);
  });

  it('acknowledges cumulatively: once every ACK_EVERY_FRAMES frames, and the rest soon after the last', async () => {
    const { hostLink, events } = await linkedPair();
    const sender = new FramedChannel<HostMessage, never>(hostLink, decodeHostMessage as never, { onMessage: () => {}, onError: () => {} }, { compress: (json) => json });
    const frames = ACK_EVERY_FRAMES * 2 + 3;
    for (let i = 0; i < frames; i++) sender.send({ type: 'console', level: 'warn', text: `message ${i}` });
    await sender.flushed();
    await expect.poll(() => events.acks).toEqual([ACK_EVERY_FRAMES, ACK_EVERY_FRAMES * 2]);
    const waited = Date.now();
    await expect.poll(() => events.acks.length, { timeout: ACK_DELAY_MS * 4 }).toBe(3);
    expect(Date.now() - waited).toBeGreaterThanOrEqual(ACK_DELAY_MS * 0.8);
    expect(events.acks.at(-1)).toBe(frames);
    // Everything acknowledged: the whole window is free.
    let drained = false;
    hostLink.onDrain(() => (drained = true));
    await Promise.resolve();
    expect(drained).toBe(true);
  });

  it('ends with ERR_RELAY_REFUSED when the server or the receiver refuses the link', async () => {
    const { hostLink, events } = await linkedPair();
    hostLink.acknowledged({ count: 0, refused: { code: 'ERR_RELAY_REFUSED', message: 'Too much relayed data is waiting in this session: slow down.' } });
    expect(events.hostClosed).toEqual(['ERR_RELAY_REFUSED']);
    expect(hostLink.connected).toBe(false);
  });

  it('drops a replayed frame and carries on; a reordered or tampered one ends the link with its code (nothing applied)', async () => {
    for (const [attack, expected] of [
      ['replay', undefined],
      ['reorder', 'ERR_RELAY_REORDERED'],
      ['tamper', 'ERR_RELAY_TAMPERED'],
    ] as const) {
      let held: string | null = null;
      let count = 0;
      const { hostLink, agentMessages, events, delivered } = await linkedPair(async (sealed, deliver) => {
        count++;
        if (attack === 'replay') {
          await deliver(sealed);
          return deliver(sealed);
        }
        if (attack === 'reorder' && count === 2) {
          held = sealed;
          return;
        }
        if (attack === 'reorder' && count === 3) {
          await deliver(sealed);
          return deliver(held!);
        }
        if (attack === 'tamper' && count === 2) {
          const changed = Buffer.from(sealed, 'base64');
          changed[changed.length - 3]! ^= 0x40;
          return deliver(changed.toString('base64'));
        }
        return deliver(sealed);
      });
      const sender = new FramedChannel<HostMessage, never>(hostLink, decodeHostMessage as never, { onMessage: () => {}, onError: () => {} }, { compress: (json) => json });
      for (let i = 0; i < 3; i++) sender.send({ type: 'console', level: 'warn', text: `message ${i}` });
      await sender.flushed();
      await delivered();
      const texts = agentMessages.map((m) => (m as { text: string }).text);
      if (expected === undefined) {
        expect(texts, attack).toEqual(['message 0', 'message 1', 'message 2']);
        expect(events.agentClosed, attack).toEqual([]);
      } else {
        // Only what came before the attack was applied; the link says why it ended.
        expect(texts, attack).toEqual(['message 0']);
        expect(events.agentClosed, attack).toEqual([expected]);
      }
    }
  });
});
