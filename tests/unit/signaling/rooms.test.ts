import { describe, expect, it } from 'vitest';
import { createRoomRegistry, type RoomRegistryOptions } from '../../../signaling/rooms.js';

const TTL = 10_000;

/** A registry with a hand-driven clock and a scripted list of codes. */
function setup(codes: string[] = ['111-111-111', '222-222-222', '333-333-333', '444-444-444'], extra: Partial<RoomRegistryOptions> = {}) {
  let time = 1_000;
  const queue = [...codes];
  const rooms = createRoomRegistry({
    ttlMs: TTL,
    now: () => time,
    newCode: () => {
      const code = queue.shift();
      if (code === undefined) throw new Error('test ran out of codes');
      return code;
    },
    ...extra,
  });
  return {
    rooms,
    advance: (ms: number) => {
      time += ms;
    },
    now: () => time,
  };
}

function created(result: ReturnType<ReturnType<typeof setup>['rooms']['create']>) {
  if (!result.ok) throw new Error(`create failed: ${result.reason}`);
  return result;
}

describe('room registry', () => {
  describe('creating a room', () => {
    it('gives the host a room with a code that expires one ttl later', () => {
      const { rooms, now } = setup();
      const { room, ended, left } = created(rooms.create('host'));
      expect(room).toMatchObject({ code: '111-111-111', hostId: 'host', createdAt: now(), expiresAt: now() + TTL });
      expect(ended).toBeNull();
      expect(left).toBeNull();
      expect(rooms.get('111-111-111')).toBe(room);
      expect(rooms.roomOfHost('host')).toBe(room);
    });

    it('ends the previous room when the same host creates another', () => {
      const { rooms } = setup();
      created(rooms.create('host'));
      expect(rooms.join('111-111-111', 'agent', 'Ana').ok).toBe(true);
      const second = created(rooms.create('host'));
      expect(second.room.code).toBe('222-222-222');
      expect(second.ended?.code).toBe('111-111-111');
      expect([...(second.ended?.pending.keys() ?? [])]).toEqual(['agent']);
      expect(rooms.get('111-111-111')).toBeUndefined();
      expect(rooms.roomOfAgent('agent')).toBeUndefined();
      expect(rooms.size).toBe(1);
    });

    it('draws again when a code is already taken by a live room', () => {
      const { rooms } = setup(['111-111-111', '111-111-111', '111-111-111', '222-222-222']);
      created(rooms.create('host-a'));
      expect(created(rooms.create('host-b')).room.code).toBe('222-222-222');
    });

    it('gives up with no_free_code instead of looping forever', () => {
      const { rooms } = setup(Array(10).fill('111-111-111'), { maxCodeAttempts: 3 });
      created(rooms.create('host-a'));
      expect(rooms.create('host-b')).toEqual({ ok: false, reason: 'no_free_code' });
      expect(rooms.roomOfHost('host-b')).toBeUndefined();
    });

    it('takes a socket out of the room it was an agent of', () => {
      const { rooms } = setup();
      created(rooms.create('host'));
      rooms.join('111-111-111', 'other', 'Ana');
      const { left } = created(rooms.create('other'));
      expect(left).toMatchObject({ agentId: 'other', wasAccepted: false });
      expect(rooms.get('111-111-111')?.pending.size).toBe(0);
    });
  });

  describe('joining', () => {
    it('puts the agent in the pending list under its name', () => {
      const { rooms } = setup();
      created(rooms.create('host'));
      const result = rooms.join('111-111-111', 'agent', 'Ana');
      expect(result.ok).toBe(true);
      const room = rooms.get('111-111-111');
      expect(room?.pending.get('agent')).toBe('Ana');
      expect(room?.accepted.size).toBe(0);
      expect(rooms.roomOfAgent('agent')).toBe(room);
    });

    it('reports an unknown code as not_found', () => {
      const { rooms } = setup();
      expect(rooms.join('999-999-999', 'agent', 'Ana')).toEqual({ ok: false, reason: 'not_found' });
    });

    it('reports an expired room as expired even before it is swept', () => {
      const { rooms, advance } = setup();
      created(rooms.create('host'));
      advance(TTL);
      expect(rooms.join('111-111-111', 'agent', 'Ana')).toEqual({ ok: false, reason: 'expired' });
    });

    it('refuses the host joining its own room', () => {
      const { rooms } = setup();
      created(rooms.create('host'));
      expect(rooms.join('111-111-111', 'host', 'Me')).toEqual({ ok: false, reason: 'own_room' });
    });

    it('moves an agent that joins another room out of the first one', () => {
      const { rooms } = setup();
      created(rooms.create('host-a'));
      created(rooms.create('host-b'));
      rooms.join('111-111-111', 'agent', 'Ana');
      const result = rooms.join('222-222-222', 'agent', 'Ana');
      expect(result.ok && result.left?.room.code).toBe('111-111-111');
      expect(rooms.get('111-111-111')?.pending.size).toBe(0);
      expect(rooms.roomOfAgent('agent')?.code).toBe('222-222-222');
    });

    it('turns away more waiting agents than the limit as busy', () => {
      const { rooms } = setup(undefined, { maxPending: 2 });
      created(rooms.create('host'));
      expect(rooms.join('111-111-111', 'a1', 'A').ok).toBe(true);
      expect(rooms.join('111-111-111', 'a2', 'B').ok).toBe(true);
      expect(rooms.join('111-111-111', 'a3', 'C')).toEqual({ ok: false, reason: 'busy' });
      // Someone already waiting may ask again.
      expect(rooms.join('111-111-111', 'a1', 'A').ok).toBe(true);
    });
  });

  describe('the host deciding', () => {
    it('lets an allowed agent in and stops the room from expiring', () => {
      const { rooms } = setup();
      created(rooms.create('host'));
      rooms.join('111-111-111', 'agent', 'Ana');
      const result = rooms.decide('host', 'agent', true);
      expect(result).toMatchObject({ ok: true, agentId: 'agent', outcome: 'accepted' });
      const room = rooms.get('111-111-111');
      expect(room?.accepted.get('agent')).toBe('Ana');
      expect(room?.pending.has('agent')).toBe(false);
      expect(room?.expiresAt).toBeNull();
    });

    it('removes a denied agent', () => {
      const { rooms } = setup();
      created(rooms.create('host'));
      rooms.join('111-111-111', 'agent', 'Ana');
      expect(rooms.decide('host', 'agent', false)).toMatchObject({ ok: true, outcome: 'declined' });
      expect(rooms.get('111-111-111')?.pending.size).toBe(0);
      expect(rooms.roomOfAgent('agent')).toBeUndefined();
    });

    it('only listens to the host of the agent\'s room', () => {
      const { rooms } = setup();
      created(rooms.create('host-a'));
      created(rooms.create('host-b'));
      rooms.join('111-111-111', 'agent', 'Ana');
      expect(rooms.decide('host-b', 'agent', true)).toEqual({ ok: false, reason: 'no_such_agent' });
      expect(rooms.decide('agent', 'agent', true)).toEqual({ ok: false, reason: 'not_host' });
      expect(rooms.get('111-111-111')?.accepted.size).toBe(0);
    });

    it('treats allowing an agent twice as unchanged, and a later deny as removing it', () => {
      const { rooms } = setup();
      created(rooms.create('host'));
      rooms.join('111-111-111', 'agent', 'Ana');
      rooms.decide('host', 'agent', true);
      expect(rooms.decide('host', 'agent', true)).toMatchObject({ ok: true, outcome: 'unchanged' });
      expect(rooms.decide('host', 'agent', false)).toMatchObject({ ok: true, outcome: 'declined' });
      expect(rooms.get('111-111-111')?.accepted.size).toBe(0);
    });
  });

  describe('leaving', () => {
    it('removes the agent and says whether it had been accepted', () => {
      const { rooms } = setup();
      created(rooms.create('host'));
      rooms.join('111-111-111', 'agent', 'Ana');
      rooms.decide('host', 'agent', true);
      expect(rooms.leave('agent')).toMatchObject({ agentId: 'agent', name: 'Ana', wasAccepted: true });
      expect(rooms.leave('agent')).toBeNull();
    });

    it('restarts the expiry clock when the last accepted agent leaves', () => {
      const { rooms, advance, now } = setup();
      created(rooms.create('host'));
      rooms.join('111-111-111', 'a1', 'Ana');
      rooms.join('111-111-111', 'a2', 'Bo');
      rooms.decide('host', 'a1', true);
      rooms.decide('host', 'a2', true);
      advance(TTL * 5);
      rooms.leave('a1');
      expect(rooms.get('111-111-111')?.expiresAt).toBeNull();
      rooms.leave('a2');
      expect(rooms.get('111-111-111')?.expiresAt).toBe(now() + TTL);
    });

    it('ends the room and frees its agents when the host goes', () => {
      const { rooms } = setup();
      created(rooms.create('host'));
      rooms.join('111-111-111', 'agent', 'Ana');
      const removed = rooms.removeHost('host');
      expect(removed?.code).toBe('111-111-111');
      expect(rooms.size).toBe(0);
      expect(rooms.roomOfAgent('agent')).toBeUndefined();
      expect(rooms.removeHost('host')).toBeNull();
    });
  });

  describe('expiry', () => {
    it('sweeps an unused room once its ttl has passed, not before', () => {
      const { rooms, advance } = setup();
      created(rooms.create('host'));
      advance(TTL - 1);
      expect(rooms.sweep()).toEqual([]);
      advance(1);
      expect(rooms.sweep().map((room) => room.code)).toEqual(['111-111-111']);
      expect(rooms.size).toBe(0);
      expect(rooms.roomOfHost('host')).toBeUndefined();
    });

    it('does not count a pending agent as use', () => {
      const { rooms, advance } = setup();
      created(rooms.create('host'));
      rooms.join('111-111-111', 'agent', 'Ana');
      advance(TTL);
      const [swept] = rooms.sweep();
      expect(swept?.pending.has('agent')).toBe(true);
      expect(rooms.roomOfAgent('agent')).toBeUndefined();
    });

    it('never sweeps a room with an accepted agent', () => {
      const { rooms, advance } = setup();
      created(rooms.create('host'));
      rooms.join('111-111-111', 'agent', 'Ana');
      rooms.decide('host', 'agent', true);
      advance(TTL * 100);
      expect(rooms.sweep()).toEqual([]);
      expect(rooms.get('111-111-111')).toBeDefined();
    });

    it('frees an expired code for a new room after the sweep', () => {
      const { rooms, advance } = setup(['111-111-111', '111-111-111']);
      created(rooms.create('host-a'));
      advance(TTL);
      rooms.sweep();
      expect(created(rooms.create('host-b')).room.code).toBe('111-111-111');
    });
  });
});
