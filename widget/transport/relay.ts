import { CoviewError, RELAY_WINDOW_FRAMES, RelayCipher, type Ack } from '../protocol/index.js';
import type { PeerEvents, PeerLink } from './peer.js';

/**
 * A PeerLink over the signaling server's Socket.IO connection, for when no peer connection comes
 * up (no WebRTC in this browser, UDP blocked and no TURN, ICE failed). The framed channel runs on
 * it unchanged; each frame is sealed end to end (relay-crypto.ts), so the server forwards bytes it
 * can neither read nor change unseen.
 *
 * Backpressure: the server acknowledges a frame once the other side did; at most WINDOW_FRAMES go
 * unacknowledged, and `write` says "wait for drain" beyond that. A refused frame (replayed,
 * reordered, tampered), a refused send or a missing ack ends the link with its error, and the
 * session renews it (a fresh link, fresh keys, and a fresh snapshot), so nothing is applied out of
 * order and the session goes on.
 */
export const WINDOW_FRAMES = RELAY_WINDOW_FRAMES;
/** A frame the other side has not acknowledged in this long is lost (it went away, or the server did). */
const ACK_TIMEOUT_MS = 15_000;
/** How long `destroy()` still lets frames already written be sealed and emitted (a goodbye), like the WebRTC path's wait for flushed(). */
export const LAST_FRAMES_MS = 300;

export interface RelayOptions {
  /** Resolves with the relay keys once both salts are known (see relay-crypto.ts). */
  cipher: Promise<RelayCipher>;
  /** Emits one sealed frame; resolves with the server's ack. */
  send(sealed: Uint8Array, timeoutMs: number): Promise<Ack<object>>;
}

export interface RelayLink extends PeerLink {
  readonly transport: 'relayed';
  /** A sealed frame from the other side; resolves once it was handled (then it is acknowledged). */
  receive(sealed: Uint8Array): Promise<void>;
  /** Resolves once every frame written so far was emitted (or dropped): after it, what follows on the socket comes after them. */
  emitted(): Promise<void>;
}

export function createRelayLink(options: RelayOptions, events: Pick<PeerEvents, 'connect' | 'data' | 'close'>): RelayLink {
  let cipher: RelayCipher | null = null;
  let closed = false;
  /** Frames written but not yet emitted are dropped: set with `closed` on an error, up to LAST_FRAMES_MS after `destroy()`. */
  let abandoned = false;
  let unacked = 0;
  let drainWaiters: (() => void)[] = [];
  let sending: Promise<void> = Promise.resolve();
  let receiving: Promise<void> = Promise.resolve();

  const close = (error?: CoviewError) => {
    // A broken stream sends nothing more; a destroyed one finishes what was written (see destroy()).
    if (error) abandoned = true;
    if (closed) return;
    closed = true;
    drainWaiters = [];
    events.close(error);
  };

  options.cipher.then(
    (ready) => {
      if (closed) return;
      cipher = ready;
      events.connect();
    },
    (cause: unknown) => close(new CoviewError('ERR_PEER', 'The relay could not be set up.', { cause })),
  );

  function acked(): void {
    unacked--;
    if (unacked >= WINDOW_FRAMES) return;
    const waiters = drainWaiters;
    drainWaiters = [];
    waiters.forEach((callback) => callback());
  }

  const link: RelayLink = {
    transport: 'relayed',
    get connected() {
      return cipher !== null && !closed;
    },
    signal() {
      // Nothing to negotiate: the keys came with the relay notices.
    },
    write(frame) {
      if (closed) return true;
      unacked++;
      const copy = frame.slice();
      // Sealed and emitted strictly in order (after the keys, when written early): the receiver takes only the next counter.
      sending = sending
        .then(async () => {
          const own = await options.cipher;
          if (abandoned) return;
          const sealed = await own.seal(copy);
          if (abandoned) return;
          options.send(sealed, ACK_TIMEOUT_MS).then(
            (ack) => {
              if (ack.ok) return acked();
              close(new CoviewError('ERR_RELAY_REFUSED', `The server refused a relay frame: ${ack.error.message}`));
            },
            (cause: unknown) => close(new CoviewError('ERR_RELAY_REFUSED', 'A relay frame was not acknowledged in time.', { cause })),
          );
        })
        .catch((cause: unknown) => close(new CoviewError('ERR_PEER', 'A relay frame could not be sealed.', { cause })));
      return unacked < WINDOW_FRAMES;
    },
    onDrain(callback) {
      if (unacked < WINDOW_FRAMES) return void queueMicrotask(callback);
      drainWaiters.push(callback);
    },
    receive(sealed) {
      receiving = receiving.then(async () => {
        if (closed) return;
        let frame: Uint8Array;
        try {
          // A frame may come before this side has the other's salt: it waits for the keys.
          frame = await (await options.cipher).open(sealed);
        } catch (error) {
          const refused = error instanceof CoviewError ? error : new CoviewError('ERR_RELAY_TAMPERED', 'A relay frame could not be opened.', { cause: error });
          console.warn('[coview] refused a relay frame:', refused.code, refused.message);
          // A replay is dropped and changes nothing; a gap or a forgery leaves the stream unusable from here.
          if (refused.code !== 'ERR_RELAY_REPLAYED') close(refused);
          return;
        }
        if (closed) return;
        try {
          events.data(frame);
        } catch (cause) {
          // The handler's bug, not the stream's: the frame is used up (its counter taken) and acknowledged, and the next one is still opened.
          const error = new CoviewError('ERR_PEER', 'A relay frame could not be handled.', { cause });
          console.warn('[coview] a relay frame could not be handled:', error.code, cause);
        }
      });
      return receiving;
    },
    emitted() {
      return sending;
    },
    destroy() {
      if (closed) return;
      // Sealing is async: the frames written before this (the goodbye, typically) are still emitted, for a moment.
      const timer = setTimeout(() => (abandoned = true), LAST_FRAMES_MS);
      void sending.finally(() => clearTimeout(timer));
      close();
    },
  };
  return link;
}

export function isRelayLink(link: PeerLink | null | undefined): link is RelayLink {
  return (link as Partial<RelayLink> | null | undefined)?.transport === 'relayed';
}
