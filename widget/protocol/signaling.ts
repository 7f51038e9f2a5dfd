import { array, bool, int, lazy, literal, object, optional, str, type Decoder } from './decode.js';
import { CoviewError, type CoviewErrorCode } from './errors.js';
import { ROOM_ID_PATTERN } from './handshake.js';

/**
 * Socket.IO events between the signaling server and both clients. The server relays `signal`
 * payloads (SDP and ICE candidates) without reading them, and never sees page content.
 */
export interface IceServer {
  urls: string | string[];
  username?: string;
  credential?: string;
}

/** What both peers need to reach each other; TURN credentials in it are per session and short-lived. */
export interface IceConfig {
  iceServers: IceServer[];
  /** 'relay' forces every byte through TURN (for testing the relay path, or by policy). */
  iceTransportPolicy?: 'all' | 'relay';
  /** Whether this server relays the (end-to-end encrypted) channel when no peer connection comes up; absent means no. */
  relay?: boolean;
}

export type Ack<T extends object> = ({ ok: true } & T) | { ok: false; error: { code: CoviewErrorCode; message: string } };

/**
 * People are named by ids the server draws, not by socket ids, so a host or agent whose socket
 * drops (network, server restart, page reload) can come back as the same person with its key.
 *
 * Rooms are named by `room`, the id both browsers derive from the share code (see handshake.ts):
 * the customer's browser draws the code, and the server never sees it.
 */
export interface CreateRoom { room: string }
export interface RoomCreated extends IceConfig { expiresAt: number; hostId: string; hostKey: string }
export interface HostResume { room: string; hostId: string; hostKey: string; agents: { id: string; name: string }[] }
export interface RoomResumed extends IceConfig { agents: { id: string; name: string; status: 'pending' | 'accepted' }[] }
/** `token`: the signed agent token, required when the server sets AGENT_TOKEN_SECRET. */
export interface JoinRequest { room: string; name: string; token?: string }
export interface Joined extends IceConfig { agentId: string; agentKey: string; name: string }
export interface AgentResume { room: string; agentId: string; agentKey: string }
export interface AgentResumed extends IceConfig { status: 'pending' | 'accepted' }
/** The host re-armed its room for one more agent (single use again, fresh expiry); the code is the host's to show. */
export interface Invited { expiresAt: number }
export interface AgentRequest { agentId: string; name: string }
export interface HostDecision { agentId: string; allow: boolean }
/** `peer` numbers the peer connection: a higher number replaces the previous one (re-signaling after a failure). */
export interface SignalOut { to?: string; data: unknown; peer?: number }
export interface SignalIn { from: string; data: unknown; peer?: number }
/**
 * One sealed channel frame (relay-crypto.ts) for the other side of peer `peer`, as base64 text: the
 * server forwards it unread. Text, not a binary attachment: Socket.IO sends an attachment as a
 * WebSocket message of its own, and on the server every message costs a wakeup.
 */
export interface RelayOut { to?: string; peer: number; data: string }
export interface RelayIn { from: string; peer: number; data: string }
/**
 * The receiver of relay link `peer` has handled `count` of its frames, in order: every frame below
 * counter `count` (relay-crypto.ts; cumulative, so one ack covers many frames). Or it has no such
 * link any more (`refused`). The server lets go of the
 * frames it counted against the room and tells the sender, named by `to` (the `from` of its frames).
 */
export interface RelayAckOut { to: string; peer: number; count: number; refused?: boolean }
/**
 * To a relay link's sender: `count` of its frames were handled by `from`. Or `refused`: the link
 * is over (the receiver has no such link, or the server refused a frame: off, no session, over a
 * limit, malformed, not acknowledged in time), and the sender renews it.
 */
export interface RelayAckIn { from: string; peer: number; count: number; refused?: { code: 'ERR_RELAY_REFUSED' | 'ERR_MALFORMED_MESSAGE'; message: string } }
export type Transport = 'direct' | 'relayed';
export interface TransportReport { agentId: string; transport: Transport }
/** `host-left-site`: the customer's page went to another site (so sharing ended), said by the server so it never depends on a dying page's data channel or relay. */
export type EndReason = 'host-stopped' | 'host-left' | 'host-left-site' | 'expired' | 'locked';

