import { describe, expect, it, vi } from 'vitest';
import { CoviewError, decodeHostMessage, type HostMessage } from '../../../widget/protocol/index.js';
import { RelayCipher, deriveRelayKeys, randomRelaySalt } from '../../../widget/protocol/relay-crypto.js';
import { FramedChannel } from '../../../widget/transport/channel.js';
import { fflateReader } from '../../../widget/transport/inflate.js';
import { createRelayLink, type RelayLink } from '../../../widget/transport/relay.js';

/**
 * A host's relay link and an agent's, with real keys (WebCrypto, as in the browser), joined by a
 * stand-in for the server that hands each sealed frame to the other side, and its acks back.
 */
async function linkedPair(agentData: (frame: Uint8Array) => void = () => {}) {
  const secret = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url');
  const salts = { host: randomRelaySalt(), agent: randomRelaySalt() };
  const cipher = (role: 'host' | 'agent') => deriveRelayKeys(secret, { role, agentId: 'a1', peer: 1 }, salts).then((keys) => new RelayCipher(keys));
  const emitted: string[] = [];
  const errors: (CoviewError | undefined)[] = [];
  let agent: RelayLink | null = null;
  const host = createRelayLink(
    {
      cipher: cipher('host'),
      send(sealed) {
        emitted.push(sealed);
        void agent!.receive(sealed);
      },
      acknowledge() {},
    },
    { connect() {}, data() {}, close() {} },
  );
  agent = createRelayLink(
    { cipher: cipher('agent'), send() {}, acknowledge: (count) => host.acknowledged({ count }) },
    { connect() {}, data: agentData, close: (error) => errors.push(error) },
  );
  await new Promise<void>((resolve) => {
    const poll = () => (host.connected && agent!.connected ? resolve() : setTimeout(poll, 5));
    poll();
  });
  return { host, agent, emitted, errors };
}

describe('the relay link', () => {
  it('still seals and emits the goodbye written just before destroy() (what endLives does)', async () => {
    const received: HostMessage[] = [];
    const agentChannel = new FramedChannel<HostMessage, HostMessage>({ write: () => true, onDrain: () => {} }, decodeHostMessage, { onMessage: (m) => received.push(m), onError: () => {} }, { reader: fflateReader });
    const { host, emitted } = await linkedPair((frame) => agentChannel.receive(frame));
    const channel = new FramedChannel<HostMessage, HostMessage>(host, decodeHostMessage, { onMessage() {}, onError() {} });
    channel.send({ type: 'end', reason: 'navigating' });
    await Promise.race([channel.flushed(), new Promise((resolve) => setTimeout(resolve, 300))]);
    host.destroy();
    expect(host.connected).toBe(false);
    await expect.poll(() => received).toEqual([{ type: 'end', reason: 'navigating' }]);
    expect(emitted).toHaveLength(1);
    // Nothing written after destroy() goes out.
    host.write(new Uint8Array([1, 2, 3]));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(emitted).toHaveLength(1);
  });
});

describe('the relay link, when its data handler throws', () => {
  it('acknowledges that frame and goes on opening and handing over the next ones', async () => {
    const handled: number[] = [];
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const { host, errors } = await linkedPair((frame) => {
        if (frame[0] === 1) throw new Error('a bug in the page’s handler');
        handled.push(frame[0]!);
      });
      host.write(new Uint8Array([0]));
      host.write(new Uint8Array([1]));
      host.write(new Uint8Array([2]));
      host.write(new Uint8Array([3]));
      await expect.poll(() => handled).toEqual([0, 2, 3]);
      // Every frame was acknowledged (the window is free again) and the link is still up.
      await new Promise<void>((resolve) => host.onDrain(resolve));
      expect(host.connected).toBe(true);
      expect(errors).toEqual([]);
      expect(warn).toHaveBeenCalledWith(expect.stringContaining('could not be handled'), 'ERR_PEER', expect.any(Error));
    } finally {
      warn.mockRestore();
    }
  });
});
