import { describe, expect, it } from 'vitest';
import {
  deriveKeys,
  fingerprintsOf,
  isTamperedNotice,
  keysFromSecret,
  macFingerprint,
  openSignal,
  randomRoomCode,
  ROOM_ID_PATTERN,
  sealSignal,
  tamperedNotice,
  verifyFingerprint,
  type HandshakeKeys,
  type HandshakeSide,
} from '../../../widget/protocol/index.js';

// The product's cost makes each derivation ~100 ms; these tests check the construction, not the cost.
const FAST = { iterations: 1_000 };
const keysOf = async (code: string) => (await deriveKeys(code, FAST))!;

const FP_HOST = 'sha-256 4F:1A:0C:9E:22:7B:31:D0:88:AA:15:6E:C3:90:2D:47:EE:01:5A:BC:73:19:64:F2:0D:8B:C5:36:A7:E9:42:10';
const FP_MITM = 'sha-256 0B:77:E1:4C:95:3A:D8:62:1F:A0:C4:59:8E:27:B3:6D:11:F9:40:AC:5E:83:D2:1B:66:07:C9:3F:E4:58:9A:21';
const sdpWith = (...fingerprints: string[]) =>
  ['v=0', 'o=- 4611731400430051336 2 IN IP4 127.0.0.1', 's=-', 't=0 0', 'm=application 9 UDP/DTLS/SCTP webrtc-datachannel', ...fingerprints.map((fp) => `a=fingerprint:${fp}`), 'a=setup:actpass', ''].join('\r\n');

const HOST: HandshakeSide = { role: 'host', agentId: 'agent-1', peer: 1 };
const AGENT: HandshakeSide = { role: 'agent', agentId: 'agent-1', peer: 1 };

describe('key derivation from the share code', () => {
  it('is deterministic, and the same for every way a person types the code', async () => {
    const a = await keysOf('K7Q-M2X-9FD');
    for (const typed of ['K7Q-M2X-9FD', 'k7q m2x 9fd', 'K7QM2X9FD', '#K7Q-M2X-9FD']) expect((await keysOf(typed)).roomId).toBe(a.roomId);
    // O is read as 0, I and L as 1.
    expect((await keysOf('K7Q-M2X-9FO')).roomId).toBe((await keysOf('K7Q-M2X-9F0')).roomId);
    expect(a.roomId).toMatch(ROOM_ID_PATTERN);
  });

  it('differs for every code, one character apart included, and refuses what is not a code', async () => {
    const ids = await Promise.all(['K7Q-M2X-9FD', 'K7Q-M2X-9FE', 'J7Q-M2X-9FD', '000-000-000', '000-000-001'].map(async (code) => (await keysOf(code)).roomId));
    expect(new Set(ids).size).toBe(ids.length);
    expect(await deriveKeys('K7Q-M2X', FAST)).toBeNull();
    expect(await deriveKeys('K7Q-M2X-9FU', FAST)).toBeNull();
  });

  it('gives room ids that reveal nothing of the code: no code text in them, unrelated bits for neighbouring codes', async () => {
    const codes = ['000-000-000', '000-000-001', '000-000-002', '000-000-003', 'K7Q-M2X-9FD', 'K7Q-M2X-9FE'];
    const ids = await Promise.all(codes.map(async (code) => (await keysOf(code)).roomId));
    for (const [i, code] of codes.entries()) {
      const id = ids[i]!.toLowerCase();
      for (const part of [code.replaceAll('-', ''), ...code.split('-')]) expect(id).not.toContain(part.toLowerCase());
    }
    // Neighbouring codes: about half of the 256 bits differ (an unrelated id), never a shared prefix.
    const bits = (id: string) => [...Buffer.from(id, 'base64url')].map((byte) => byte.toString(2).padStart(8, '0')).join('');
    for (let i = 1; i < ids.length; i++) {
      const [x, y] = [bits(ids[i - 1]!), bits(ids[i]!)];
      const differing = [...x].filter((bit, j) => bit !== y[j]).length;
      expect(differing).toBeGreaterThan(80);
      expect(differing).toBeLessThan(176);
      expect(ids[i]!.slice(0, 4)).not.toBe(ids[i - 1]!.slice(0, 4));
    }
  });

  it('the iteration count is part of the key (the KDF really runs)', async () => {
    expect((await deriveKeys('K7Q-M2X-9FD', { iterations: 1_001 }))!.roomId).not.toBe((await keysOf('K7Q-M2X-9FD')).roomId);
  });

  it('restores the same keys from the saved secret, without the KDF', async () => {
    const keys = await keysOf('K7Q-M2X-9FD');
    const restored = await keysFromSecret(keys.secret);
    expect(restored.roomId).toBe(keys.roomId);
    const mac = await macFingerprint(keys, HOST, sdpWith(FP_HOST));
    expect(await verifyFingerprint(restored, HOST, sdpWith(FP_HOST), mac)).toBe(true);
    await expect(keysFromSecret('short')).rejects.toThrow();
  });

  it('draws codes from crypto randomness in the share-code format', () => {
    const codes = Array.from({ length: 200 }, () => randomRoomCode());
    for (const code of codes) expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{3}-[0-9A-HJKMNP-TV-Z]{3}-[0-9A-HJKMNP-TV-Z]{3}$/);
    expect(new Set(codes).size).toBe(codes.length);
  });
});

