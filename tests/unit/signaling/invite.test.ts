import { describe, expect, it } from 'vitest';
import * as rooms from '../../../signaling/rooms.js';
import type { RoomRecord, RoomRules } from '../../../signaling/rooms.js';

const RULES: RoomRules = { ttlMs: 10_000, graceMs: 5_000, maxPending: 2, maxWrongTries: 3 };
const T0 = 1_000;

function joined(r: RoomRecord | null, id: string, now = T0): RoomRecord {
  const result = rooms.join(r, { id, name: id.toUpperCase() }, now, RULES);
  if (!result.ok) throw new Error(result.reason);
  return result.room;
}

function accepted(r: RoomRecord, id: string): RoomRecord {
  const result = rooms.decide(r, id, true, RULES);
  if (!result.ok || !result.room) throw new Error('not accepted');
  return result.room;
}

function invited(r: RoomRecord, now: number): RoomRecord {
  const result = rooms.invite(r, now, RULES);
  if (!result.ok) throw new Error(result.reason);
  return result.room;
}

/** A room whose code was used by agent `a`, live since T0. */
function live(): RoomRecord {
  const r = rooms.newRoom({ roomId: 'room-id', hostId: 'h', hostKeyHash: 'hash', agentSecret: 'secret' }, T0, RULES);
  return accepted(joined(r, 'a'), 'a');
}

describe('inviting another agent', () => {
  it('re-arms a used code for one more join; accepting that agent keeps the first and uses the code up again', () => {
    const t = T0 + 50_000;
    const open = invited(live(), t);
    expect(open).toMatchObject({ used: false, expiresAt: null, invitedUntil: t + RULES.ttlMs });
    const both = accepted(joined(open, 'b', t + 1), 'b');
    expect(both.agents.map((x) => [x.id, x.status])).toEqual([['a', 'accepted'], ['b', 'accepted']]);
    expect(both).toMatchObject({ used: true, expiresAt: null, invitedUntil: null });
    // Single use again: a third agent needs another invitation.
    expect(rooms.join(both, { id: 'c', name: 'C' }, t + 2, RULES)).toEqual({ ok: false, reason: 'not_found' });
    const again = accepted(joined(invited(both, t + 3), 'c', t + 4), 'c');
    expect(again.agents.map((x) => x.id)).toEqual(['a', 'b', 'c']);
  });

  it('an invitation lapses after one ttl, but the room and its live agents do not', () => {
    const t = T0 + 50_000;
    const open = invited(live(), t);
    expect(rooms.join(open, { id: 'b', name: 'B' }, t + RULES.ttlMs, RULES)).toEqual({ ok: false, reason: 'not_found' });
    expect(rooms.isOver(open, t + 100 * RULES.ttlMs, RULES)).toBe(false);
    expect(rooms.findAgent(open, 'a')?.status).toBe('accepted');
  });

  it('declining the invited agent keeps the live one, counts a wrong try and leaves the code open until it lapses', () => {
    const t = T0 + 50_000;
    const result = rooms.decide(joined(invited(live(), t), 'b', t), 'b', false, RULES);
    expect(result).toMatchObject({ ok: true, outcome: 'declined' });
    const after = (result as { room: RoomRecord }).room;
    expect(after.agents.map((x) => [x.id, x.status])).toEqual([['a', 'accepted']]);
    expect(after.wrongTries).toBe(1);
    expect(rooms.join(after, { id: 'c', name: 'C' }, t + 1, RULES).ok).toBe(true);
  });

  it('one agent leaving keeps the room for the others; the last one leaving lets it expire', () => {
    const t = T0 + 50_000;
    const both = accepted(joined(invited(live(), t), 'b', t), 'b');
    const withoutA = rooms.removeAgent(both, 'a', t + 1, RULES).room;
    expect(withoutA.expiresAt).toBeNull();
    expect(rooms.isOver(withoutA, t + 100 * RULES.ttlMs, RULES)).toBe(false);
    const empty = rooms.removeAgent(withoutA, 'b', t + 2, RULES).room;
    expect(empty.expiresAt).toBe(t + 2 + RULES.ttlMs);
  });

  it('a code nobody used is open already: inviting changes nothing; an ended room cannot invite', () => {
    const fresh = rooms.newRoom({ roomId: 'room-id', hostId: 'h', hostKeyHash: 'hash', agentSecret: 'secret' }, T0, RULES);
    expect(rooms.invite(fresh, T0 + 1, RULES)).toEqual({ ok: true, room: fresh, until: T0 + RULES.ttlMs });
    expect(rooms.invite(null, T0, RULES)).toEqual({ ok: false, reason: 'not_found' });
    expect(rooms.invite(fresh, T0 + RULES.ttlMs, RULES)).toEqual({ ok: false, reason: 'not_found' });
  });
});
