/**
 * The room rules, as pure functions on a plain JSON record (no sockets, no timers, no I/O), so
 * the same rules run whether the record lives in this process or in Redis (see store.ts), and
 * every rule is tested with a hand-driven clock.
 *
 * People are named by stable ids drawn by the server, never by socket ids: a socket can drop and
 * come back (network blip, server restart, page reload) and still be the same host or agent.
 *
 * Rules:
 * Rooms are named by room id (derived from the share code in the browsers; see
 * widget/protocol/handshake.ts): "code" below means the room it opens.
 *
 * - A code is single-use: it admits one agent. Once the host accepts someone, nobody else can join
 *   with it (the host asks for a fresh code when that agent leaves).
 * - Inviting another agent re-arms the same code for one more join, for `ttlMs`: the agents
 *   already accepted stay, and accepting the next one uses the code up again.
 * - An unused code expires `ttlMs` after it was drawn. A used room does not expire while its people
 *   come back: someone who drops (socket gone) keeps their place for `graceMs`.
 * - After `maxWrongTries` wrong tries against a room (declined requests, wrong resume keys) the
 *   room is locked: it ends, and its host is told so.
 */

export interface AgentRecord {
  id: string;
  name: string;
  status: 'pending' | 'accepted';
  /** When this agent's socket dropped, or null while connected. */
  offlineSince: number | null;
}

export interface RoomRecord {
  /** The id both browsers derive from the share code; the code itself is never here. */
  roomId: string;
  hostId: string;
  /** sha256 of the host's resume key: the key itself is only ever known to the host. */
  hostKeyHash: string;
  /** Derived from the host's key; agent resume keys are HMACs of agent ids under it. */
  agentSecret: string;
  createdAt: number;
  /** When the unused code expires; null once an agent was accepted. */
  expiresAt: number | null;
  used: boolean;
  /** While an invitation re-opened a used code: when it lapses (the room itself does not). */
  invitedUntil?: number | null;
  hostOfflineSince: number | null;
  agents: AgentRecord[];
  wrongTries: number;
}

export interface RoomRules {
  ttlMs: number;
  /** How long someone whose socket dropped keeps their place. */
  graceMs: number;
  /** How many agents may wait for a decision at once; more is someone knocking in a loop. */
  maxPending: number;
  maxWrongTries: number;
}

export const DEFAULT_RULES: RoomRules = { ttlMs: 10 * 60_000, graceMs: 10 * 60_000, maxPending: 10, maxWrongTries: 5 };

export function newRoom(init: { roomId: string; hostId: string; hostKeyHash: string; agentSecret: string }, now: number, rules: RoomRules): RoomRecord {
  return { ...init, createdAt: now, expiresAt: now + rules.ttlMs, used: false, hostOfflineSince: null, agents: [], wrongTries: 0 };
}

/** Whether nobody may use this room any more (its record can be deleted). */
export function isOver(room: RoomRecord, now: number, rules: RoomRules): boolean {
  if (room.expiresAt !== null && room.expiresAt <= now) return true;
  return room.hostOfflineSince !== null && room.hostOfflineSince + rules.graceMs <= now;
}

/** When the record can be forgotten if nothing else happens: the store's key expiry. */
export function deadline(room: RoomRecord, now: number, rules: RoomRules): number {
  // A live room has no expiry of its own; a day is a backstop should every server vanish at once.
  const until = room.expiresAt ?? now + 24 * 3600_000;
  const over = room.hostOfflineSince === null ? until : Math.min(until, room.hostOfflineSince + rules.graceMs);
  // Kept a little past its end so the sweeper can still tell its people that it ended.
  return over + KEEP_AFTER_OVER_MS;
}

const KEEP_AFTER_OVER_MS = 60_000;

export function findAgent(room: RoomRecord, agentId: string): AgentRecord | undefined {
  return room.agents.find((agent) => agent.id === agentId);
}

export type JoinOutcome = { ok: true; room: RoomRecord } | { ok: false; reason: 'not_found' | 'busy' };

export function join(room: RoomRecord | null, agent: { id: string; name: string }, now: number, rules: RoomRules): JoinOutcome {
  if (!room || isOver(room, now, rules) || room.used) return { ok: false, reason: 'not_found' };
  if (room.invitedUntil != null && room.invitedUntil <= now) return { ok: false, reason: 'not_found' };
  const pending = room.agents.filter((a) => a.status === 'pending').length;
  if (pending >= rules.maxPending) return { ok: false, reason: 'busy' };
  return { ok: true, room: { ...room, agents: [...room.agents, { ...agent, status: 'pending', offlineSince: null }] } };
}