export interface ClientToServerEvents {
  /** A room id already taken is answered ERR_ROOM_BUSY: the host draws another code. */
  'host:create': (request: CreateRoom, ack: (res: Ack<RoomCreated>) => void) => void;
  'host:decide': (decision: HostDecision) => void;
  /** The ack (optional) says the server has it: see closeAfterLastWord. */
  'host:stop': (ack?: (res: Ack<Record<string, never>>) => void) => void;
  /** As host:stop, when the customer's page leaves for another site: the agents are told so. */
  'host:left-site': () => void;
  /**
   * `leaving: true`: a link to another site was followed (the Navigation API's navigate event,
   * while the page is still alive). If this socket drops within LEAVING_SITE_MS, that is the page
   * leaving the site, and the session ends as host:left-site would end it: a page torn down before
   * its pagehide handler could say so (a busy phone, a cross-site process swap) is still told apart
   * from a reload. `leaving: false` takes it back (the page is still here, or went same-site).
   */
  'host:leaving-site': (intent: LeavingSite) => void;
  /** While sharing: re-opens the room's code for one more agent to join (with the customer's consent). */
  'host:invite': (request: Record<string, never>, ack: (res: Ack<Invited>) => void) => void;
  'host:resume': (request: HostResume, ack: (res: Ack<RoomResumed>) => void) => void;
  'agent:join': (request: JoinRequest, ack: (res: Ack<Joined>) => void) => void;
  'agent:resume': (request: AgentResume, ack: (res: Ack<AgentResumed>) => void) => void;
  /** The ack (optional) comes once the server has handled everything sent before: the client may close then. */
  'agent:leave': (ack?: (res: Ack<object>) => void) => void;
  signal: (message: SignalOut) => void;
  /**
   * A relay frame. Its acknowledgement comes as a `relay:ack` once the other side handled it: the
   * sender keeps only a small window of frames unacknowledged, which is the backpressure.
   */
  relay: (message: RelayOut) => void;
  /** The receiver's cumulative acknowledgement of a relay link's frames (sent every few frames, or soon after the last). */
  'relay:ack': (ack: RelayAckOut) => void;
  /** The host says how an agent's session runs now, for the server's metrics (sessions by transport). */
  'host:transport': (info: TransportReport) => void;
  /** The agent lost its peer connection and asks the host for a new one. */
  'peer:restart': (request: { peer: number }) => void;
}

export interface ServerToClientEvents {
  'agent:request': (request: AgentRequest) => void;
  'agent:left': (info: { agentId: string }) => void;
  'join:accepted': () => void;
  'join:declined': () => void;
  'session:ended': (info: { reason: EndReason }) => void;
  signal: (message: SignalIn) => void;
  /** Acknowledge with `relay:ack` once handled (cumulatively): the sender's window moves on. */
  relay: (message: RelayIn) => void;
  'relay:ack': (ack: RelayAckIn) => void;
  'peer:restart': (request: { from: string; peer: number }) => void;
  /** This server is shutting down: reconnect (the load balancer sends you to another one). */
  'server:restarting': () => void;
}

/**
 * Sent in place of a signal (as a `signal`'s `data`, relayed unread like any signal) by the side
 * that gives up on the connection, so the other stops waiting and says why: a host that cannot
 * create a peer connection at all (ERR_WEBRTC_UNSUPPORTED, ERR_PEER), an agent whose connection did
 * not come up within its bound (ERR_CONNECT_TIMEOUT: TURN unreachable, UDP blocked, relay off).
 */
export interface PeerFailure { type: 'coview:peer-failed'; code: 'ERR_WEBRTC_UNSUPPORTED' | 'ERR_PEER' | 'ERR_CONNECT_TIMEOUT' }
export const decodePeerFailure: Decoder<PeerFailure> = /* @__PURE__ */ lazy(() => object<PeerFailure>({ type: literal('coview:peer-failed'), code: literal('ERR_WEBRTC_UNSUPPORTED', 'ERR_PEER', 'ERR_CONNECT_TIMEOUT') }));
/** A signal's data that is a PeerFailure, else null (an ordinary SDP or ICE signal). */
export function peerFailureIn(data: unknown): PeerFailure | null {
  if ((data as { type?: unknown } | null)?.type !== 'coview:peer-failed') return null;
  try {
    return decodePeerFailure(data);
  } catch {
    return null;
  }
}

/**
 * Sent by either side (as a signal's data) to run peer `peer` over the relay instead of WebRTC:
 * the host when no peer connection came up in time (or none can be made here), the agent in reply.
 * `salt` (base64url, RELAY_SALT_BYTES) is the sender's part of the relay keys (relay-crypto.ts).
 */
export interface RelayNotice { type: 'coview:relay'; salt: string }
export const decodeRelayNotice: Decoder<RelayNotice> = /* @__PURE__ */ lazy(() => object<RelayNotice>({ type: literal('coview:relay'), salt: str(64) }));
/** A signal's data that is a RelayNotice, else null. */
export function relayNoticeIn(data: unknown): RelayNotice | null {
  if ((data as { type?: unknown } | null)?.type !== 'coview:relay') return null;
  try {
    return decodeRelayNotice(data);
  } catch {
    return null;
  }
}

