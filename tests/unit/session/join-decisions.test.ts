import { describe, expect, it } from 'vitest';
import { joinAction, nextWait } from '../../../widget/session/join-decisions.js';
import { peerFailureIn } from '../../../widget/protocol/index.js';
import { webrtcSupported } from '../../../widget/transport/peer.js';

describe('what a code arriving on the join page does', () => {
  it('joins when no session is on screen, whatever ended or failed before', () => {
    for (const status of ['idle', 'ended', 'error'] as const) expect(joinAction('K7Q-M2X-9FD', { status })).toBe('join');
  });

  it('a malformed code with no session on screen still joins (to show why it is wrong); an empty one does nothing', () => {
    expect(joinAction('12345', { status: 'idle' })).toBe('join');
    expect(joinAction('  ', { status: 'ended' })).toBe('ignore');
  });

  it('the code of the session on screen, however it is typed, keeps that session', () => {
    for (const status of ['connecting', 'waiting', 'live', 'reconnecting'] as const) {
      expect(joinAction('k7qm2x9fd', { status, code: 'K7Q-M2X-9FD' })).toBe('stay');
    }
  });

  it('another code leaves the session on screen for the new one', () => {
    expect(joinAction('ABC-DEF-GH1', { status: 'live', code: 'K7Q-M2X-9FD' })).toBe('switch');
    expect(joinAction('ABC-DEF-GH1', { status: 'waiting', code: 'K7Q-M2X-9FD' })).toBe('switch');
  });

  it('a malformed hash never ends a session in progress', () => {
    expect(joinAction('not-a-code', { status: 'live', code: 'K7Q-M2X-9FD' })).toBe('ignore');
  });
});

describe('the agent’s clock before live', () => {
  it('times waiting for the customer’s answer, then connecting once they allowed', () => {
    expect(nextWait(null, 'connecting')).toBe('connecting');
    expect(nextWait('connecting', 'waiting')).toBe('waiting');
    expect(nextWait('waiting', 'connecting')).toBe('connecting');
  });

  it('keeps the clock running through a drop before the first frame, and through repeated states', () => {
    expect(nextWait('connecting', 'reconnecting')).toBe('keep');
    expect(nextWait('connecting', 'connecting')).toBe('keep');
    expect(nextWait('waiting', 'waiting')).toBe('keep');
  });

  it('stops once live, ended, failed or idle; a live session that drops is not timed', () => {
    for (const status of ['live', 'ended', 'error', 'idle'] as const) expect(nextWait('connecting', status)).toBeNull();
    expect(nextWait(null, 'reconnecting')).toBeNull();
    expect(nextWait(null, 'live')).toBeNull();
  });
});

describe('no WebRTC', () => {
  it('is seen when no RTCPeerConnection of any vendor is there', () => {
    expect(webrtcSupported({})).toBe(false);
    expect(webrtcSupported({ RTCPeerConnection: undefined })).toBe(false);
    expect(webrtcSupported({ RTCPeerConnection: class {} })).toBe(true);
    expect(webrtcSupported({ webkitRTCPeerConnection: class {} })).toBe(true);
    expect(webrtcSupported({ RTCPeerConnection: 'not a constructor' })).toBe(false);
  });

  it('a host’s “no peer” signal is told apart from SDP and ICE signals, and forged ones are dropped', () => {
    expect(peerFailureIn({ type: 'coview:peer-failed', code: 'ERR_WEBRTC_UNSUPPORTED' })).toEqual({ type: 'coview:peer-failed', code: 'ERR_WEBRTC_UNSUPPORTED' });
    expect(peerFailureIn({ type: 'offer', sdp: 'v=0' })).toBeNull();
    expect(peerFailureIn({ candidate: { candidate: 'candidate:1' } })).toBeNull();
    expect(peerFailureIn('{"type":"answer"}')).toBeNull();
    expect(peerFailureIn(null)).toBeNull();
    expect(peerFailureIn({ type: 'coview:peer-failed', code: 'ERR_ANYTHING' })).toBeNull();
  });
});
