import { randomInt } from 'node:crypto';
import type { Server as HttpServer } from 'node:http';
import { Server, type Socket } from 'socket.io';
import {
  CoviewError,
  MAX_SIGNAL_BYTES,
  ROOM_CODE_DIGITS,
  decodeHostDecision,
  decodeJoinRequest,
  decodeSignalOut,
  formatRoomCode,
  normalizeRoomCode,
  type Ack,
  type ClientToServerEvents,
  type EndReason,
  type IceServer,
  type RoomCreated,
  type ServerToClientEvents,
} from '../widget/protocol/index.js';
import { createRoomRegistry, type Departure, type JoinResult, type Room, type RoomRegistry } from './rooms.js';

/**
 * The signaling server: it pairs a customer's page (host) with a support agent by share code and
 * relays WebRTC signals between them without reading them. Page content never passes here.
 *
 * Every client packet is typed `unknown` (see Untrusted) and decoded with the protocol decoders;
 * no handler can throw out, so one bad client never takes the server down for everyone else.
 */

/** Every client event, as the server must see it: arguments of unknown shape, maybe no ack. */
export type Untrusted<Events> = { [K in keyof Events]: (...args: unknown[]) => void };

export type SignalingIo = Server<Untrusted<ClientToServerEvents>, ServerToClientEvents>;
type CoviewSocket = Socket<Untrusted<ClientToServerEvents>, ServerToClientEvents>;

export interface SignalingOptions {
  /** How long a room lives while no agent is accepted. Default 10 minutes. */
  roomTtlMs?: number;
  /** STUN/TURN servers handed to both peers. Default none (fine on one network, e.g. tests). */
  iceServers?: IceServer[];
  /** Clock, injectable for tests. Default Date.now. */
  now?: () => number;
  /** How often expired rooms are swept. Default a quarter of the ttl, at most 30 s. */
  sweepIntervalMs?: number;
  /** Draws a formatted share code. Default: crypto randomness (see randomRoomCode). */
  newCode?: () => string;
  /** Called with unexpected errors (bugs, not bad input). Default console.error. */
  onError?: (error: unknown) => void;
}

export interface SignalingServer {
  io: SignalingIo;
  rooms: RoomRegistry;
  /** Disconnects every client and stops sweeping. Socket.IO also closes the http server it is attached to. */
  close(): Promise<void>;
}

export const DEFAULT_ROOM_TTL_MS = 10 * 60_000;

/** Socket.IO's default is 1 MB; the largest legitimate packet is a signal of MAX_SIGNAL_BYTES. */
export const MAX_PACKET_BYTES = 100_000;

/** A share code from crypto randomness: codes are what stand between a stranger and a request to watch. */
export function randomRoomCode(): string {
  return formatRoomCode(String(randomInt(0, 10 ** ROOM_CODE_DIGITS)).padStart(ROOM_CODE_DIGITS, '0'));
}

const EXAMPLE_CODE = formatRoomCode('482913227');

type Reply = <T extends object>(response: Ack<T>) => void;

