import { CoviewError } from './errors.js';
import { fromBase64Url } from './base64.js';
import type { HandshakeSide } from './handshake.js';

/**
 * End-to-end encryption of the relay (see transport/relay.ts): when no peer connection comes up,
 * the framed channel runs through the signaling server, which must forward bytes it cannot read
 * or change unseen.
 *
 * - Keys: each side draws a fresh 16-byte salt per relay link and sends it with its relay notice
 *   (a signal). HKDF-SHA-256 over the code's PBKDF2 secret (handshake.ts), salted with both salts,
 *   gives one AES-256-GCM key per direction, bound to the agent and the peer number. A salt of its
 *   own in every key means a side never encrypts under a key it used before, so its counters can
 *   start at 0 safely, and frames recorded from an earlier link never open under this one.
 * - Frames: an 8-byte counter (big-endian, per direction, from 0), then the AES-GCM ciphertext of
 *   the channel frame. The nonce is 4 zero bytes and the counter; the counter is also the AAD.
 * - The receiver takes exactly the next counter: a lower one is a replay (ERR_RELAY_REPLAYED), a
 *   higher one means a frame was dropped or held back (ERR_RELAY_REORDERED), a failed tag is a
 *   change or another key (ERR_RELAY_TAMPERED). A refused frame is never delivered.
 */
export const RELAY_SALT_BYTES = 16;
/** Counter and GCM tag: what the relay adds to each channel frame. */
export const RELAY_OVERHEAD_BYTES = 8 + 16;

export interface RelayKeys {
  send: CryptoKey;
  receive: CryptoKey;
}

const encoder = new TextEncoder();

/** This side's sending key and the other side's, from the code's secret and both salts. */
export async function deriveRelayKeys(secret: string, me: HandshakeSide, salts: { host: Uint8Array; agent: Uint8Array }): Promise<RelayKeys> {
  if (salts.host.length !== RELAY_SALT_BYTES || salts.agent.length !== RELAY_SALT_BYTES) throw new CoviewError('ERR_MALFORMED_MESSAGE', `A relay salt is ${RELAY_SALT_BYTES} bytes.`);
  const master = await crypto.subtle.importKey('raw', fromBase64Url(secret), 'HKDF', false, ['deriveKey']);
  const salt = new Uint8Array(RELAY_SALT_BYTES * 2);
  salt.set(salts.host, 0);
  salt.set(salts.agent, RELAY_SALT_BYTES);
  const key = (from: 'host' | 'agent') =>
    crypto.subtle.deriveKey(
      { name: 'HKDF', hash: 'SHA-256', salt, info: encoder.encode(`coview/v1/relay/${from}-to-${from === 'host' ? 'agent' : 'host'}/${me.agentId}/${me.peer}`) },
      master,
      { name: 'AES-GCM', length: 256 },
      false,
      ['encrypt', 'decrypt'],
    );
  const [host, agent] = await Promise.all([key('host'), key('agent')]);
  return me.role === 'host' ? { send: host, receive: agent } : { send: agent, receive: host };
}

export function randomRelaySalt(): Uint8Array<ArrayBuffer> {
  return crypto.getRandomValues(new Uint8Array(RELAY_SALT_BYTES));
}

/** Seals frames with this side's counter and opens the other side's strictly in order. */
export class RelayCipher {
  private sent = 0;
  private expected = 0;

  constructor(private readonly keys: RelayKeys) {}

  /** The counter is taken now, so frames sealed one after another keep their order. */
  async seal(frame: Uint8Array): Promise<Uint8Array> {
    const header = counterBytes(this.sent++);
    const sealed = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv: nonce(header), additionalData: header }, this.keys.send, frame as Uint8Array<ArrayBuffer>));
    const out = new Uint8Array(header.length + sealed.length);
    out.set(header, 0);
    out.set(sealed, header.length);
    return out;
  }

  /** Opens the next frame; call one at a time, in arrival order. Throws the refusal's CoviewError. */
  async open(sealed: Uint8Array): Promise<Uint8Array> {
    if (sealed.length < RELAY_OVERHEAD_BYTES) throw new CoviewError('ERR_RELAY_TAMPERED', `A ${sealed.length}-byte relay frame is shorter than its counter and tag.`);
    const header = sealed.slice(0, 8);
    const view = new DataView(header.buffer);
    const counter = view.getUint32(0) * 2 ** 32 + view.getUint32(4);
    if (counter < this.expected) throw new CoviewError('ERR_RELAY_REPLAYED', `Refused relay frame ${counter}: it came before (the next is ${this.expected}).`);
    if (counter > this.expected) throw new CoviewError('ERR_RELAY_REORDERED', `Refused relay frame ${counter}: frame ${this.expected} has not come.`);
    let frame: ArrayBuffer;
    try {
      frame = await crypto.subtle.decrypt({ name: 'AES-GCM', iv: nonce(header), additionalData: header }, this.keys.receive, sealed.slice(8));
    } catch (cause) {
      throw new CoviewError('ERR_RELAY_TAMPERED', `Refused relay frame ${counter}: it fails its integrity check (changed on the way, or sealed under another key).`, { cause });
    }
    this.expected = counter + 1;
    return new Uint8Array(frame);
  }
}

function counterBytes(counter: number): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(8);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, Math.floor(counter / 2 ** 32));
  view.setUint32(4, counter >>> 0);
  return bytes;
}

function nonce(counter: Uint8Array): Uint8Array<ArrayBuffer> {
  const iv = new Uint8Array(12);
  iv.set(counter, 4);
  return iv;
}
