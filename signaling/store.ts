import type { Redis } from 'ioredis';
import type { RoomRecord } from './rooms.js';

/**
 * Where room state lives, by room id (never a share code): who is in which room, rate-limit counters. In this
 * process's memory by default; in Redis when REDIS_URL is set, so that any number of signaling
 * processes behind a load balancer see the same rooms.
 *
 * Everything is async and every write is an atomic read-change-write of one room, so two
 * processes handling the same room at once never lose each other's change.
 */
export interface RoomStore {
  readonly kind: 'memory' | 'redis';
  get(roomId: string): Promise<RoomRecord | null>;
  /**
   * Applies `change` to the room atomically. `change` may run more than once (Redis retries when
   * another process wrote the room in between), so it must be pure. `next: undefined` leaves the
   * room as it is; `null` deletes it.
   */
  update<T>(roomId: string, change: (room: RoomRecord | null) => Change<T>): Promise<T>;
  /** Counts one hit in a fixed window of `windowMs`; returns the count so far in this window. */
  hit(key: string, windowMs: number): Promise<number>;
  close(): Promise<void>;
}

export interface Change<T> {
  next?: RoomRecord | null;
  result: T;
}

export interface StoreOptions {
  /** When a stored room may be forgotten (the key's expiry), from rooms.deadline. */
  expireAt: (room: RoomRecord) => number;
  now?: () => number;
}

export function createMemoryStore({ expireAt, now = Date.now }: StoreOptions): RoomStore {
  const rooms = new Map<string, { room: RoomRecord; until: number }>();
  const counters = new Map<string, { count: number; until: number }>();

  // Expired keys are dropped when read; this sweep only bounds memory for keys nobody reads again.
  const purge = setInterval(() => {
    const t = now();
    for (const [key, entry] of rooms) if (entry.until <= t) rooms.delete(key);
    for (const [key, entry] of counters) if (entry.until <= t) counters.delete(key);
  }, 30_000);
  purge.unref();

  function read(roomId: string): RoomRecord | null {
    const entry = rooms.get(roomId);
    if (!entry) return null;
    if (entry.until > now()) return entry.room;
    rooms.delete(roomId);
    return null;
  }

  return {
    kind: 'memory',
    get: async (roomId) => read(roomId),
    async update(roomId, change) {
      // Single-threaded: nothing can run between this read and this write.
      const { next, result } = change(read(roomId));
      if (next === null) rooms.delete(roomId);
      else if (next !== undefined) rooms.set(roomId, { room: next, until: expireAt(next) });
      return result;
    },
    async hit(key, windowMs) {
      const t = now();
      const entry = counters.get(key);
      if (!entry || entry.until <= t) {
        counters.set(key, { count: 1, until: t + windowMs });
        return 1;
      }
      return ++entry.count;
    },
    async close() {
      clearInterval(purge);
    },
  };
}

/** Writes the room only if it still holds what we read (compare-and-set), else returns 0. */
const CAS = `
local current = redis.call('GET', KEYS[1])
if (current == false and ARGV[1] ~= '') or (current ~= false and current ~= ARGV[1]) then return 0 end
if ARGV[2] == '' then redis.call('DEL', KEYS[1]) else redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) end
return 1`;

const HIT = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return count`;

const MAX_CONFLICT_RETRIES = 20;

export function createRedisStore(redis: Redis, { expireAt, now = Date.now, prefix = 'coview:' }: StoreOptions & { prefix?: string }): RoomStore {
  const roomKey = (roomId: string) => `${prefix}room:${roomId}`;
  const parse = (raw: string | null): RoomRecord | null => (raw === null ? null : (JSON.parse(raw) as RoomRecord));

  return {
    kind: 'redis',
    get: async (roomId) => parse(await redis.get(roomKey(roomId))),
    async update(roomId, change) {
      const key = roomKey(roomId);
      for (let attempt = 0; attempt < MAX_CONFLICT_RETRIES; attempt++) {
        const raw = await redis.get(key);
        const { next, result } = change(parse(raw));
        if (next === undefined) return result;
        const value = next === null ? '' : JSON.stringify(next);
        const ttl = next === null ? 0 : Math.max(1, Math.ceil(expireAt(next) - now()));
        if ((await redis.eval(CAS, 1, key, raw ?? '', value, ttl)) === 1) return result;
      }
      throw new Error(`room ${roomId.slice(0, 6)}…: too many concurrent writes`);
    },
    async hit(key, windowMs) {
      return Number(await redis.eval(HIT, 1, `${prefix}hits:${key}`, windowMs));
    },
    async close() {},
  };
}