export function createSignalingServer(httpServer: HttpServer, options: SignalingOptions = {}): SignalingServer {
  const {
    roomTtlMs = DEFAULT_ROOM_TTL_MS,
    iceServers = [],
    now = Date.now,
    sweepIntervalMs = Math.max(10, Math.min(30_000, Math.floor(roomTtlMs / 4))),
    newCode = randomRoomCode,
    onError = (error: unknown) => console.error('[coview] signaling handler failed:', error),
  } = options;

  const rooms = createRoomRegistry({ ttlMs: roomTtlMs, now, newCode });
  const io: SignalingIo = new Server(httpServer, {
    maxHttpBufferSize: MAX_PACKET_BYTES,
    serveClient: false,
    // The widget runs on the customer's site, whatever its origin; nothing here uses cookies.
    cors: { origin: '*' },
  });

  function endRoom(room: Room, reason: EndReason): void {
    for (const agentId of [...room.pending.keys(), ...room.accepted.keys()]) io.to(agentId).emit('session:ended', { reason });
  }

  function tellHostAgentLeft(departure: Departure | null): void {
    if (departure) io.to(departure.room.hostId).emit('agent:left', { agentId: departure.agentId });
  }

  /**
   * Registers a handler that sees the packet's arguments without a trailing ack function, and a
   * reply that acks at most once (or is undefined when the client sent no ack). Anything thrown
   * becomes an error ack, never an exception in Socket.IO.
   */
  function handle(socket: CoviewSocket, event: keyof ClientToServerEvents, handler: (args: unknown[], reply: Reply | undefined) => void): void {
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
      try {
        handler(args, reply);
      } catch (error) {
        if (!(error instanceof CoviewError)) onError(error);
        reply?.(toErrorAck(error));
      }
    });
  }

  io.on('connection', (socket) => {
    handle(socket, 'host:create', (_args, reply) => {
      // Without an ack the host could never learn its code: a room nobody can share is just litter.
      if (!reply) return;
      const result = rooms.create(socket.id);
      if (!result.ok) throw new CoviewError('ERR_ROOM_BUSY', 'The server could not find a free share code. Try again in a moment.');
      if (result.ended) endRoom(result.ended, 'host-stopped');
      tellHostAgentLeft(result.left);
      const { code, expiresAt } = result.room;
      reply<RoomCreated>({ ok: true, code, expiresAt: expiresAt ?? now() + roomTtlMs, iceServers });
    });

    handle(socket, 'agent:join', (args, reply) => {
      if (!reply) return;
      const request = decodeJoinRequest(args[0]);
      const code = normalizeRoomCode(request.code);
      if (code === null) {
        throw new CoviewError('ERR_BAD_CODE', `That doesn't look like a share code: it has ${ROOM_CODE_DIGITS} digits, like ${EXAMPLE_CODE}.`);
      }
      const name = cleanName(request.name);
      const result = rooms.join(code, socket.id, name);
      if (!result.ok) throw joinError(result.reason, code, roomTtlMs);
      tellHostAgentLeft(result.left);
      // Ack first: the agent must know it is waiting before the host can possibly answer.
      reply<{ iceServers: IceServer[] }>({ ok: true, iceServers });
      io.to(result.room.hostId).emit('agent:request', { agentId: socket.id, name });
    });

    handle(socket, 'host:decide', (args) => {
      const { agentId, allow } = decodeHostDecision(args[0]);
      const result = rooms.decide(socket.id, agentId, allow);
      if (!result.ok || result.outcome === 'unchanged') return;
      io.to(agentId).emit(result.outcome === 'accepted' ? 'join:accepted' : 'join:declined');
    });

    handle(socket, 'signal', (args) => {
      const { to, data } = decodeSignalOut(args[0]);
      if (data === undefined || jsonBytes(data) > MAX_SIGNAL_BYTES) return;
      const message = { from: socket.id, data };
      const hosted = rooms.roomOfHost(socket.id);
      if (hosted) {
        // A host talks only to agents it let in, never to an arbitrary socket id.
        if (to !== undefined && hosted.accepted.has(to)) io.to(to).emit('signal', message);
        return;
      }
      const joined = rooms.roomOfAgent(socket.id);
      if (joined?.accepted.has(socket.id)) io.to(joined.hostId).emit('signal', message);
    });

    handle(socket, 'host:stop', () => {
      const room = rooms.removeHost(socket.id);
      if (room) endRoom(room, 'host-stopped');
    });

    handle(socket, 'agent:leave', () => tellHostAgentLeft(rooms.leave(socket.id)));

    socket.on('disconnect', () => {
      try {
        const room = rooms.removeHost(socket.id);
        if (room) endRoom(room, 'host-left');
        tellHostAgentLeft(rooms.leave(socket.id));
      } catch (error) {
        onError(error);
      }
    });
  });

  const sweeper = setInterval(() => {
    try {
      for (const room of rooms.sweep()) {
        io.to(room.hostId).emit('session:ended', { reason: 'expired' });
        endRoom(room, 'expired');
      }
    } catch (error) {
      onError(error);
    }
  }, sweepIntervalMs);
  // Sweeping alone must never keep the process (or a test run) alive.
  sweeper.unref();

  return {
    io,
    rooms,
    async close() {
      clearInterval(sweeper);
      await io.close();
    },
  };
}

function toErrorAck(error: unknown): Ack<object> {
  if (error instanceof CoviewError) return { ok: false, error: { code: error.code, message: error.message } };
  return { ok: false, error: { code: 'ERR_MALFORMED_MESSAGE', message: 'The signaling server could not handle that request.' } };
}

function joinError(reason: Extract<JoinResult, { ok: false }>['reason'], code: string, ttlMs: number): CoviewError {
  switch (reason) {
    case 'not_found':
    case 'expired':
      return new CoviewError(
        'ERR_ROOM_NOT_FOUND',
        `No active session has the code ${code}. Check the code with the customer: codes expire after ${describeDuration(ttlMs)} unused.`,
      );
    case 'own_room':
      return new CoviewError('ERR_ALREADY_SHARING', 'This connection is sharing a session, so it cannot also join one. Open the join page in another browser.');
    case 'busy':
      return new CoviewError('ERR_ROOM_BUSY', 'Too many people are already waiting to join this session. Ask the customer to answer them, then try again.');
  }
}

/** Names are shown to the customer deciding whether to let someone in: no control or bidi tricks. */
function cleanName(name: string): string {
  const cleaned = name.replace(/[\p{Cc}\p{Cf}]/gu, '').replace(/\s+/g, ' ').trim();
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
