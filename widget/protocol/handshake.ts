import { isRecord } from './decode.js';
import { fromBase64Url, toBase64Url } from './base64.js';
import { normalizeRoomCode } from './room-code.js';

/**
 * The share code is the one secret both people hold; the signaling server must neither learn it
 * nor be able to sit in the middle of the "peer-to-peer" session. Everything that follows from
 * the code lives here, as pure async WebCrypto functions (browsers and Node alike):
 *
 * - `deriveKeys(code)`: PBKDF2-SHA-256 (slow on purpose: HANDSHAKE_KDF.iterations) stretches the
 *   code into a 256-bit secret; HKDF-SHA-256 splits that into the room id (all the server ever
 *   sees) and an HMAC-SHA-256 key that never leaves the browser.
 * - `sealSignal` / `openSignal`: every SDP a side sends carries a MAC over the DTLS fingerprints
 *   of its own SDP (`a=fingerprint:` lines), bound to the room, its role, the agent and the peer
 *   number. The receiver recomputes it over the fingerprints in the SDP it got and refuses the
 *   connection on a mismatch (ERR_HANDSHAKE_TAMPERED): a server that swaps a fingerprint for
 *   its own endpoint's cannot forge the MAC without the code.
 * - `tamperedNotice` / `isTamperedNotice`: the side that refused tells the other (authenticated,
 *   so the server cannot make either side believe the other refused).
 */

/**
 * PBKDF2 cost: ~80–120 ms in Chromium on a quiet core of this project's machine (see the README's threat
 * model for the measurement and what it costs an attacker). The salt is fixed: both sides must
 * agree on it from the code alone, and the code's 45 bits make a precomputed table as costly
 * as the search itself.
 */
export const HANDSHAKE_KDF = { name: 'PBKDF2', hash: 'SHA-256', iterations: 600_000, salt: 'coview/v1/share-code' } as const;

/** A room id: 32 bytes of HKDF output, base64url without padding. */
export const ROOM_ID_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export interface HandshakeKeys {
  /** What the server knows the room by. Reveals nothing of the code short of a brute force through the KDF. */
  roomId: string;
  /** The PBKDF2 output (base64url), kept in this tab's sessionStorage next to the code to resume without paying the KDF again. */
  secret: string;
  /** HMAC-SHA-256 under the code-derived key; not extractable. */
  mac: CryptoKey;
}

/** Who sends a signal, in which session: what a MAC is bound to (besides the room, from the keys). */
export interface HandshakeSide {
  role: 'host' | 'agent';
  /** The agent this peer connection is with (ids are drawn by the server, one per join). */
  agentId: string;
  /** The host's number for this peer connection (a new one after each re-signal). */
  peer: number;
}

const encoder = new TextEncoder();

/** The canonical code's PBKDF2 secret and the keys from it; null when `code` is not a share code. */
export async function deriveKeys(code: string, { iterations = HANDSHAKE_KDF.iterations }: { iterations?: number } = {}): Promise<HandshakeKeys | null> {
  const canonical = normalizeRoomCode(code);
  if (canonical === null) return null;
  const base = await crypto.subtle.importKey('raw', encoder.encode(canonical), 'PBKDF2', false, ['deriveBits']);
  const bits = await crypto.subtle.deriveBits({ name: 'PBKDF2', hash: HANDSHAKE_KDF.hash, salt: encoder.encode(HANDSHAKE_KDF.salt), iterations }, base, 256);
  return keysFromSecret(toBase64Url(new Uint8Array(bits)));
}

/** The keys from a secret `deriveKeys` made (fast: HKDF only). Throws on a malformed secret. */
export async function keysFromSecret(secret: string): Promise<HandshakeKeys> {
  const raw = fromBase64Url(secret);
  if (raw.length !== 32) throw new Error('A handshake secret is 32 bytes.');
  const master = await crypto.subtle.importKey('raw', raw, 'HKDF', false, ['deriveBits', 'deriveKey']);
  const hkdf = (info: string) => ({ name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: encoder.encode(info) });
  const roomId = toBase64Url(new Uint8Array(await crypto.subtle.deriveBits(hkdf('coview/v1/room-id'), master, 256)));
  const mac = await crypto.subtle.deriveKey(hkdf('coview/v1/handshake-mac'), master, { name: 'HMAC', hash: 'SHA-256', length: 256 }, false, ['sign', 'verify']);
  return { roomId, secret, mac };
}

/**
 * The DTLS fingerprints an SDP announces, normalized and sorted: every `a=fingerprint:` line
 * counts (session or media level, well-formed or not), so adding, removing or changing any of
 * them changes the MAC.
 */
