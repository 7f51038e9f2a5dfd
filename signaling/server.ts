import type { Server as HttpServer } from 'node:http';
import { Server, type ServerOptions, type Socket } from 'socket.io';
import {
  CoviewError,
  LEAVING_SITE_MS,
  MAX_AGENTS,
  MAX_SIGNAL_BYTES,
  RELAY_WINDOW_FRAMES,
  decodeAgentResume,
  decodeCreateRoom,
  decodeHostDecision,
  decodeHostInvite,
  decodeHostResume,
  decodeJoinRequest,
  decodeLeavingSite,
  decodePeerRestart,
  decodeRelayOut,
  decodeRelayAckOut,
  relayFrameBytes,
  type RelayAckOut,
  type RelayOut,
  decodeSignalOut,
  decodeTransportReport,
  type Ack,
  type AgentResumed,
  type ClientToServerEvents,
  type EndReason,
  type IceConfig,
  type IceServer,
  type Invited,
  type Joined,
  type RoomCreated,
  type RoomResumed,
  type ServerToClientEvents,
} from '../widget/protocol/index.js';
import { roomHint, createLogger, type Logger } from './log.js';
import { createMetrics, type Metrics } from './metrics.js';
import * as rules from './rooms.js';
import type { RoomRecord, RoomRules } from './rooms.js';
import { agentKey, hostKeyMaterial, originAllowed, randomId, sameSecret, turnCredentials, verifyAgentToken } from './security.js';
import { createMemoryStore, type Change, type RoomStore } from './store.js';

/**
 * The signaling server: it pairs a customer's page (host) with a support agent by room id and
 * relays WebRTC signals between them without reading them. Page content is never readable here,
 * and the share code never passes: both browsers derive the room id from it with a slow KDF (see
 * widget/protocol/handshake.ts), and authenticate their DTLS fingerprints with a key from it,
 * so this server can neither join a room it was not given the code of nor sit in the middle.
 * When no peer connection comes up, the session's channel runs through here instead (`relay`),
 * sealed end to end with AES-GCM under keys from the code (widget/protocol/relay-crypto.ts):
 * this server forwards the frames within the room, within per-room limits, and cannot read them.
 *
 * Every client packet is typed `unknown` (see Untrusted), rate-limited, size-capped and decoded
 * with the protocol decoders; no handler can throw out, so one bad client never takes the server
 * down for everyone else. Room state lives in a RoomStore (memory, or Redis to run several
 * processes); events reach people through Socket.IO rooms named after their ids (`p:<id>`), which
 * the Redis adapter delivers across processes.
 */

/** Every client event, as the server must see it: arguments of unknown shape, maybe no ack. */
export type Untrusted<Events> = { [K in keyof Events]: (...args: unknown[]) => void };

/** Between processes (the Redis adapter): a receiver's relay ack, for the process that forwarded the frames. */
export interface ServerSideEvents {
  'relay:ack': (senderId: string, receiverId: string, ack: RelayAckOut) => void;
}
export type SignalingIo = Server<Untrusted<ClientToServerEvents>, ServerToClientEvents, ServerSideEvents>;
type CoviewSocket = Socket<Untrusted<ClientToServerEvents>, ServerToClientEvents, ServerSideEvents>;

export interface Limits {
  /** Agent join attempts per client IP per minute. */
  joinsPerIpPerMinute: number;
  /** Agent join attempts per room per minute (whoever makes them). */
  joinsPerRoomPerMinute: number;
  /** Rooms created per client IP per minute. */
  createsPerIpPerMinute: number;
  /** Wrong tries (declined requests, wrong resume keys) before a room is locked. */
  wrongTriesBeforeLock: number;
  /** Events one socket may send per second on average (bursts of twice that are fine). */
  eventsPerSecond: number;
}

export const DEFAULT_LIMITS: Limits = { joinsPerIpPerMinute: 30, joinsPerRoomPerMinute: 10, createsPerIpPerMinute: 30, wrongTriesBeforeLock: 5, eventsPerSecond: 50 };

/** The encrypted relay (RELAY_FALLBACK and its limits). Limits count per room on each process. */
export interface RelayLimits {
  enabled: boolean;
  /** Sustained relay bytes per second per room (bursts of one second's worth); faster senders wait for their acks. */
  bytesPerSecondPerRoom: number;
  /** Relay bytes forwarded but not yet acknowledged by their receiver, per room; beyond it frames are refused. */
  bufferBytesPerRoom: number;
}

export const DEFAULT_RELAY: RelayLimits = { enabled: true, bytesPerSecondPerRoom: 4 * 1024 * 1024, bufferBytesPerRoom: 4 * 1024 * 1024 };
/** How long a relay link's receiver has to acknowledge its frames (any progress) before the sender is told they were not delivered. */
const RELAY_ACK_MS = 10_000;
/** Relay acks one socket may send per second (bursts of two seconds' worth): a link at the room's full bandwidth needs 32. */
const RELAY_ACKS_PER_SECOND = 64;
/** Relay links one socket's frames are counted on here at once; beyond it the oldest settled one is forgotten. */
const RELAY_LINKS_PER_SOCKET = 4 * (MAX_AGENTS + 1);
/** Each frame costs at least this much of the room's bandwidth: a flood of tiny frames is not free. */
const RELAY_MIN_FRAME_COST = 1024;
/**
 * Frames one socket may have queued or in flight: a host's links to every agent of a full room
 * with their windows full (transport/relay.ts), and one more window for a link being renewed
 * while the old one's frames are still on their way. Only a flood hits this.
 */
export const RELAY_FRAMES_PER_SOCKET = (MAX_AGENTS + 1) * RELAY_WINDOW_FRAMES;

