import { CoviewError, fromBase64, RELAY_WINDOW_FRAMES, RelayCipher, toBase64, type RelayAckIn } from '../protocol/index.js';
import type { PeerEvents, PeerLink } from './peer.js';

/**
 * A PeerLink over the signaling server's Socket.IO connection, for when no peer connection comes
 * up (no WebRTC in this browser, UDP blocked and no TURN, ICE failed). The framed channel runs on
 * it unchanged; each frame is sealed end to end (relay-crypto.ts) and travels as base64 text, so
 * the server forwards bytes it can neither read nor change unseen.
 *
 * Backpressure: the receiver acknowledges frames cumulatively (how many it has handled), every
 * ACK_EVERY_FRAMES frames or ACK_DELAY_MS after the first it has not acknowledged yet. At most
 * WINDOW_FRAMES go unacknowledged, and `write` says "wait for drain" beyond that. One ack for
 * many frames, and no ack per frame from the server: each WebSocket message costs the server a
 * wakeup, and the relay's server CPU per session is what bounds how many sessions one server
 * carries. A refused frame (replayed, reordered, tampered), a link the server or the receiver
 * refused, or frames not acknowledged in time end the link with its error, and the session renews
 * it (a fresh link, fresh keys, and a fresh snapshot), so nothing is applied out of order and the
 * session goes on.
 */
export const WINDOW_FRAMES = RELAY_WINDOW_FRAMES;
/** The receiver acknowledges at once after this many frames (half the window, so a stream of frames never waits for an ack). */
export const ACK_EVERY_FRAMES = WINDOW_FRAMES / 2;
/** ...and otherwise this long after the first frame it has not acknowledged (a slow stream: few acks, and the window never fills). */
export const ACK_DELAY_MS = 500;
/** Frames the other side has not acknowledged in this long are lost (it went away, or the server did). */
const ACK_TIMEOUT_MS = 15_000;
/** How long `destroy()` still lets frames already written be sealed and emitted (a goodbye), like the WebRTC path's wait for flushed(). */
export const LAST_FRAMES_MS = 300;

export interface RelayOptions {
  /** Resolves with the relay keys once both salts are known (see relay-crypto.ts). */
  cipher: Promise<RelayCipher>;
  /** Emits one sealed frame (base64 text; Socket.IO keeps the order of what one socket emits). */
  send(data: string): void;
  /** Emits the cumulative acknowledgement: `count` frames of the other side's were handled here. */
  acknowledge(count: number): void;
}

export interface RelayLink extends PeerLink {
  readonly transport: 'relayed';
  /** A sealed frame from the other side (base64 text); resolves once it was handled. */
  receive(data: string): Promise<void>;
  /** The other side has handled `count` of our frames; or (`refused`) the link is over. */
  acknowledged(ack: Pick<RelayAckIn, 'count' | 'refused'>): void;
  /** Resolves once every frame written so far was emitted (or dropped): after it, what follows on the socket comes after them. */
  emitted(): Promise<void>;
}

