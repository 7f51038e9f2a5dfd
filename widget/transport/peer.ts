import SimplePeer from 'simple-peer';
import { CoviewError, type IceServer } from '../protocol/index.js';

/**
 * The only file that knows simple-peer. Everything else sees a `PeerLink`: signal in, frames in
 * and out with backpressure, and four events.
 */
export interface PeerLink {
  /** Feeds a signal (SDP or ICE candidate) received from the other side through the server. */
  signal(data: unknown): void;
  /** Writes one frame (≤ 64 KiB). Returns false when the caller should wait for `onDrain`. */
  write(frame: Uint8Array): boolean;
  onDrain(callback: () => void): void;
  destroy(): void;
  readonly connected: boolean;
}

export interface PeerEvents {
  signal(data: unknown): void;
  connect(): void;
  /** A frame from the other side; never before `connect`. */
  data(frame: Uint8Array): void;
  /** Fired once, whether the other side left, the network failed or `destroy()` was called. */
  close(error?: CoviewError): void;
}

export interface PeerOptions {
  initiator: boolean;
  iceServers: IceServer[];
  /** 'relay' sends everything through TURN. */
  iceTransportPolicy?: 'all' | 'relay';
  /** A WebRTC implementation for Node (e.g. @roamhq/wrtc); browsers use their own. */
  wrtc?: SimplePeer.Options['wrtc'];
}

const WATCH_INTERVAL_MS = 250;
const DISCONNECTED_GRACE_MS = 1_500;

/**
 * Whether this browser can open a peer connection at all: WebRTC can be disabled by policy
 * (Firefox's media.peerconnection.enabled) or missing (WebKitGTK). Read now, not at load time as
 * simple-peer's WEBRTC_SUPPORT is: the same lookup simple-peer's constructor makes.
 */
export function webrtcSupported(scope: object = globalThis): boolean {
  const g = scope as Record<string, unknown>;
  return typeof (g.RTCPeerConnection ?? g.webkitRTCPeerConnection ?? g.mozRTCPeerConnection) === 'function';
}

/** Throws a CoviewError (`ERR_WEBRTC_UNSUPPORTED`, or `ERR_PEER`) when no peer can be made here. */
export function createPeer(options: PeerOptions, events: PeerEvents): PeerLink {
  let peer: SimplePeer.Instance;
  try {
    peer = new SimplePeer({
      initiator: options.initiator,
      config: { iceServers: options.iceServers, ...(options.iceTransportPolicy ? { iceTransportPolicy: options.iceTransportPolicy } : {}) },
      trickle: true,
      wrtc: options.wrtc,
    });
  } catch (cause) {
    const code = (cause as { code?: string }).code;
    if (code === 'ERR_WEBRTC_SUPPORT') throw new CoviewError('ERR_WEBRTC_UNSUPPORTED', 'This browser has no WebRTC, which screen sharing needs.', { cause });
    throw new CoviewError('ERR_PEER', `The peer-to-peer connection could not be created (${code ?? String(cause)}).`, { cause });
  }
  let closed = false;
  const close = (error?: CoviewError) => {
    if (closed) return;
    closed = true;
    clearInterval(watch);
    events.close(error);
  };

  /**
   * simple-peer only gives up on ICE `failed`, which Chromium reaches ~30 s after the network
   * goes; a connection closed from this side (RTCPeerConnection.close()) fires no event at all.
   * So the link is watched: `disconnected` for DISCONNECTED_GRACE_MS, or anything closed, is a
   * failure, and the session re-signals a new peer within a few seconds.
   */
  let disconnectedSince: number | null = null;
  const watch = setInterval(() => {
    const internals = peer as unknown as { _pc?: RTCPeerConnection; _channel?: RTCDataChannel; connected: boolean };
    const pc = internals._pc;
    if (!pc) return;
    const dead = pc.signalingState === 'closed' || pc.connectionState === 'failed' || pc.iceConnectionState === 'failed';
    const channelClosed = internals.connected && internals._channel !== undefined && (internals._channel.readyState === 'closed' || internals._channel.readyState === 'closing');
    if (dead || channelClosed) return fail('the connection closed');
    if (pc.iceConnectionState === 'disconnected' || pc.connectionState === 'disconnected') {
      disconnectedSince ??= Date.now();
      if (Date.now() - disconnectedSince > DISCONNECTED_GRACE_MS) fail('the network stopped answering');
    } else {
      disconnectedSince = null;
    }
  }, WATCH_INTERVAL_MS);

  function fail(why: string): void {
    close(new CoviewError('ERR_PEER', `The peer-to-peer connection was lost (${why}).`));
    peer.destroy();
  }

  /**
   * simple-peer says `connect` only after an asynchronous getStats() found the selected candidate
   * pair, but the data channel is open before that and the other side may already be sending (its
   * own `connect` came first): Firefox often delivers the customer's hello and first snapshot in
   * between. Frames that early are held and handed on right after `connect`, in order, so the
   * receiver (which builds its channel on `connect`) loses none of them.
   */
  let early: Uint8Array[] | null = [];
  peer.on('signal', (data) => events.signal(data));
  peer.on('connect', () => {
    const held = early ?? [];
    early = null;
    events.connect();
    for (const frame of held) if (!closed) events.data(frame);
  });
  peer.on('data', (chunk: Uint8Array) => (early ? early.push(chunk) : events.data(chunk)));
  peer.on('close', () => close());
  peer.on('error', (err: Error & { code?: string }) =>
    // RTCPeerConnection's constructor threw (WebRTC blocked by policy or an extension): no new peer will do better.
    err.code === 'ERR_PC_CONSTRUCTOR'
      ? close(new CoviewError('ERR_WEBRTC_UNSUPPORTED', 'This browser refused to open a WebRTC connection, which screen sharing needs.', { cause: err }))
      : close(new CoviewError('ERR_PEER', `The peer-to-peer connection failed (${err.code ?? err.message}).`, { cause: err })),
  );

  return {
    signal(data) {
      if (closed) return;
      try {
        // simple-peer takes a signal object or its JSON text; anything else is rejected here.
        peer.signal(data as SimplePeer.SignalData);
      } catch (cause) {
        close(new CoviewError('ERR_PEER', 'Received a signal the peer connection could not use.', { cause }));
        peer.destroy();
      }
    },
    // simple-peer's Duplex stream holds each write until the data channel's bufferedAmount drops
    // below 64 KiB, so `write()` returning false is real backpressure from the channel.
    write: (frame) => peer.write(frame),
    onDrain: (callback) => void peer.once('drain', callback),
    destroy() {
      peer.destroy();
      close();
    },
    get connected() {
      return peer.connected && !closed;
    },
  };
}
