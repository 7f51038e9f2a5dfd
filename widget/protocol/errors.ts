/**
 * The one error type of Coview. `code` is stable and machine-readable; `message` tells a person
 * what happened and what to do next.
 */
export type CoviewErrorCode =
  | 'ERR_MALFORMED_MESSAGE'
  | 'ERR_MESSAGE_TOO_LARGE'
  | 'ERR_PROTOCOL_VERSION'
  | 'ERR_ROOM_NOT_FOUND'
  | 'ERR_ROOM_BUSY'
  | 'ERR_BAD_CODE'
  | 'ERR_NOT_IN_ROOM'
  | 'ERR_SIGNALING_UNREACHABLE'
  | 'ERR_SIGNALING_TIMEOUT'
  | 'ERR_PEER'
  | 'ERR_CHANNEL_CLOSED'
  | 'ERR_ALREADY_SHARING'
  | 'ERR_BAD_RECORDING'
  | 'ERR_BAD_OPTIONS'
  | 'ERR_CONTROL_REFUSED'
  | 'ERR_WEBRTC_UNSUPPORTED'
  | 'ERR_CONNECT_TIMEOUT'
  | 'ERR_APPROVAL_TIMEOUT'
  | 'ERR_RATE_LIMITED'
  | 'ERR_ORIGIN_NOT_ALLOWED'
  | 'ERR_AGENT_TOKEN'
  /** The other side's DTLS fingerprint did not match its code-derived MAC: someone in between (the server, the network) swapped it. */
  | 'ERR_HANDSHAKE_TAMPERED'
  /** A relay frame came again (a counter already seen): refused, nothing applied. */
  | 'ERR_RELAY_REPLAYED'
  /** A relay frame came out of order (a counter skipped: one was dropped or held back): refused; the link is renewed. */
  | 'ERR_RELAY_REORDERED'
  /** A relay frame failed its AES-GCM check (changed on the way, or under another key): refused; the link is renewed. */
  | 'ERR_RELAY_TAMPERED'
  /** The server refused a relay frame (over its room limits, the other side gone, or the relay turned off). */
  | 'ERR_RELAY_REFUSED'
  /** widget.js could not load the rest of the widget (widget-core.js): offline, a 404, or the site's Content-Security-Policy. */
  | 'ERR_LOAD_FAILED';

export class CoviewError extends Error {
  override readonly name = 'CoviewError';
  constructor(
    readonly code: CoviewErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