export function createRelayLink(options: RelayOptions, events: Pick<PeerEvents, 'connect' | 'data' | 'close'>): RelayLink {
  let cipher: RelayCipher | null = null;
  let closed = false;
  /** Frames written but not yet emitted are dropped: set with `closed` on an error, up to LAST_FRAMES_MS after `destroy()`. */
  let abandoned = false;
  /** Our frames: written so far, and acknowledged by the other side so far. */
  let written = 0;
  let acked = 0;
  /** Runs while some of our frames are not acknowledged, from the last progress: it ends the link. */
  let lostTimer: ReturnType<typeof setTimeout> | undefined;
  let drainWaiters: (() => void)[] = [];
  let sending: Promise<void> = Promise.resolve();
  let receiving: Promise<void> = Promise.resolve();
  /** The other side's frames: handled here so far, and how many of them we acknowledged. */
  let handled = 0;
  let acknowledgedCount = 0;
  let ackTimer: ReturnType<typeof setTimeout> | undefined;

  const close = (error?: CoviewError) => {
    // A broken stream sends nothing more; a destroyed one finishes what was written (see destroy()).
    if (error) abandoned = true;
    if (closed) return;
    closed = true;
    drainWaiters = [];
    clearTimeout(lostTimer);
    clearTimeout(ackTimer);
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

  const unacked = () => written - acked;
  function watchForLoss(): void {
    clearTimeout(lostTimer);
    lostTimer = unacked() > 0 && !closed ? setTimeout(() => close(new CoviewError('ERR_RELAY_REFUSED', 'Relay frames were not acknowledged in time.')), ACK_TIMEOUT_MS) : undefined;
  }

  function acknowledgeNow(): void {
    clearTimeout(ackTimer);
    ackTimer = undefined;
    if (closed || handled === acknowledgedCount) return;
    acknowledgedCount = handled;
    options.acknowledge(handled);
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
      written++;
      if (lostTimer === undefined) watchForLoss();
      const copy = frame.slice();
      // Sealed and emitted strictly in order (after the keys, when written early): the receiver takes only the next counter.
      sending = sending
        .then(async () => {
          const own = await options.cipher;
          if (abandoned) return;
          const sealed = await own.seal(copy);
          if (abandoned) return;
          options.send(toBase64(sealed));
        })
        .catch((cause: unknown) => close(new CoviewError('ERR_PEER', 'A relay frame could not be sealed.', { cause })));
      return unacked() < WINDOW_FRAMES;
    },
    onDrain(callback) {
      if (unacked() < WINDOW_FRAMES) return void queueMicrotask(callback);
      drainWaiters.push(callback);
    },
    acknowledged({ count, refused }) {
      if (closed) return;
      if (refused) return close(new CoviewError('ERR_RELAY_REFUSED', `The server refused a relay frame: ${refused.message}`));
      // More than we wrote is a server's invention (a replayed frame counted): it acknowledges no more than we sent.
      const next = Math.min(count, written);
      if (next <= acked) return;
      acked = next;
      watchForLoss();
      if (unacked() >= WINDOW_FRAMES) return;
      const waiters = drainWaiters;
      drainWaiters = [];
      waiters.forEach((callback) => callback());
    },
    receive(data) {
      receiving = receiving.then(async () => {
        if (closed) return;
        let frame: Uint8Array;
        try {
          // A frame may come before this side has the other's salt: it waits for the keys.
          frame = await (await options.cipher).open(fromBase64(data));
        } catch (error) {
          const refused = error instanceof CoviewError ? error : new CoviewError('ERR_RELAY_TAMPERED', 'A relay frame could not be opened.', { cause: error });
          console.warn('[coview] refused a relay frame:', refused.code, refused.message);
          // A replay is dropped and changes nothing; a gap or a forgery leaves the stream unusable from here.
          if (refused.code !== 'ERR_RELAY_REPLAYED') close(refused);
          return;
        }
        if (closed) return;
        // Its counter is taken: counted now, so a frame whose handling ends the link (a goodbye) is acknowledged too.
        handled++;
        try {
          events.data(frame);
        } catch (cause) {
          // The handler's bug, not the stream's: the frame is used up (its counter taken) and acknowledged, and the next one is still opened.
          const error = new CoviewError('ERR_PEER', 'A relay frame could not be handled.', { cause });
          console.warn('[coview] a relay frame could not be handled:', error.code, cause);
        }
        countHandled();
      });
      return receiving;
    },
    emitted() {
      return sending;
    },
    destroy() {
      if (closed) return;
      // What we handled is acknowledged before we go, so the server lets go of it at once.
      acknowledgeNow();
      // Sealing is async: the frames written before this (the goodbye, typically) are still emitted, for a moment.
      const timer = setTimeout(() => (abandoned = true), LAST_FRAMES_MS);
      void sending.finally(() => clearTimeout(timer));
      close();
    },
  };

  /**
   * One more of the other side's frames was opened (its counter taken) and handled: acknowledged
   * with the next few, or soon. The count is the next counter we take, which is what the server
   * settles by; a dropped replay takes none and is not counted.
   */
  function countHandled(): void {
    if (closed) return;
    if (handled - acknowledgedCount >= ACK_EVERY_FRAMES) acknowledgeNow();
    else ackTimer ??= setTimeout(acknowledgeNow, ACK_DELAY_MS);
  }
  return link;
}

export function isRelayLink(link: PeerLink | null | undefined): link is RelayLink {
  return (link as Partial<RelayLink> | null | undefined)?.transport === 'relayed';
}
