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
  data(frame: Uint8Array): void;
  /** Fired once, whether the other side left, the network failed or `destroy()` was called. */
  close(error?: CoviewError): void;
}

export interface PeerOptions {
  initiator: boolean;
  iceServers: IceServer[];
  /** A WebRTC implementation for Node (e.g. @roamhq/wrtc); browsers use their own. */
  wrtc?: SimplePeer.Options['wrtc'];
}

export function createPeer(options: PeerOptions, events: PeerEvents): PeerLink {
  const peer = new SimplePeer({
    initiator: options.initiator,
    config: { iceServers: options.iceServers },
    trickle: true,
    wrtc: options.wrtc,
  });
  let closed = false;
  const close = (error?: CoviewError) => {
    if (closed) return;
    closed = true;
    events.close(error);
  };

  peer.on('signal', (data) => events.signal(data));
  peer.on('connect', () => events.connect());
  peer.on('data', (chunk: Uint8Array) => events.data(chunk));
  peer.on('close', () => close());
  peer.on('error', (err: Error & { code?: string }) =>
    close(new CoviewError('ERR_PEER', `The peer-to-peer connection failed (${err.code ?? err.message}).`, { cause: err })),
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