describe('the fingerprint MAC', () => {
  let keys: HandshakeKeys;
  const ready = keysOf('K7Q-M2X-9FD').then((k) => (keys = k));

  it('accepts the fingerprint that was sent', async () => {
    await ready;
    const mac = await macFingerprint(keys, HOST, sdpWith(FP_HOST));
    expect(await verifyFingerprint(keys, HOST, sdpWith(FP_HOST), mac)).toBe(true);
    // What the MAC covers is the fingerprints, written any way a browser may write them.
    expect(await verifyFingerprint(keys, HOST, sdpWith(FP_HOST.replace('sha-256', 'SHA-256').toLowerCase().replace('sha-256', 'sha-256')), mac)).toBe(true);
  });

  it('refuses a swapped fingerprint, an added one, and an SDP without any', async () => {
    await ready;
    const mac = await macFingerprint(keys, HOST, sdpWith(FP_HOST));
    expect(await verifyFingerprint(keys, HOST, sdpWith(FP_MITM), mac)).toBe(false);
    expect(await verifyFingerprint(keys, HOST, sdpWith(FP_HOST, FP_MITM), mac)).toBe(false);
    expect(await verifyFingerprint(keys, HOST, sdpWith(FP_HOST.replace('sha-256', 'sha-1')), mac)).toBe(false);
    expect(await verifyFingerprint(keys, HOST, sdpWith(), await macFingerprint(keys, HOST, sdpWith()))).toBe(false);
  });

  it('refuses it from the wrong role, for another agent or peer, in another room, or under another code', async () => {
    await ready;
    const sdp = sdpWith(FP_HOST);
    const mac = await macFingerprint(keys, HOST, sdp);
    expect(await verifyFingerprint(keys, AGENT, sdp, mac)).toBe(false);
    expect(await verifyFingerprint(keys, { ...HOST, agentId: 'agent-2' }, sdp, mac)).toBe(false);
    expect(await verifyFingerprint(keys, { ...HOST, peer: 2 }, sdp, mac)).toBe(false);
    expect(await verifyFingerprint({ ...keys, roomId: (await keysOf('000-000-000')).roomId }, HOST, sdp, mac)).toBe(false);
    expect(await verifyFingerprint(await keysOf('K7Q-M2X-9FE'), HOST, sdp, mac)).toBe(false);
    expect(await verifyFingerprint(keys, HOST, sdp, 'not base64!')).toBe(false);
    expect(await verifyFingerprint(keys, HOST, sdp, '')).toBe(false);
  });

  it('reads every a=fingerprint line, session and media level, normalized and sorted', () => {
    expect(fingerprintsOf(`a=fingerprint:${FP_MITM}\r\nm=application 9\r\na=fingerprint:SHA-256 ${FP_HOST.slice(8).toLowerCase()}\r\na=fingerprint: garbage\r\n`)).toEqual([FP_MITM, FP_HOST, 'garbage'].sort());
  });
});

describe('signals through the server', () => {
  let keys: HandshakeKeys;
  const ready = keysOf('K7Q-M2X-9FD').then((k) => (keys = k));

  it('an SDP travels with its MAC and comes out as exactly { type, sdp }', async () => {
    await ready;
    const sealed = await sealSignal(keys, HOST, { type: 'offer', sdp: sdpWith(FP_HOST) });
    expect(sealed).toMatchObject({ type: 'offer', mac: expect.any(String) });
    expect(await openSignal(keys, HOST, sealed)).toEqual({ kind: 'signal', data: { type: 'offer', sdp: sdpWith(FP_HOST) } });
  });

  it('a tampered, stripped or reflected SDP is refused as tampered', async () => {
    await ready;
    const sealed = (await sealSignal(keys, HOST, { type: 'offer', sdp: sdpWith(FP_HOST) })) as { type: string; sdp: string; mac: string };
    expect(await openSignal(keys, HOST, { ...sealed, sdp: sdpWith(FP_MITM) })).toEqual({ kind: 'tampered' });
    expect(await openSignal(keys, HOST, { type: 'offer', sdp: sealed.sdp })).toEqual({ kind: 'tampered' });
    // The host's own offer sent back to it as the agent's answer.
    expect(await openSignal(keys, AGENT, { ...sealed, type: 'answer' })).toEqual({ kind: 'tampered' });
    expect(await openSignal(keys, HOST, { type: 'pranswer', sdp: sealed.sdp, mac: sealed.mac })).toEqual({ kind: 'tampered' });
  });

  it('candidates and renegotiation pass; text (which could hide an SDP) and unknown shapes are dropped', async () => {
    await ready;
    const candidate = { candidate: 'candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host', sdpMid: '0', sdpMLineIndex: 0 };
    expect(await openSignal(keys, HOST, await sealSignal(keys, HOST, { type: 'candidate', candidate }))).toEqual({ kind: 'signal', data: { type: 'candidate', candidate } });
    expect(await openSignal(keys, HOST, { renegotiate: true })).toEqual({ kind: 'signal', data: { renegotiate: true } });
    expect(await openSignal(keys, HOST, JSON.stringify({ type: 'offer', sdp: sdpWith(FP_MITM) }))).toEqual({ kind: 'ignored' });
    expect(await openSignal(keys, HOST, { transceiverRequest: { kind: 'video' } })).toEqual({ kind: 'ignored' });
    expect(await openSignal(keys, HOST, null)).toEqual({ kind: 'ignored' });
  });

  it('a tampered-handshake notice is believed only from the side that knows the code', async () => {
    await ready;
    const notice = await tamperedNotice(keys, AGENT);
    expect(await isTamperedNotice(keys, AGENT, notice)).toBe(true);
    expect(await isTamperedNotice(keys, HOST, notice)).toBe(false);
    expect(await isTamperedNotice(keys, { ...AGENT, peer: 2 }, notice)).toBe(false);
    expect(await isTamperedNotice(keys, AGENT, { type: 'coview:tampered', mac: 'forged' })).toBe(false);
    expect(await isTamperedNotice(await keysOf('000-000-000'), AGENT, notice)).toBe(false);
  });
});