export function fingerprintsOf(sdp: string): string[] {
  const found = new Set<string>();
  for (const line of sdp.split(/\r?\n/)) {
    if (!/^a=fingerprint:/i.test(line)) continue;
    const value = line.slice('a=fingerprint:'.length).trim();
    const match = /^(\S+)\s+([0-9A-Fa-f:]+)$/.exec(value);
    found.add(match ? `${match[1]!.toLowerCase()} ${match[2]!.toUpperCase()}` : value);
  }
  return [...found].sort();
}

/** HMAC over the session, the sender and what it vouches for; JSON keeps the fields apart. */
function message(keys: HandshakeKeys, side: HandshakeSide, subject: unknown): Uint8Array<ArrayBuffer> {
  return encoder.encode(JSON.stringify(['coview-handshake/v1', keys.roomId, side.role, side.agentId, side.peer, subject]));
}

/** The MAC `side` sends with its own SDP. */
export async function macFingerprint(keys: HandshakeKeys, side: HandshakeSide, sdp: string): Promise<string> {
  const signature = await crypto.subtle.sign('HMAC', keys.mac, message(keys, side, ['fingerprints', fingerprintsOf(sdp)]));
  return toBase64Url(new Uint8Array(signature));
}

/** Whether `mac` vouches for exactly the fingerprints in `sdp`, from `side` in this room. An SDP without any never passes. */
export async function verifyFingerprint(keys: HandshakeKeys, side: HandshakeSide, sdp: string, mac: string): Promise<boolean> {
  const fingerprints = fingerprintsOf(sdp);
  if (fingerprints.length === 0) return false;
  let signature: Uint8Array<ArrayBuffer>;
  try {
    signature = fromBase64Url(mac);
  } catch {
    return false;
  }
  // WebCrypto's verify compares in constant time.
  return crypto.subtle.verify('HMAC', keys.mac, signature, message(keys, side, ['fingerprints', fingerprints]));
}

/** A simple-peer signal as sent through the server: an SDP carries its MAC. */
export type SealedSignal = { type: 'offer' | 'answer'; sdp: string; mac: string } | { type: 'candidate'; candidate: Record<string, unknown> } | { renegotiate: true };

/** What the receiver makes of a signal: one to feed to the peer, a tampered handshake, or something to drop. */
export type OpenedSignal = { kind: 'signal'; data: unknown } | { kind: 'tampered' } | { kind: 'ignored' };

const SDP_TYPES = new Set(['offer', 'answer', 'pranswer', 'rollback']);

/** Adds the MAC to an outgoing SDP signal; candidates and the rest go as they are. */
export async function sealSignal(keys: HandshakeKeys, side: HandshakeSide, data: unknown): Promise<unknown> {
  if (!isRecord(data) || typeof data.sdp !== 'string') return data;
  return { ...data, mac: await macFingerprint(keys, side, data.sdp) };
}

/**
 * Checks an incoming signal from `from`. Allow-listed: an SDP with a valid MAC (passed on as
 * `{ type, sdp }` only), an ICE candidate, a renegotiation request. An SDP without a MAC or with
 * a wrong one is `tampered`; anything else (text, which simple-peer would parse as JSON and
 * could hide an SDP, unknown shapes) is ignored.
 */
export async function openSignal(keys: HandshakeKeys, from: HandshakeSide, data: unknown): Promise<OpenedSignal> {
  if (!isRecord(data)) return { kind: 'ignored' };
  if ('sdp' in data || SDP_TYPES.has(data.type as string)) {
    const { type, sdp, mac } = data;
    if ((type !== 'offer' && type !== 'answer') || typeof sdp !== 'string' || typeof mac !== 'string') return { kind: 'tampered' };
    return (await verifyFingerprint(keys, from, sdp, mac)) ? { kind: 'signal', data: { type, sdp } } : { kind: 'tampered' };
  }
  if (data.type === 'candidate' && isRecord(data.candidate)) return { kind: 'signal', data: { type: 'candidate', candidate: data.candidate } };
  if (data.renegotiate === true) return { kind: 'signal', data: { renegotiate: true } };
  return { kind: 'ignored' };
}

/** Sent (as a signal's data) by the side that refused a tampered handshake, so the other side stops too. */
export interface TamperedNotice {
  type: 'coview:tampered';
  mac: string;
}

export async function tamperedNotice(keys: HandshakeKeys, side: HandshakeSide): Promise<TamperedNotice> {
  const signature = await crypto.subtle.sign('HMAC', keys.mac, message(keys, side, 'tampered'));
  return { type: 'coview:tampered', mac: toBase64Url(new Uint8Array(signature)) };
}

/** Whether `data` is a notice that really comes from `from` (the server cannot forge one). */
export async function isTamperedNotice(keys: HandshakeKeys, from: HandshakeSide, data: unknown): Promise<boolean> {
  if (!isRecord(data) || data.type !== 'coview:tampered' || typeof data.mac !== 'string') return false;
  try {
    return await crypto.subtle.verify('HMAC', keys.mac, fromBase64Url(data.mac), message(keys, from, 'tampered'));
  } catch {
    return false;
  }
}