export interface TurnOptions {
  /** coturn's static-auth-secret (use-auth-secret). Never leaves the server. */
  secret: string;
  urls: string[];
  /** Lifetime of each credential, at most an hour. */
  ttlSeconds: number;
}

export interface SignalingOptions {
  /** How long an unused share code lives. Default 10 minutes. */
  roomTtlMs?: number;
  /** How long a host or agent whose socket dropped keeps its place. Default: the room ttl. */
  graceMs?: number;
  /** STUN/TURN servers handed to both peers. Default none (fine on one network, e.g. tests). */
  iceServers?: IceServer[];
  /** Time-limited TURN credentials added to iceServers for each session. */
  turn?: TurnOptions;
  iceTransportPolicy?: 'all' | 'relay';
  /** Origins allowed to open host sockets (the customer's site). Empty: any. */
  allowedOrigins?: string[];
  /** When set, agents must present a token signed with it (see security.ts). */
  agentTokenSecret?: string;
  /** Take the client IP from X-Forwarded-For (only behind a proxy you run). */
  trustProxy?: boolean;
  limits?: Partial<Limits>;
  /** The encrypted relay; default on, with DEFAULT_RELAY's limits. */
  relay?: Partial<RelayLimits>;
  /** Where room state lives. Default: this process's memory. */
  store?: RoomStore;
  /** A Socket.IO adapter (e.g. @socket.io/redis-adapter) to reach sockets on other processes. */
  adapter?: ServerOptions['adapter'];
  /** Clock, injectable for tests. Default Date.now. */
  now?: () => number;
  /** How often this process checks the rooms of its hosts for expiry. Default a quarter of the ttl, at most 30 s. */
  sweepIntervalMs?: number;
  logger?: Logger;
  metrics?: Metrics;
  /** Called when draining starts (the http server then fails its health check). */
  onDrain?: () => void;
  /** Called with unexpected errors (bugs, not bad input). Default: logged. */
  onError?: (error: unknown) => void;
}

export interface SignalingServer {
  io: SignalingIo;
  store: RoomStore;
  metrics: Metrics;
  /** Tells every client here to reconnect (elsewhere), then disconnects them: graceful shutdown. */
  drain(): Promise<void>;
  /** Disconnects every client and stops sweeping. Socket.IO also closes the http server it is attached to. */
  close(): Promise<void>;
}

export const DEFAULT_ROOM_TTL_MS = 10 * 60_000;

/** Socket.IO's default is 1 MB; the largest legitimate packet is a signal of MAX_SIGNAL_BYTES. */
export const MAX_PACKET_BYTES = 100_000;

type Reply = <T extends object>(response: Ack<T>) => void;
type Me = { role: null } | { role: 'host' | 'agent'; room: string; id: string };

/** A token bucket: `tokens` as of `refilledAt` (the server's clock, ms). */
interface TokenBucket { tokens: number; refilledAt: number }
/** Tops `bucket` up at `perSecond` tokens a second, to at most `capacity`, as of `t`. */
function refill(bucket: TokenBucket, perSecond: number, capacity: number, t: number): void {
  bucket.tokens = Math.min(capacity, bucket.tokens + ((t - bucket.refilledAt) / 1000) * perSecond);
  bucket.refilledAt = t;
}
/** Takes one token if the bucket has one (bursts of 2 s): what is over is dropped, not processed. */
function takeToken(bucket: TokenBucket, perSecond: number, t: number): boolean {
  refill(bucket, perSecond, perSecond * 2, t);
  if (bucket.tokens < 1) return false;
  bucket.tokens -= 1;
  return true;
}

/** Per room on this process: the relay's bandwidth bucket and the bytes awaiting their receiver's ack. */
interface RelayBudget extends TokenBucket { buffered: number }
/** A frame let in on a relay link and not yet acknowledged: its counter (in clear, see relay-crypto.ts), whether it went out yet, and what frees its room. */
interface WaitingFrame { counter: number; forwarded: boolean; release(): void }
/**
 * A relay link (sender, receiver, peer number) as the process that let its frames in counts it:
 * `waiting` holds its frames let in and not yet acknowledged, oldest first (queued for bandwidth,
 * or forwarded). The receiver acknowledges by counter (it has handled every frame below `count`),
 * so a link counted afresh here (after the sender reconnected) settles as well as the first time.
 */
interface RelayLinkCount {
  key: string;
  socket: CoviewSocket;
  /** The sender socket's relay state, which this link leaves when it ends. */
  owner: RelaySender;
  receiverId: string;
  peer: number;
  waiting: WaitingFrame[];
  /** The highest count the receiver acknowledged (and the sender was told). */
  acked: number;
  /** Runs while forwarded frames are not acknowledged, from the last progress: it ends the link. */
  timer: ReturnType<typeof setTimeout> | undefined;
  ended: boolean;
}
/** One socket's relay links as counted here, the peer numbers it was refused (their later frames are refused too), and whether it is gone. */
interface RelaySender { links: Set<RelayLinkCount>; refused: Set<number>; gone: boolean }
/** Peer numbers a socket's refusals are remembered for (renewed links get new numbers). */
const REFUSED_PEERS_KEPT = 32;
/** A sealed frame's counter: its first 8 bytes (big-endian), the first 12 base64 characters; NaN when they are not base64. */
function relayCounter(data: string): number {
  const head = Buffer.from(data.slice(0, 12), 'base64');
  return head.length < 8 ? Number.NaN : head.readUInt32BE(0) * 2 ** 32 + head.readUInt32BE(4);
}
const relayLinkKey = (senderId: string, receiverId: string, peer: number) => `${senderId}>${receiverId}#${peer}`;

const person = (id: string) => `p:${id}`;
const MINUTE = 60_000;