export type DecideOutcome =
  | { ok: true; room: RoomRecord | null; outcome: 'accepted' | 'declined' | 'unchanged' | 'locked' }
  | { ok: false; reason: 'no_such_agent' };

export function decide(room: RoomRecord, agentId: string, allow: boolean, rules: RoomRules): DecideOutcome {
  const agent = findAgent(room, agentId);
  if (!agent) return { ok: false, reason: 'no_such_agent' };
  if (allow) {
    if (agent.status === 'accepted') return { ok: true, room, outcome: 'unchanged' };
    // Single use: the code has done its job; anyone else still waiting is turned away, while the
    // agents accepted before (an invitation) stay.
    const agents = room.agents
      .filter((a) => a.id === agentId || a.status === 'accepted')
      .map((a) => (a.id === agentId ? { ...a, status: 'accepted' as const } : a));
    return { ok: true, room: { ...room, agents, used: true, expiresAt: null, invitedUntil: null }, outcome: 'accepted' };
  }
  const rest = { ...room, agents: room.agents.filter((a) => a.id !== agentId) };
  // Sending away someone already let in is the host changing its mind, not a wrong try.
  if (agent.status === 'accepted') return { ok: true, room: rest, outcome: 'declined' };
  const next = wrongTry(rest, rules);
  return { ok: true, room: next, outcome: next ? 'declined' : 'locked' };
}

/** Counts a wrong try; returns null when the room is now locked (ended). */
export function wrongTry(room: RoomRecord, rules: RoomRules): RoomRecord | null {
  const wrongTries = room.wrongTries + 1;
  return wrongTries >= rules.maxWrongTries ? null : { ...room, wrongTries };
}

export function removeAgent(room: RoomRecord, agentId: string, now: number, rules: RoomRules): { room: RoomRecord; removed: AgentRecord | null } {
  const removed = findAgent(room, agentId) ?? null;
  if (!removed) return { room, removed };
  const agents = room.agents.filter((a) => a.id !== agentId);
  // A used room whose agents left for good has nothing more to offer: it lingers one ttl for the
  // host (or until its invitation lapses).
  const expiresAt = room.expiresAt === null && !agents.some((a) => a.status === 'accepted') ? (room.invitedUntil ?? now + rules.ttlMs) : room.expiresAt;
  return { room: { ...room, agents, expiresAt }, removed };
}

export type InviteOutcome = { ok: true; room: RoomRecord; until: number } | { ok: false; reason: 'not_found' };

/**
 * The host invites one more agent: a used code is re-armed for one more join with a fresh ttl,
 * keeping the agents already accepted. A code nobody used yet is open anyway (its own expiry).
 */
export function invite(room: RoomRecord | null, now: number, rules: RoomRules): InviteOutcome {
  if (!room || isOver(room, now, rules)) return { ok: false, reason: 'not_found' };
  if (!room.used) return { ok: true, room, until: room.invitedUntil ?? room.expiresAt ?? now + rules.ttlMs };
  const until = now + rules.ttlMs;
  return { ok: true, room: { ...room, used: false, invitedUntil: until }, until };
}

export function setAgentOnline(room: RoomRecord, agentId: string, online: boolean, now: number): RoomRecord {
  return { ...room, agents: room.agents.map((a) => (a.id === agentId ? { ...a, offlineSince: online ? null : now } : a)) };
}

/** Agents whose socket has been gone longer than the grace period. */
export function lapsedAgents(room: RoomRecord, now: number, rules: RoomRules): AgentRecord[] {
  return room.agents.filter((a) => a.offlineSince !== null && a.offlineSince + rules.graceMs <= now);
}

/**
 * A host coming back with its key after a server restart lost the room (memory store): the room
 * is rebuilt from what the host says it had, the agents it lists counted as accepted. The host
 * cannot gain anything by lying: it only ever describes its own session.
 */
export function rebuiltRoom(
  init: { roomId: string; hostId: string; hostKeyHash: string; agentSecret: string },
  agents: { id: string; name: string }[],
  now: number,
  rules: RoomRules,
): RoomRecord {
  const room = newRoom(init, now, rules);
  if (agents.length === 0) return room;
  return { ...room, used: true, expiresAt: null, agents: agents.map((a) => ({ ...a, status: 'accepted', offlineSince: now })) };
}
