import { Redis } from 'ioredis';
import { io as connect, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientToServerEvents, ServerToClientEvents } from '../../../widget/protocol/index.js';
import { newRoomId } from './room-ids.js';
import { startCoviewProcess, startRedis, type RunningCoview, type RunningRedis } from '../../support/processes.js';

type Client = Socket<ServerToClientEvents, ClientToServerEvents>;

/**
 * Two real signaling processes sharing one real redis-server, the way they run behind a load
 * balancer: a host on node A and an agent on node B must find each other by room id.
 */
let redis: RunningRedis;
let a: RunningCoview;
let b: RunningCoview;
let inspect: Redis;
const clients: Client[] = [];

beforeAll(async () => {
  redis = await startRedis();
  const env = { REDIS_URL: redis.url, JOIN_LIMIT_PER_IP: '8', LOG_LEVEL: 'info' };
  [a, b] = await Promise.all([startCoviewProcess(env), startCoviewProcess(env)]);
  inspect = new Redis(redis.url);
}, 30_000);

afterAll(async () => {
  for (const client of clients) client.disconnect();
  inspect?.disconnect();
  await Promise.all([a?.stop(), b?.stop()]);
  await redis?.stop();
});

function client(url: string): Promise<Client> {
  const socket: Client = connect(url, { transports: ['websocket'], reconnection: false, forceNew: true });
  clients.push(socket);
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', reject);
  });
}

function next<E extends keyof ServerToClientEvents>(socket: Client, event: E, timeoutMs = 3_000): Promise<Parameters<ServerToClientEvents[E]>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} within ${timeoutMs} ms`)), timeoutMs);
    (socket as unknown as Socket).once(event as string, (...args: unknown[]) => {
      clearTimeout(timer);
      resolve(args as Parameters<ServerToClientEvents[E]>);
    });
  });
}

describe('several signaling processes over Redis', () => {
  it('a host on node A and an agent on node B find each other by room id and relay signals both ways', async () => {
    const host = await client(a.url);
    const room = newRoomId();
    const created = await host.emitWithAck('host:create', { room });
    if (!created.ok) throw new Error(created.error.message);
    // The room lives in Redis, with an expiry, not in either process.
    expect(await inspect.exists(`coview:room:${room}`)).toBe(1);
    expect(await inspect.pttl(`coview:room:${room}`)).toBeGreaterThan(9 * 60_000);

    const agent = await client(b.url);
    const request = next(host, 'agent:request');
    const joined = await agent.emitWithAck('agent:join', { room, name: 'Ana' });
    if (!joined.ok) throw new Error(joined.error.message);
    expect(await request).toEqual([{ agentId: joined.agentId, name: 'Ana' }]);

    const accepted = next(agent, 'join:accepted');
    host.emit('host:decide', { agentId: joined.agentId, allow: true });
    await accepted;

    const atAgent = next(agent, 'signal');
    host.emit('signal', { to: joined.agentId, data: { type: 'offer', sdp: 'v=0 from A' }, peer: 1 });
    expect(await atAgent).toEqual([{ from: created.hostId, data: { type: 'offer', sdp: 'v=0 from A' }, peer: 1 }]);
    const atHost = next(host, 'signal');
    agent.emit('signal', { data: { type: 'answer', sdp: 'v=0 from B' }, peer: 1 });
    expect(await atHost).toEqual([{ from: joined.agentId, data: { type: 'answer', sdp: 'v=0 from B' }, peer: 1 }]);

    // Relay frames cross the processes too, and the receiver's ack on the other node reaches the sender through the node that forwarded them.
    // Counter 0 (the first 8 bytes, relay-crypto.ts), so an ack of 1 covers it.
    const sealed = Buffer.from(Uint8Array.from({ length: 2048 }, (_, i) => (i < 8 ? 0 : (i * 7) % 256))).toString('base64');
    const received = next(agent, 'relay');
    const hostAck = next(host, 'relay:ack');
    host.emit('relay', { to: joined.agentId, peer: 2, data: sealed });
    expect(await received).toEqual([{ from: created.hostId, peer: 2, data: sealed }]);
    agent.emit('relay:ack', { to: created.hostId, peer: 2, count: 1 });
    expect(await hostAck).toEqual([{ from: joined.agentId, peer: 2, count: 1 }]);
    const atHostRelay = next(host, 'relay');
    const agentAck = next(agent, 'relay:ack');
    agent.emit('relay', { peer: 2, data: sealed });
    expect(await atHostRelay).toEqual([{ from: joined.agentId, peer: 2, data: sealed }]);
    host.emit('relay:ack', { to: joined.agentId, peer: 2, count: 1 });
    expect(await agentAck).toEqual([{ from: created.hostId, peer: 2, count: 1 }]);

    // The code was single-use, on every node.
    const late = await client(a.url);
    expect(await late.emitWithAck('agent:join', { room, name: 'Bo' })).toMatchObject({ ok: false, error: { code: 'ERR_ROOM_NOT_FOUND' } });

    // The agent's socket drops and it comes back on the other node: same person, signals still flow.
    agent.disconnect();
    const again = await client(a.url);
    expect(await again.emitWithAck('agent:resume', { room, agentId: joined.agentId, agentKey: joined.agentKey })).toMatchObject({ ok: true, status: 'accepted' });
    const restart = next(host, 'peer:restart');
    again.emit('peer:restart', { peer: 1 });
    expect(await restart).toEqual([{ from: joined.agentId, peer: 1 }]);
  });

  it('counts join attempts per IP across both processes', async () => {
    const [key] = await inspect.keys('coview:hits:join-ip:*');
    const usedBefore = Number(await inspect.get(key!));
    const results: string[] = [];
    for (let i = 0; i < 10; i++) {
      const socket = await client(i % 2 === 0 ? a.url : b.url);
      const response = await socket.emitWithAck('agent:join', { room: '0'.repeat(43), name: 'Guess' });
      results.push(response.ok ? 'ok' : response.error.code);
      socket.disconnect();
    }
    // 8 per minute are allowed from this IP, whichever node answers.
    const allowed = 8 - usedBefore;
    expect(results).toEqual([...Array<string>(allowed).fill('ERR_ROOM_NOT_FOUND'), ...Array<string>(10 - allowed).fill('ERR_RATE_LIMITED')]);
  });

  it('logs JSON lines and serves Prometheus metrics on each node', async () => {
    const metrics = await (await fetch(`${b.url}/metrics`)).text();
    expect(metrics).toMatch(/^coview_joins_total\{result="ok"\} 1$/m);
    expect(metrics).toMatch(/^coview_signal_relay_seconds_count \d+$/m);
    expect(metrics).toContain('coview_sockets');
    expect(a.logs.find((line) => line.msg === 'listening')).toMatchObject({ level: 'info', store: 'redis' });
    // Room ids are never logged whole (and codes never reach a server at all).
    expect(JSON.stringify(a.logs)).not.toMatch(/[\w-]{43}/);
  });
});