export function createSignalingServer(httpServer: HttpServer, options: SignalingOptions = {}): SignalingServer {
  const {
    roomTtlMs = DEFAULT_ROOM_TTL_MS,
    iceServers = [],
    now = Date.now,
    sweepIntervalMs = Math.max(10, Math.min(30_000, Math.floor(roomTtlMs / 4))),
    logger = createLogger(),
    metrics = createMetrics(),
    onError = (error: unknown) => logger.error('signaling handler failed', { error }),
  } = options;
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const relay = { ...DEFAULT_RELAY, ...options.relay };
  /** Per room on this process: the relay's bandwidth bucket and the bytes awaiting their receiver's ack. */
  const relayBudgets = new Map<string, RelayBudget>();
  /** Relay links whose frames this process let in, by relayLinkKey: what their receivers' acks settle. */
  const relayLinks = new Map<string, RelayLinkCount>();

  /**
   * The receiver of a link has handled every frame below counter `count` (or refused the link):
   * lets go of those frames, and tells the sender. False when the link is not counted here.
   */
  function settleRelayLink(senderId: string, receiverId: string, ack: RelayAckOut): boolean {
    const link = relayLinks.get(relayLinkKey(senderId, receiverId, ack.peer));
    // A link of a sender socket that is gone here (and maybe connected again elsewhere) settles nothing here.
    if (!link || !link.socket.connected) return false;
    if (ack.refused) {
      endRelayLink(link, 'The other side refused the frame.');
      return true;
    }
    if (ack.count <= link.acked) return true;
    // Only frames that went out: a receiver cannot free room for frames it never got. The count
    // goes on to the sender even when it settles nothing here (frames counted by a socket before a
    // reconnect): the sender counts no more than it sent (relay.ts).
    while (link.waiting[0]?.forwarded && link.waiting[0].counter < ack.count) link.waiting.shift()!.release();
    link.acked = ack.count;
    clearTimeout(link.timer);
    link.timer = link.waiting[0]?.forwarded ? ackDeadline(link) : undefined;
    link.socket.emit('relay:ack', { from: receiverId, peer: link.peer, count: ack.count });
    return true;
  }

  /** A link is over: its frames are let go of, later ones refused, and the sender told why (`refusal`), unless it is quietly replaced or gone (null). */
  function endRelayLink(link: RelayLinkCount, refusal: string | null): void {
    if (link.ended) return;
    link.ended = true;
    clearTimeout(link.timer);
    for (const frame of link.waiting.splice(0)) frame.release();
    relayLinks.delete(link.key);
    link.owner.links.delete(link);
    if (refusal === null) return;
    refusePeer(link.owner, link.peer);
    sendRefusal(link.socket, { from: link.receiverId, peer: link.peer, count: link.acked }, 'ERR_RELAY_REFUSED', refusal);
  }

  /** A link refused: the sender renews it (relay.ts). `count`: what the receiver acknowledged so far. */
  function sendRefusal(socket: CoviewSocket, link: { from: string; peer: number; count: number }, code: 'ERR_RELAY_REFUSED' | 'ERR_MALFORMED_MESSAGE', message: string): void {
    metrics.failures.inc({ code });
    socket.emit('relay:ack', { ...link, refused: { code, message } });
  }

  /** Bounds the wait for a link's next ack, from now: forwarded frames not acknowledged within RELAY_ACK_MS end the link. */
  function ackDeadline(link: RelayLinkCount): ReturnType<typeof setTimeout> {
    return setTimeout(() => endRelayLink(link, 'The other side did not acknowledge the frames in time.'), RELAY_ACK_MS);
  }

  /** A refused link's frames still on their way are refused too: the sender renews the link, and a frame let through after a gap would only be refused by the receiver. */
  function refusePeer(sender: RelaySender, peer: number): void {
    sender.refused.add(peer);
    if (sender.refused.size > REFUSED_PEERS_KEPT) sender.refused.delete(sender.refused.values().next().value!);
  }

  const onDrain = options.onDrain;
  const roomRules: RoomRules = { ttlMs: roomTtlMs, graceMs: options.graceMs ?? roomTtlMs, maxPending: 10, maxWrongTries: limits.wrongTriesBeforeLock };
  const store = options.store ?? createMemoryStore({ expireAt: (room) => rules.deadline(room, now(), roomRules), now });
  const allowedOrigins = (options.allowedOrigins ?? []).map((origin) => origin.toLowerCase().replace(/\/$/, ''));
  const timers = new Set<NodeJS.Timeout>();
  /** Socket id → id of the room it hosts, for the sockets on this process. */
  const localHosts = new Map<string, string>();
  let draining = false;

  const io: SignalingIo = new Server(httpServer, {
    maxHttpBufferSize: MAX_PACKET_BYTES,
    serveClient: false,
    // The widget runs on the customer's site; host sockets are checked against ALLOWED_ORIGINS below.
    cors: { origin: '*' },
    ...(options.adapter ? { adapter: options.adapter } : {}),
  });

  function iceConfig(): IceConfig {
    const turn = options.turn ? [turnCredentials(options.turn.secret, options.turn.urls, options.turn.ttlSeconds, now())] : [];
    return { iceServers: [...iceServers, ...turn], ...(options.iceTransportPolicy ? { iceTransportPolicy: options.iceTransportPolicy } : {}), relay: relay.enabled };
  }

  /** Someone, whichever process their socket is on. */
  const to = (id: string) => io.to(person(id));

  function endRoom(room: RoomRecord, reason: EndReason, tellHost: boolean): void {
    for (const agent of room.agents) to(agent.id).emit('session:ended', { reason });
    if (tellHost) to(room.hostId).emit('session:ended', { reason });
    logger.debug('room ended', { room: roomHint(room.roomId), reason });
  }

  function later(ms: number, task: () => Promise<void>): void {
    if (draining) return;
    const timer = setTimeout(() => {
      timers.delete(timer);
      task().catch(onError);
    }, ms);
    timer.unref();
    timers.add(timer);
  }

  async function limit(key: string, perMinute: number): Promise<void> {
    if ((await store.hit(key, MINUTE)) > perMinute) {
      throw new CoviewError('ERR_RATE_LIMITED', 'Too many attempts from here. Wait a minute, then try again.');
    }
  }


  // A receiver on another process acknowledged frames: settled here if this process forwarded them.
  io.on('relay:ack', (senderId, receiverId, ack) => void settleRelayLink(senderId, receiverId, ack));
  io.on('connection', (socket) => {
    metrics.sockets.inc();
    let me: Me = { role: null };
    const ip = clientIp(socket, options.trustProxy === true);
    let chain: Promise<void> = Promise.resolve();
    /** Relay frames wait for bandwidth here, in order, so the wait never holds up the socket's other events. */
    let relayChain: Promise<void> = Promise.resolve();
    /** This socket's relay frames queued or awaiting their receiver's ack. */
    let relayFrames = 0;
    /** The relay links this socket sends on, as counted here (see relayLink). */
    const relaySender: RelaySender = { links: new Set(), refused: new Set(), gone: false };

    /**
     * The link from `senderId` to `receiverId` numbered `peer`, counted here; null when this socket
     * is gone or has too many busy ones.
     */
    function relayLink(senderId: string, receiverId: string, peer: number): RelayLinkCount | null {
      if (relaySender.gone) return null;
      const key = relayLinkKey(senderId, receiverId, peer);
      const known = relayLinks.get(key);
      if (known?.owner === relaySender) return known;
      // The same person's link counted for another socket of theirs (one that reconnected, still half-open): it is theirs no more.
      if (known) endRelayLink(known, null);
      if (relaySender.links.size >= RELAY_LINKS_PER_SOCKET) {
        const settled = [...relaySender.links].find((link) => link.waiting.length === 0);
        if (!settled) return null;
        endRelayLink(settled, null);
      }
      const link: RelayLinkCount = { key, socket, owner: relaySender, receiverId, peer, waiting: [], acked: 0, timer: undefined, ended: false };
      relayLinks.set(key, link);
      relaySender.links.add(link);
      return link;
    }
    const events: TokenBucket = { tokens: limits.eventsPerSecond * 2, refilledAt: now() };
    /** A token bucket per socket: floods are answered with ERR_RATE_LIMITED, not processed. */
    const allowEvent = () => takeToken(events, limits.eventsPerSecond, now());

    /**
     * Registers a handler that sees the packet's arguments without a trailing ack function, and a
     * reply that acks at most once (or is undefined when the client sent no ack). A socket's events
     * run one after another (signals must stay in order); anything thrown becomes an error ack, and
     * a handler that said nothing acks `{ ok: true }`.
     */
    function handle(event: keyof ClientToServerEvents, handler: (args: unknown[], reply: Reply | undefined) => Promise<void>): void {
      socket.on(event, (...raw: unknown[]) => {
        const last = raw.at(-1);
        const ackFn = typeof last === 'function' ? (last as (response: unknown) => void) : undefined;
        const args = ackFn ? raw.slice(0, -1) : raw;
        let replied = false;
        const reply: Reply | undefined = ackFn
          ? (response) => {
              if (replied) return;
              replied = true;
              ackFn(response);
            }
          : undefined;
        const fail = (error: unknown) => {
          if (!(error instanceof CoviewError)) onError(error);
          const ack = toErrorAck(error);
          if (!ack.ok) metrics.failures.inc({ code: ack.error.code });
          reply?.(ack);
        };
        if (!allowEvent()) return fail(new CoviewError('ERR_RATE_LIMITED', 'Too many messages: slow down.'));
        chain = chain
          .then(() => handler(args, reply))
          // A client that asked for an answer always gets one.
          .then(() => reply?.({ ok: true }), fail);
      });
    }

    function requireHostOrigin(): void {
      const origin = socket.handshake.headers.origin;
      if (!originAllowed(allowedOrigins, origin)) {
        throw new CoviewError('ERR_ORIGIN_NOT_ALLOWED', `This Coview server does not serve pages on ${origin ?? 'an unknown origin'}. Add it to ALLOWED_ORIGINS.`);
      }
    }

    async function becomeHost(room: string, id: string): Promise<void> {
      await dropRole('host-stopped');
      me = { role: 'host', room, id };
      await socket.join(person(id));
      localHosts.set(socket.id, room);
      metrics.rooms.set(localHosts.size);
    }

    async function becomeAgent(room: string, id: string): Promise<void> {
      await dropRole('host-stopped');
      me = { role: 'agent', room, id };
      await socket.join(person(id));
    }

    /** Until when a drop of this host socket means its page left the site (host:leaving-site); a new role starts without it. */
    let leavingSiteUntil = 0;

    /** One role per socket: taking a new one ends or leaves the old. */
    async function dropRole(reason: EndReason): Promise<void> {
      const was = me;
      if (was.role === null) return;
      me = { role: null };
      leavingSiteUntil = 0;
      await socket.leave(person(was.id));
      if (was.role === 'host') {
        localHosts.delete(socket.id);
        metrics.rooms.set(localHosts.size);
        const room = await store.update(was.room, (r) => (r?.hostId === was.id ? { next: null, result: r } : { result: null }));
        if (room) endRoom(room, reason, false);
      } else {
        await leaveRoom(was.room, was.id);
      }
    }

    async function leaveRoom(roomId: string, agentId: string): Promise<void> {
      const left = await store.update(roomId, (room) => {
        if (!room) return { result: null };
        const { room: next, removed } = rules.removeAgent(room, agentId, now(), roomRules);
        return removed ? { next, result: next.hostId } : { result: null };
      });
      if (left) to(left).emit('agent:left', { agentId });
    }

    handle('host:create', async (args, reply) => {
      // Without an ack the host could never learn it has a room: a room nobody can share is just litter.
      if (!reply) return;
      requireHostOrigin();
      const { room: roomId } = decodeCreateRoom(args[0]);
      await limit(`create:${ip}`, limits.createsPerIpPerMinute);
      const hostKey = randomId(24);
      const hostId = randomId();
      const material = hostKeyMaterial(hostKey);
      const room = await store.update(roomId, (existing) => {
        if (existing) return { result: null };
        const created = rules.newRoom({ roomId, hostId, ...material }, now(), roomRules);
        return { next: created, result: created };
      });
      // The browser drew a code whose room exists (or someone else's id was replayed): it draws again.
      if (!room) throw new CoviewError('ERR_ROOM_BUSY', 'That share code is taken. Try again for another one.');
      await becomeHost(roomId, hostId);
      logger.debug('room created', { room: roomHint(roomId) });
      reply<RoomCreated>({ ok: true, expiresAt: room.expiresAt ?? now() + roomTtlMs, hostId, hostKey, ...iceConfig() });
    });

    handle('host:resume', async (args, reply) => {
      if (!reply) return;
      requireHostOrigin();
      const request = decodeHostResume(args[0]);
      const roomId = request.room;
      // Resumes carry a 256-bit key, and after a restart a whole office comes back at once from one IP.
      await limit(`resume:${ip}`, limits.joinsPerIpPerMinute * 10);
      const material = hostKeyMaterial(request.hostKey);
      const t = now();
      type Resumed = { kind: 'ok'; room: RoomRecord; rebuilt: boolean } | { kind: 'refused' } | { kind: 'locked'; room: RoomRecord };
      const result = await store.update(roomId, (room): Change<Resumed> => {
        if (!room) {
          // The server restarted without shared state: the host brings its session back.
          const rebuilt = rules.rebuiltRoom({ roomId, hostId: request.hostId, ...material }, request.agents, t, roomRules);
          return { next: rebuilt, result: { kind: 'ok', room: rebuilt, rebuilt: true } };
        }
        if (!sameSecret(room.hostKeyHash, material.hostKeyHash) || room.hostId !== request.hostId) {
          const next = rules.wrongTry(room, roomRules);
          return { next, result: next ? { kind: 'refused' } : { kind: 'locked', room } };
        }
        if (rules.isOver(room, t, roomRules)) return { next: null, result: { kind: 'refused' } };
        const back = { ...room, hostOfflineSince: null };
        return { next: back, result: { kind: 'ok', room: back, rebuilt: false } };
      });
      if (result.kind !== 'ok') {
        if (result.kind === 'locked') endRoom(result.room, 'locked', true);
        metrics.resumes.inc({ role: 'host', result: 'refused' });
        throw notFound(roomTtlMs);
      }
      const { room, rebuilt } = result;
      await becomeHost(roomId, room.hostId);
      metrics.resumes.inc({ role: 'host', result: rebuilt ? 'rebuilt' : 'ok' });
      logger.info('host resumed', { room: roomHint(roomId), rebuilt });
      reply<RoomResumed>({ ok: true, agents: room.agents.map(({ id, name, status }) => ({ id, name, status })), ...iceConfig() });
    });

    handle('agent:join', async (args, reply) => {
      if (!reply) return;
      const request = decodeJoinRequest(args[0]);
      const roomId = request.room;
      await limit(`join-ip:${ip}`, limits.joinsPerIpPerMinute);
      await limit(`join-room:${roomId}`, limits.joinsPerRoomPerMinute);
      let name = cleanName(request.name);
      if (options.agentTokenSecret) {
        const claims = request.token ? verifyAgentToken(options.agentTokenSecret, request.token, now()) : null;
        if (!claims) {
          metrics.joins.inc({ result: 'bad_token' });
          throw new CoviewError('ERR_AGENT_TOKEN', 'This Coview server only lets in signed-in agents. Open the join page from your helpdesk (it adds your agent token).');
        }
        if (claims.name) name = cleanName(claims.name);
      }
      if (me.role === 'host') throw new CoviewError('ERR_ALREADY_SHARING', 'This connection is sharing a session, so it cannot also join one. Open the join page in another browser.');
      const agentId = randomId();
      const result = await store.update(roomId, (room): Change<rules.JoinOutcome> => {
        const joined = rules.join(room, { id: agentId, name }, now(), roomRules);
        return joined.ok ? { next: joined.room, result: joined } : { result: joined };
      });
      metrics.joins.inc({ result: result.ok ? 'ok' : result.reason });
      if (!result.ok) {
        if (result.reason === 'busy') throw new CoviewError('ERR_ROOM_BUSY', 'Too many people are already waiting to join this session. Ask the customer to answer them, then try again.');
        throw notFound(roomTtlMs);
      }
      await becomeAgent(roomId, agentId);
      // Ack first: the agent must know it is waiting before the host can possibly answer.
      reply<Joined>({ ok: true, agentId, agentKey: agentKey(result.room.agentSecret, agentId), name, ...iceConfig() });
      to(result.room.hostId).emit('agent:request', { agentId, name });
    });

    handle('agent:resume', async (args, reply) => {
      if (!reply) return;
      const request = decodeAgentResume(args[0]);
      const roomId = request.room;
      await limit(`resume:${ip}`, limits.joinsPerIpPerMinute * 10);
      const t = now();
      const result = await store.update(roomId, (room): Change<{ status?: 'pending' | 'accepted'; locked?: RoomRecord }> => {
        if (!room || rules.isOver(room, t, roomRules)) return { result: {} };
        if (!sameSecret(agentKey(room.agentSecret, request.agentId), request.agentKey)) {
          const next = rules.wrongTry(room, roomRules);
          return { next, result: next ? {} : { locked: room } };
        }
        const agent = rules.findAgent(room, request.agentId);
        if (!agent) return { result: {} };
        return { next: rules.setAgentOnline(room, agent.id, true, t), result: { status: agent.status } };
      });
      if (result.locked) endRoom(result.locked, 'locked', true);
      if (!result.status) {
        metrics.resumes.inc({ role: 'agent', result: 'refused' });
        throw notFound(roomTtlMs);
      }
      await becomeAgent(roomId, request.agentId);
      metrics.resumes.inc({ role: 'agent', result: 'ok' });
      reply<AgentResumed>({ ok: true, status: result.status, ...iceConfig() });
    });

    handle('host:decide', async (args) => {
      const { agentId, allow } = decodeHostDecision(args[0]);
      const host = me;
      if (host.role !== 'host') return;
      const result = await store.update(host.room, (room) => {
        if (!room || room.hostId !== host.id) return { result: null };
        const decided = rules.decide(room, agentId, allow, roomRules);
        if (!decided.ok || decided.outcome === 'unchanged') return { result: null };
        return { next: decided.room, result: { outcome: decided.outcome, room } };
      });
      if (!result) return;
      if (result.outcome === 'accepted') return void to(agentId).emit('join:accepted');
      to(agentId).emit('join:declined');
      if (result.outcome === 'locked') {
        endRoom(result.room, 'locked', true);
        await dropRole('locked');
      }
    });

    handle('host:invite', async (args, reply) => {
      if (!reply) return;
      decodeHostInvite(args[0] ?? {});
      const host = me;
      if (host.role !== 'host') throw new CoviewError('ERR_ROOM_NOT_FOUND', 'Only the customer sharing a session can invite another agent.');
      // Each invitation opens the code to join attempts again: as many per minute as joins.
      await limit(`invite:${host.room}`, limits.joinsPerRoomPerMinute);
      const result = await store.update(host.room, (room): Change<rules.InviteOutcome> => {
        const invited = rules.invite(room?.hostId === host.id ? room : null, now(), roomRules);
        return invited.ok ? { next: invited.room, result: invited } : { result: invited };
      });
      if (!result.ok) throw notFound(roomTtlMs);
      logger.debug('room re-armed', { room: roomHint(host.room) });
      reply<Invited>({ ok: true, expiresAt: result.until });
    });

    handle('signal', async (args) => {
      const started = process.hrtime.bigint();
      const { to: target, data, peer } = decodeSignalOut(args[0]);
      if (data === undefined || jsonBytes(data) > MAX_SIGNAL_BYTES || me.role === null) return;
      const sender = me;
      const room = await store.get(sender.room);
      if (!room) return;
      const message = { from: sender.id, data, ...(peer === undefined ? {} : { peer }) };
      if (sender.role === 'host') {
        // A host talks only to agents it let in, never to an arbitrary id.
        if (room.hostId !== sender.id || target === undefined || rules.findAgent(room, target)?.status !== 'accepted') return;
        to(target).emit('signal', message);
      } else {
        if (rules.findAgent(room, sender.id)?.status !== 'accepted') return;
        to(room.hostId).emit('signal', message);
      }
      metrics.relayed.inc();
      metrics.latency.observe(Number(process.hrtime.bigint() - started) / 1e9);
    });

    /**
     * A sealed relay frame (base64 text), forwarded only within the sender's room, to the person it
     * is for (a host to an agent it let in, an agent to its host), through io.to() like every
     * event, so it crosses processes with the Redis adapter. Not through `handle`: frames are paced
     * by bytes, not by the per-socket event bucket. Memory is bounded when a frame arrives: its
     * bytes count against the room's buffer, and the socket's frames against
     * RELAY_FRAMES_PER_SOCKET, from then until its receiver acknowledged it (`relay:ack`, below).
     * The room lookup runs in the socket's chain, so frames keep their order after the signals
     * before them; the bandwidth wait runs in a chain of its own, so it never delays the socket's
     * other events. A refused frame ends its link (`relay:ack` with `refused`), and the sender renews it.
     */
    socket.on('relay', (...raw: unknown[]) => {
      const oldClient = raw.at(-1);
      if (typeof oldClient === 'function') {
        // A page loaded before this server's update (0.1's binary frames, acknowledged one by one): told plainly, not left waiting.
        metrics.failures.inc({ code: 'ERR_RELAY_REFUSED' });
        return void (oldClient as (response: Ack<object>) => void)({ ok: false, error: { code: 'ERR_RELAY_REFUSED', message: 'This Coview server relays frames differently now: reload the page.' } });
      }
      const input = raw[0] as { to?: unknown; peer?: unknown } | null | undefined;
      const refuse = (message: string, code: 'ERR_RELAY_REFUSED' | 'ERR_MALFORMED_MESSAGE' = 'ERR_RELAY_REFUSED') =>
        sendRefusal(socket, { from: typeof input?.to === 'string' ? input.to : '', peer: typeof input?.peer === 'number' ? input.peer : 0, count: 0 }, code, message);
      if (!relay.enabled) return refuse('This Coview server does not relay sessions (RELAY_FALLBACK=false).');
      let frame: RelayOut;
      try {
        frame = decodeRelayOut(input);
      } catch (error) {
        return refuse(error instanceof Error ? error.message : 'Malformed relay frame.', 'ERR_MALFORMED_MESSAGE');
      }
      const arrived = me;
      if (arrived.role === null) return refuse('Relay frames need a session.');
      if (relaySender.refused.has(frame.peer)) return refuse('This relay link was refused before: renew it.');
      // A renewal: the sender's older links to the same person are over, and their frames let go of (before this one is counted).
      for (const older of relaySender.links) if (older.peer < frame.peer && (frame.to === undefined || older.receiverId === frame.to)) endRelayLink(older, null);
      const bytes = relayFrameBytes(frame.data);
      const budget = relayBudget(arrived.room);
      if (relayFrames >= RELAY_FRAMES_PER_SOCKET || budget.buffered + bytes > relay.bufferBytesPerRoom) {
        refusePeer(relaySender, frame.peer);
        return refuse(relayFrames >= RELAY_FRAMES_PER_SOCKET ? 'Too many relay frames are waiting for their acks: slow down.' : 'Too much relayed data is waiting in this session: slow down.');
      }
      relayFrames++;
      budget.buffered += bytes;
      const release = () => {
        relayFrames--;
        budget.buffered -= bytes;
      };
      chain = chain
        .then(async () => {
          const sender = me;
          if (sender.role === null || sender.room !== arrived.room) return release(), refuse('Relay frames need a session.');
          const room = await store.get(sender.room);
          let target: string | undefined;
          if (sender.role === 'host') {
            if (room?.hostId === sender.id && frame.to !== undefined && rules.findAgent(room, frame.to)?.status === 'accepted') target = frame.to;
          } else if (room && rules.findAgent(room, sender.id)?.status === 'accepted') {
            target = room.hostId;
          }
          if (!target) return release(), refuse('Nobody in this session to relay to.');
          const link = relayLink(sender.id, target, frame.peer);
          if (!link) {
            release();
            if (!relaySender.gone) refuse('Too many relay links at once.');
            return;
          }
          const waiting: WaitingFrame = { counter: relayCounter(frame.data), forwarded: false, release };
          link.waiting.push(waiting);
          const to = target;
          relayChain = relayChain
            .then(async () => {
              const wait = takeBandwidth(budget, Math.max(RELAY_MIN_FRAME_COST, bytes));
              if (wait > 0) {
                // Held here, in order: the sender's window fills and it waits for its acks.
                metrics.relayWaits.inc();
                await new Promise((resolve) => setTimeout(resolve, wait));
              }
              // Ended meanwhile (refused, or not acknowledged in time): its frames were let go of.
              if (link.ended) return;
              io.to(person(to)).emit('relay', { from: sender.id, peer: frame.peer, data: frame.data });
              waiting.forwarded = true;
              metrics.relayBytes.inc(bytes);
              link.timer ??= ackDeadline(link);
            })
            .catch((error: unknown) => {
              onError(error);
              endRelayLink(link, 'The relay failed.');
            });
        })
        .catch((error: unknown) => {
          onError(error);
          release();
          refuse('The relay failed.');
        });
    });

    const acks: TokenBucket = { tokens: RELAY_ACKS_PER_SECOND * 2, refilledAt: now() };
    /**
     * A receiver's cumulative ack of a relay link (it handled `count` frames from `to`), or its
     * refusal (it has no such link), rate-limited by `acks`. Only the process that forwarded the frames knows the link: it
     * lets go of them and tells the sender, so nobody can acknowledge frames that were not sent to them.
     */
    socket.on('relay:ack', (...raw: unknown[]) => {
      const acker = me;
      if (acker.role === null || !takeToken(acks, RELAY_ACKS_PER_SECOND, now())) return;
      let ack: RelayAckOut;
      try {
        ack = decodeRelayAckOut(raw[0]);
      } catch {
        // A malformed ack settles nothing: the sender's link times out and is renewed.
        return;
      }
      // Counted on another process (the Redis adapter): that one settles it.
      if (!settleRelayLink(ack.to, acker.id, ack) && options.adapter) io.serverSideEmit('relay:ack', ack.to, acker.id, ack);
    });

    handle('host:transport', async (args) => {
      const { agentId, transport } = decodeTransportReport(args[0]);
      const host = me;
      if (host.role !== 'host') return;
      const room = await store.get(host.room);
      if (room?.hostId === host.id && rules.findAgent(room, agentId)?.status === 'accepted') metrics.sessions.inc({ transport });
    });

    handle('peer:restart', async (args) => {
      const { peer } = decodePeerRestart(args[0]);
      const sender = me;
      if (sender.role !== 'agent') return;
      const room = await store.get(sender.room);
      if (room && rules.findAgent(room, sender.id)?.status === 'accepted') to(room.hostId).emit('peer:restart', { from: sender.id, peer });
    });

    handle('host:stop', async () => {
      if (me.role === 'host') await dropRole('host-stopped');
    });

    handle('host:left-site', async () => {
      if (me.role === 'host') await dropRole('host-left-site');
    });

    handle('host:leaving-site', async (args) => {
      const { leaving } = decodeLeavingSite(args[0]);
      leavingSiteUntil = leaving && me.role === 'host' ? now() + LEAVING_SITE_MS : 0;
    });

    handle('agent:leave', async () => {
      if (me.role === 'agent') await dropRole('host-stopped');
    });

    socket.on('disconnect', () => {
      metrics.sockets.dec();
      relaySender.gone = true;
      for (const link of relaySender.links) endRelayLink(link, null);
      // After the events that came before it: a client that says something (a signal, a leave)
      // and closes at once is still heard, as who it was.
      chain = chain
        .then(async () => {
          const was = me;
          if (was.role === null) return;
          // The page followed a link to another site a moment ago: it is gone, not reloading (unless
          // it is back on another socket already, or this server is the one going away).
          if (was.role === 'host' && now() < leavingSiteUntil && !draining && (await nobodyElseIs(was.id))) return dropRole('host-left-site');
          localHosts.delete(socket.id);
          metrics.rooms.set(localHosts.size);
          me = { role: null };
          return wentAway(was);
        })
        .catch(onError);
    });
  });

  /** No socket on any process is `id` now. Not sure (a process did not answer) counts as someone: the caller then keeps the usual grace. */
  async function nobodyElseIs(id: string): Promise<boolean> {
    try {
      return (await io.in(person(id)).fetchSockets()).length === 0;
    } catch {
      return false;
    }
  }

  /**
   * A socket dropped. Its person keeps their place for the grace period (they may be reloading,
   * on a flaky network, or reconnecting to another server), unless another socket is them already.
   */
  async function wentAway(was: Extract<Me, { role: 'host' | 'agent' }>): Promise<void> {
    if ((await io.in(person(was.id)).fetchSockets()).length > 0) return;
    const t = now();
    if (was.role === 'host') {
      const marked = await store.update(was.room, (room) => (room?.hostId === was.id ? { next: { ...room, hostOfflineSince: t }, result: true } : { result: false }));
      if (!marked) return;
      later(roomRules.graceMs, async () => {
        const gone = await store.update(was.room, (room) => (room?.hostId === was.id && room.hostOfflineSince === t ? { next: null, result: room } : { result: null }));
        if (gone) endRoom(gone, 'host-left', false);
      });
      return;
    }
    const state = await store.update(was.room, (room) => {
      const agent = room && rules.findAgent(room, was.id);
      if (!room || !agent) return { result: null };
      // Someone still waiting for consent has nothing to come back to: they ask again.
      if (agent.status === 'pending') return { next: rules.removeAgent(room, was.id, t, roomRules).room, result: { hostId: room.hostId, removed: true } };
      return { next: rules.setAgentOnline(room, was.id, false, t), result: { hostId: room.hostId, removed: false } };
    });
    if (!state) return;
    if (state.removed) return void to(state.hostId).emit('agent:left', { agentId: was.id });
    later(roomRules.graceMs, async () => {
      const hostId = await store.update(was.room, (room) => {
        const agent = room && rules.findAgent(room, was.id);
        if (!room || agent?.offlineSince !== t) return { result: null };
        return { next: rules.removeAgent(room, was.id, now(), roomRules).room, result: room.hostId };
      });
      if (hostId) to(hostId).emit('agent:left', { agentId: was.id });
    });
  }

  function relayBudget(roomId: string): RelayBudget {
    let budget = relayBudgets.get(roomId);
    if (!budget) {
      budget = { tokens: relay.bytesPerSecondPerRoom, refilledAt: now(), buffered: 0 };
      relayBudgets.set(roomId, budget);
    }
    return budget;
  }

  /** Takes `bytes` from the room's bucket (one second's worth at most); returns how long to wait until they are paid for. */
  function takeBandwidth(budget: TokenBucket, bytes: number): number {
    refill(budget, relay.bytesPerSecondPerRoom, relay.bytesPerSecondPerRoom, now());
    budget.tokens -= bytes;
    return budget.tokens >= 0 ? 0 : Math.ceil((-budget.tokens / relay.bytesPerSecondPerRoom) * 1000);
  }

  /** Unused codes of hosts connected here expire; their host and any waiting agents are told. */
  async function sweep(): Promise<void> {
    const t = now();
    // Budgets of rooms that relayed nothing for a while are forgotten (a full bucket is the default anyway).
    for (const [roomId, budget] of relayBudgets) if (budget.buffered === 0 && t - budget.refilledAt > 60_000) relayBudgets.delete(roomId);
    for (const roomId of new Set(localHosts.values())) {
      const ended = await store.update(roomId, (room) => (room && room.expiresAt !== null && room.expiresAt <= t ? { next: null, result: room } : { result: null }));
      if (ended) endRoom(ended, 'expired', true);
    }
  }

  const sweeper = setInterval(() => void sweep().catch(onError), sweepIntervalMs);
  // Sweeping alone must never keep the process (or a test run) alive.
  sweeper.unref();

  async function drain(): Promise<void> {
    draining = true;
    onDrain?.();
    io.local.emit('server:restarting');
    // Let the goodbye leave before the sockets close.
    await new Promise((resolve) => setTimeout(resolve, 100));
    io.local.disconnectSockets(true);
  }

  return {
    io,
    store,
    metrics,
    drain,
    async close() {
      clearInterval(sweeper);
      for (const timer of timers) clearTimeout(timer);
      await io.close();
    },
  };
}