/** The largest signal payload relayed; SDP offers with many candidates stay well under it. */
export const MAX_SIGNAL_BYTES = 64 * 1024;
/** How long after host:leaving-site a dropped host socket means "left the site" (a navigation that did not happen is forgotten). */
export const LEAVING_SITE_MS = 10_000;
/** Relay frames one link sends before waiting for their acks (transport/relay.ts); the server's limits make room for every link of a full room. */
export const RELAY_WINDOW_FRAMES = 16;
/** How many agents may watch one customer at once (the widget lets in no more; a host's resume names at most this many). */
export const MAX_AGENTS = 4;

const ID = 64;
const KEY = 128;
/** A room id (see handshake.ts): anything else, a share code included, is refused. */
export const decodeRoomId: Decoder<string> = (input, path = '') => {
  if (typeof input !== 'string' || !ROOM_ID_PATTERN.test(input)) {
    throw new CoviewError('ERR_MALFORMED_MESSAGE', `Malformed message: ${path || 'value'} should be a room id (43 base64url characters).`);
  }
  return input;
};
export const decodeCreateRoom: Decoder<CreateRoom> = /* @__PURE__ */ lazy(() => object<CreateRoom>({ room: decodeRoomId }));
export const decodeJoinRequest: Decoder<JoinRequest> = /* @__PURE__ */ lazy(() => object<JoinRequest>({ room: decodeRoomId, name: str(100), token: optional(str(2_048)) }));
export const decodeHostDecision: Decoder<HostDecision> = /* @__PURE__ */ lazy(() => object<HostDecision>({ agentId: str(ID), allow: bool }));
export const decodeHostResume: Decoder<HostResume> = /* @__PURE__ */ lazy(() => object<HostResume>({
  room: decodeRoomId,
  hostId: str(ID),
  hostKey: str(KEY),
  agents: array(object<{ id: string; name: string }>({ id: str(ID), name: str(100) }), MAX_AGENTS),
}));
export const decodeAgentResume: Decoder<AgentResume> = /* @__PURE__ */ lazy(() => object<AgentResume>({ room: decodeRoomId, agentId: str(ID), agentKey: str(KEY) }));
/** `host:invite` carries no fields (an empty object; anything that is not an object is refused). */
export const decodeHostInvite: Decoder<Record<string, never>> = /* @__PURE__ */ lazy(() => object<Record<string, never>>({}));
export interface LeavingSite { leaving: boolean }
export const decodeLeavingSite: Decoder<LeavingSite> = /* @__PURE__ */ lazy(() => object<LeavingSite>({ leaving: bool }));
export const decodePeerRestart: Decoder<{ peer: number }> = /* @__PURE__ */ lazy(() => object<{ peer: number }>({ peer: int }));
export const decodeSignalOut: Decoder<SignalOut> = (input, path) => {
  const { to, peer } = object<{ to?: string; peer?: number }>({ to: optional(str(ID)), peer: optional(int) })(input, path);
  return { to, peer, data: (input as { data: unknown }).data };
};
/** The largest relay frame: a channel frame (16 KiB) and the relay's counter and tag, with room to spare. */
export const MAX_RELAY_FRAME_BYTES = 17 * 1024;
/** The sealed bytes a relay frame's base64 text stands for (what the server's limits count). */
export const relayFrameBytes = (data: string) => Math.floor((data.length * 3) / 4) - (data.endsWith('==') ? 2 : data.endsWith('=') ? 1 : 0);
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
/** A relay frame's fields. Its bytes are not checked here: the receiver's cipher refuses anything that is not a sealed frame. */
export const decodeRelayOut: Decoder<RelayOut> = (input, path) => {
  const { to, peer } = object<{ to?: string; peer: number }>({ to: optional(str(ID)), peer: int })(input, path);
  const data = (input as { data?: unknown }).data;
  // Base64 only: each character one byte on the wire, so the limits count what is really held.
  if (typeof data !== 'string' || relayFrameBytes(data) > MAX_RELAY_FRAME_BYTES || !BASE64.test(data)) {
    throw new CoviewError('ERR_MALFORMED_MESSAGE', `Malformed message: data should be the base64 text of at most ${MAX_RELAY_FRAME_BYTES} bytes.`);
  }
  return { ...(to === undefined ? {} : { to }), peer, data };
};
export const decodeRelayAckOut: Decoder<RelayAckOut> = /* @__PURE__ */ lazy(() => object<RelayAckOut>({ to: str(ID), peer: int, count: int, refused: optional(bool) }));
export const decodeTransportReport: Decoder<TransportReport> = /* @__PURE__ */ lazy(() => object<TransportReport>({ agentId: str(ID), transport: literal('direct', 'relayed') }));
export const decodeEndReason: Decoder<EndReason> = /* @__PURE__ */ lazy(() => literal('host-stopped', 'host-left', 'host-left-site', 'expired', 'locked'));
