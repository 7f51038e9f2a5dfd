/**
 * The room registry: which host shares under which code, and which agents wait or watch.
 *
 * Pure on purpose (no sockets, no timers, no I/O): time and code generation are injected, so every
 * rule below is tested with a fake clock, and server.ts only maps results to events and errors.
 *
 * Rules:
 * - A socket plays one role at a time: it hosts one room, or it is an agent of one room.
 *   Creating a room ends the host's previous one; joining a room leaves the previous one.
 * - Codes are unique among the rooms held here (expired rooms keep their code until swept).
 * - An unused room expires `ttlMs` after it was created. While at least one agent is accepted it
 *   does not expire; when the last accepted agent leaves, the clock restarts from then.
 */

export interface Room {
  readonly code: string;
  readonly hostId: string;
  readonly createdAt: number;
  /** When the room expires, or null while an agent is accepted (a live session never expires). */
  readonly expiresAt: number | null;
  /** Agents waiting for the host's decision: socket id → display name. */
  readonly pending: ReadonlyMap<string, string>;
  /** Agents the host let in: socket id → display name. */
  readonly accepted: ReadonlyMap<string, string>;
}

interface MutableRoom extends Room {
  expiresAt: number | null;
  readonly pending: Map<string, string>;
  readonly accepted: Map<string, string>;
}

export interface RoomRegistryOptions {
  /** How long a room lives while nobody is accepted in it. */
  ttlMs: number;
  now: () => number;
  /** Draws a candidate code; called again on collision. */
  newCode: () => string;
  /** How many agents may wait for a decision at once; more is someone knocking in a loop. Default 10. */
  maxPending?: number;
  /** How many draws of `newCode` before giving up. Default 100. */
  maxCodeAttempts?: number;
}

/** An agent that left a room (or was removed from one). */
export interface Departure {
  room: Room;
  agentId: string;
  name: string;
  wasAccepted: boolean;
}

export type CreateResult =
  | {
      ok: true;
      room: Room;
      /** The room this host shared before, now ended: its agents must be told. */
      ended: Room | null;
      /** The room this socket was an agent of, now left: its host must be told. */
      left: Departure | null;
    }
  | { ok: false; reason: 'no_free_code' };

export type JoinResult =
  | { ok: true; room: Room; left: Departure | null }
  | { ok: false; reason: 'not_found' | 'expired' | 'own_room' | 'busy' };

export type DecideResult =
  | { ok: true; room: Room; agentId: string; outcome: 'accepted' | 'declined' | 'unchanged' }
  | { ok: false; reason: 'not_host' | 'no_such_agent' };

export interface RoomRegistry {
  create(hostId: string): CreateResult;
  join(code: string, agentId: string, name: string): JoinResult;
  /** Allow moves a pending agent in; deny removes a pending or accepted agent. */
  decide(hostId: string, agentId: string, allow: boolean): DecideResult;
  leave(agentId: string): Departure | null;
  /** Ends the room hosted by this socket and returns it (with its agents), or null. */
  removeHost(hostId: string): Room | null;
  /** Removes and returns rooms whose time is up. */
  sweep(): Room[];
  get(code: string): Room | undefined;
  roomOfHost(socketId: string): Room | undefined;
  roomOfAgent(socketId: string): Room | undefined;
  readonly size: number;
}

export function createRoomRegistry(options: RoomRegistryOptions): RoomRegistry {
  const { ttlMs, now, newCode, maxPending = 10, maxCodeAttempts = 100 } = options;
  const rooms = new Map<string, MutableRoom>();
  const codeByHost = new Map<string, string>();
  const codeByAgent = new Map<string, string>();

  const isExpired = (room: Room): boolean => room.expiresAt !== null && room.expiresAt <= now();
  const roomOfHost = (socketId: string): MutableRoom | undefined => lookup(codeByHost.get(socketId));
  const roomOfAgent = (socketId: string): MutableRoom | undefined => lookup(codeByAgent.get(socketId));

  function lookup(code: string | undefined): MutableRoom | undefined {
    return code === undefined ? undefined : rooms.get(code);
  }

  function drawCode(): string | null {
    for (let attempt = 0; attempt < maxCodeAttempts; attempt++) {
      const code = newCode();
      if (!rooms.has(code)) return code;
    }
    return null;
  }

  function removeRoom(room: MutableRoom): void {
    rooms.delete(room.code);
    codeByHost.delete(room.hostId);
    for (const id of room.pending.keys()) codeByAgent.delete(id);
    for (const id of room.accepted.keys()) codeByAgent.delete(id);
  }

  function removeAgent(room: MutableRoom, agentId: string): Departure | null {
    const wasAccepted = room.accepted.has(agentId);
    const name = room.accepted.get(agentId) ?? room.pending.get(agentId);
    if (name === undefined) return null;
    room.accepted.delete(agentId);
    room.pending.delete(agentId);
    codeByAgent.delete(agentId);
    // The session just became unused again: give it a fresh ttl rather than ending it at once.
    if (wasAccepted && room.accepted.size === 0) room.expiresAt = now() + ttlMs;
    return { room, agentId, name, wasAccepted };
  }

  function leave(agentId: string): Departure | null {
    const room = roomOfAgent(agentId);
    return room ? removeAgent(room, agentId) : null;
  }

  function removeHost(hostId: string): Room | null {
    const room = roomOfHost(hostId);
    if (!room) return null;
    removeRoom(room);
    return room;
  }

  return {
    create(hostId) {
      const code = drawCode();
      if (code === null) return { ok: false, reason: 'no_free_code' };
      const ended = removeHost(hostId);
      const left = leave(hostId);
      const createdAt = now();
      const room: MutableRoom = { code, hostId, createdAt, expiresAt: createdAt + ttlMs, pending: new Map(), accepted: new Map() };
      rooms.set(code, room);
      codeByHost.set(hostId, code);
      return { ok: true, room, ended, left };
    },

    join(code, agentId, name) {
      const room = rooms.get(code);
      if (!room) return { ok: false, reason: 'not_found' };
      if (isExpired(room)) return { ok: false, reason: 'expired' };
      // One role per socket: a host cannot watch a session, not even its own.
      if (codeByHost.has(agentId)) return { ok: false, reason: 'own_room' };
      const again = room.pending.has(agentId) || room.accepted.has(agentId);
      if (!again && room.pending.size >= maxPending) return { ok: false, reason: 'busy' };
      // Asking again (even for the same room) starts over as pending: the host decides afresh.
      const left = leave(agentId);
      room.pending.set(agentId, name);
      codeByAgent.set(agentId, code);
      return { ok: true, room, left };
    },

    decide(hostId, agentId, allow) {
      const room = roomOfHost(hostId);
      if (!room) return { ok: false, reason: 'not_host' };
      const name = room.pending.get(agentId);
      if (allow) {
        if (name === undefined) {
          return room.accepted.has(agentId) ? { ok: true, room, agentId, outcome: 'unchanged' } : { ok: false, reason: 'no_such_agent' };
        }
        room.pending.delete(agentId);
        room.accepted.set(agentId, name);
        room.expiresAt = null;
        return { ok: true, room, agentId, outcome: 'accepted' };
      }
      return removeAgent(room, agentId) ? { ok: true, room, agentId, outcome: 'declined' } : { ok: false, reason: 'no_such_agent' };
    },

    leave,
    removeHost,

    sweep() {
      const expired = [...rooms.values()].filter(isExpired);
      for (const room of expired) removeRoom(room);
      return expired;
    },

    get: (code) => rooms.get(code),
    roomOfHost,
    roomOfAgent,
    get size() {
      return rooms.size;
    },
  };
}