/** The server does not know the code (only its room id): the join page adds it to what the agent reads. */
function notFound(ttlMs: number): CoviewError {
  return new CoviewError('ERR_ROOM_NOT_FOUND', `No active session has this code. Check the code with the customer: each code works once and expires after ${describeDuration(ttlMs)} unused.`);
}

function toErrorAck(error: unknown): Ack<object> {
  if (error instanceof CoviewError) return { ok: false, error: { code: error.code, message: error.message } };
  return { ok: false, error: { code: 'ERR_MALFORMED_MESSAGE', message: 'The signaling server could not handle that request.' } };
}

function clientIp(socket: CoviewSocket, trustProxy: boolean): string {
  const forwarded = socket.handshake.headers['x-forwarded-for'];
  if (trustProxy && typeof forwarded === 'string') return forwarded.split(',')[0]!.trim();
  return socket.handshake.address;
}

/** Names are shown to the customer deciding whether to let someone in: no control or bidi tricks. */
function cleanName(name: string): string {
  const cleaned = name.replace(/[\p{Cc}\p{Cf}]/gu, '').replace(/\s+/g, ' ').trim().slice(0, 60);
  return cleaned || 'Support agent';
}

function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? '');
}

function describeDuration(ms: number): string {
  const minutes = ms / 60_000;
  if (Number.isInteger(minutes)) return minutes === 1 ? '1 minute' : `${minutes} minutes`;
  const seconds = Math.max(1, Math.round(ms / 1000));
  return seconds === 1 ? '1 second' : `${seconds} seconds`;
}
