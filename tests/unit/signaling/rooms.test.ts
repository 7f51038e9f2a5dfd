import { describe, expect, it } from 'vitest';
import * as rooms from '../../../signaling/rooms.js';
import type { RoomRecord, RoomRules } from '../../../signaling/rooms.js';

const RULES: RoomRules = { ttlMs: 10_000, graceMs: 5_000, maxPending: 2, maxWrongTries: 3 };
const T0 = 1_000;

function room(): RoomRecord {
  return rooms.newRoom({ roomId: 'room-id', hostId: 'h', hostKeyHash: 'hash', agentSecret: 'secret' }, T0, RULES);
}

function joined(r: RoomRecord | null, id: string, now = T0): RoomRecord {
  const result = rooms.join(r, { id, name: id.toUpperCase() }, now, RULES);
  if (!result.ok) throw new Error(result.reason);
  return result.room;
}

function decided(r: RoomRecord, id: string, allow: boolean) {
  const result = rooms.decide(r, id, allow, RULES);
  if (!result.ok) throw new Error(result.reason);
  return result;
}

describe('room rules', () => {
  it('an unused code expires one ttl after it was drawn', () => {
    const r = room();
    expect(r.expiresAt).toBe(T0 + RULES.ttlMs);
    expect(rooms.isOver(r, T0 + RULES.ttlMs - 1, RULES)).toBe(false);
    expect(rooms.isOver(r, T0 + RULES.ttlMs, RULES)).toBe(true);
    expect(rooms.join(r, { id: 'a', name: 'A' }, T0 + RULES.ttlMs, RULES)).toEqual({ ok: false, reason: 'not_found' });
  });

  it('a code is single-use: once someone is let in, nobody else can join and the others waiting are turned away', () => {
    const r = joined(joined(room(), 'a'), 'b');
    const { room: after, outcome } = decided(r, 'a', true);
    expect(outcome).toBe('accepted');
    expect(after).toMatchObject({ used: true, expiresAt: null });
    expect(after!.agents.map((x) => [x.id, x.status])).toEqual([['a', 'accepted']]);
    expect(rooms.join(after, { id: 'c', name: 'C' }, T0, RULES)).toEqual({ ok: false, reason: 'not_found' });
    // A live room does not expire on its own.
    expect(rooms.isOver(after!, T0 + 100 * RULES.ttlMs, RULES)).toBe(false);
  });

  it('at most maxPending people wait for an answer at once', () => {
    const r = joined(joined(room(), 'a'), 'b');
    expect(rooms.join(r, { id: 'c', name: 'C' }, T0, RULES)).toEqual({ ok: false, reason: 'busy' });
  });

  it('locks the room after maxWrongTries declined requests', () => {
    let r: RoomRecord | null = room();
    for (const id of ['a', 'b']) {
      const result = decided(joined(r, id), id, false);
      expect(result.outcome).toBe('declined');
      r = result.room;
    }
    expect(decided(joined(r, 'c'), 'c', false)).toMatchObject({ outcome: 'locked', room: null });
  });

  it('sending away someone already let in is not a wrong try', () => {
    const live = decided(joined(room(), 'a'), 'a', true).room!;
    const result = decided(live, 'a', false);
    expect(result).toMatchObject({ outcome: 'declined' });
    expect(result.room?.wrongTries).toBe(0);
  });

  it('a used room whose agent leaves lingers one ttl for the host', () => {
    const live = decided(joined(room(), 'a'), 'a', true).room!;
    const { room: after, removed } = rooms.removeAgent(live, 'a', T0 + 50_000, RULES);
    expect(removed?.id).toBe('a');
    expect(after.expiresAt).toBe(T0 + 50_000 + RULES.ttlMs);
  });

  it('someone who dropped keeps their place for the grace period', () => {
    const live = decided(joined(room(), 'a'), 'a', true).room!;
    const away = rooms.setAgentOnline(live, 'a', false, T0);
    expect(rooms.lapsedAgents(away, T0 + RULES.graceMs - 1, RULES)).toEqual([]);
    expect(rooms.lapsedAgents(away, T0 + RULES.graceMs, RULES).map((a) => a.id)).toEqual(['a']);
    expect(rooms.findAgent(rooms.setAgentOnline(away, 'a', true, T0 + 10), 'a')?.offlineSince).toBeNull();

    const hostAway = { ...live, hostOfflineSince: T0 };
    expect(rooms.isOver(hostAway, T0 + RULES.graceMs - 1, RULES)).toBe(false);
    expect(rooms.isOver(hostAway, T0 + RULES.graceMs, RULES)).toBe(true);
    expect(rooms.deadline(hostAway, T0, RULES)).toBeLessThanOrEqual(T0 + RULES.graceMs + 60_000);
    expect(rooms.deadline(hostAway, T0, RULES)).toBeGreaterThanOrEqual(T0 + RULES.graceMs);
  });

  it('a host rebuilding its room after a restart gets its agents back as accepted', () => {
    const r = rooms.rebuiltRoom({ roomId: 'room-id', hostId: 'h', hostKeyHash: 'x', agentSecret: 'y' }, [{ id: 'a', name: 'Ana' }], T0, RULES);
    expect(r).toMatchObject({ used: true, expiresAt: null, hostId: 'h' });
    expect(r.agents).toEqual([{ id: 'a', name: 'Ana', status: 'accepted', offlineSince: T0 }]);
    expect(rooms.rebuiltRoom({ roomId: 'room-id', hostId: 'h', hostKeyHash: 'x', agentSecret: 'y' }, [], T0, RULES)).toMatchObject({ used: false, expiresAt: T0 + RULES.ttlMs });
  });

  it('never changes the record it is given', () => {
    const r = joined(room(), 'a');
    const frozen = JSON.stringify(r);
    decided(r, 'a', true);
    rooms.removeAgent(r, 'a', T0, RULES);
    rooms.setAgentOnline(r, 'a', false, T0);
    expect(JSON.stringify(r)).toBe(frozen);
  });
});
