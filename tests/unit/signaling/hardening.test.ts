import { createHmac, randomBytes, randomInt } from 'node:crypto';
import { io as connect, type Socket } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import { createAppServer, type AppServer, type AppServerOptions } from '../../../signaling/http.js';
import { signAgentToken, verifyAgentToken } from '../../../signaling/security.js';
import type { Ack, ClientToServerEvents, Joined, RoomCreated, ServerToClientEvents } from '../../../widget/protocol/index.js';
import { newRoomId } from './room-ids.js';

/** A room id nobody opened (what a guess looks like to the server). */
const unknownRoom = (i = 0) => `${'0'.repeat(42)}${i}`;

type Client = Socket<ServerToClientEvents, ClientToServerEvents>;

let app: AppServer | undefined;
let url = '';
const clients: Socket[] = [];

async function start(options: AppServerOptions = {}): Promise<void> {
  app = createAppServer({ serveDemo: false, ...options });
  ({ url } = await app.listen(0, '127.0.0.1'));
}

afterEach(async () => {
  for (const socket of clients.splice(0)) socket.disconnect();
  await app?.close();
  app = undefined;
});

function client(headers: Record<string, string> = {}): Promise<Client> {
  const socket = connect(url, { transports: ['websocket'], reconnection: false, forceNew: true, extraHeaders: headers });
  clients.push(socket);
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket as Client));
    socket.once('connect_error', reject);
  });
}

function next<E extends keyof ServerToClientEvents>(socket: Client, event: E, timeoutMs = 2_000): Promise<Parameters<ServerToClientEvents[E]>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} within ${timeoutMs} ms`)), timeoutMs);
    (socket as unknown as Socket).once(event as string, (...args: unknown[]) => {
      clearTimeout(timer);
      resolve(args as Parameters<ServerToClientEvents[E]>);
    });
  });
}

function ok<T extends object>(ack: Ack<T>): T {
  if (!ack.ok) throw new Error(`${ack.error.code}: ${ack.error.message}`);
  return ack;
}

async function room(host?: Client): Promise<{ host: Client; created: RoomCreated & { room: string } }> {
  const h = host ?? (await client());
  const id = newRoomId();
  return { host: h, created: { ...ok(await h.emitWithAck('host:create', { room: id })), room: id } };
}

/** Host, agent let in, and the agent's join answer. */
async function live(): Promise<{ host: Client; agent: Client; created: RoomCreated & { room: string }; joined: Joined }> {
  const { host, created } = await room();
  const agent = await client();
  const request = next(host, 'agent:request');
  const joined = ok(await agent.emitWithAck('agent:join', { room: created.room, name: 'Ana' }));
  await request;
  const accepted = next(agent, 'join:accepted');
  host.emit('host:decide', { agentId: joined.agentId, allow: true });
  await accepted;
  return { host, agent, created, joined };
}

describe('signaling hardening', () => {
  it('limits join attempts per IP', async () => {
    await start({ limits: { joinsPerIpPerMinute: 3 } });
    const agent = await client();
    const codes: string[] = [];
    for (let i = 0; i < 5; i++) {
      const response = await agent.emitWithAck('agent:join', { room: unknownRoom(i), name: 'Guess' });
      codes.push(response.ok ? 'ok' : response.error.code);
    }
    expect(codes).toEqual(['ERR_ROOM_NOT_FOUND', 'ERR_ROOM_NOT_FOUND', 'ERR_ROOM_NOT_FOUND', 'ERR_RATE_LIMITED', 'ERR_RATE_LIMITED']);
  });

  it('limits join attempts per room, whoever makes them', async () => {
    await start({ limits: { joinsPerRoomPerMinute: 2, joinsPerIpPerMinute: 100 } });
    const codes: string[] = [];
    for (let i = 0; i < 3; i++) {
      const response = await (await client()).emitWithAck('agent:join', { room: unknownRoom(), name: 'Guess' });
      codes.push(response.ok ? 'ok' : response.error.code);
    }
    expect(codes).toEqual(['ERR_ROOM_NOT_FOUND', 'ERR_ROOM_NOT_FOUND', 'ERR_RATE_LIMITED']);
    // Another code is not affected.
    const other = await (await client()).emitWithAck('agent:join', { room: unknownRoom(1), name: 'Guess' });
    expect(other).toMatchObject({ ok: false, error: { code: 'ERR_ROOM_NOT_FOUND' } });
  });

  it('locks a room after too many wrong tries and tells its host', async () => {
    await start({ limits: { wrongTriesBeforeLock: 2 } });
    const { host, created } = await room();
    const ended = next(host, 'session:ended');
    for (let i = 0; i < 2; i++) {
      const agent = await client();
      const request = next(host, 'agent:request');
      const joined = ok(await agent.emitWithAck('agent:join', { room: created.room, name: `Pest ${i}` }));
      await request;
      host.emit('host:decide', { agentId: joined.agentId, allow: false });
    }
    expect(await ended).toEqual([{ reason: 'locked' }]);
    expect(await (await client()).emitWithAck('agent:join', { room: created.room, name: 'Ana' })).toMatchObject({ ok: false, error: { code: 'ERR_ROOM_NOT_FOUND' } });
  });

  it('counts a wrong resume key as a wrong try and never lets it in', async () => {
    await start({ limits: { wrongTriesBeforeLock: 5 } });
    const { created, joined } = await live();
    const thief = await client();
    const response = await thief.emitWithAck('agent:resume', { room: created.room, agentId: joined.agentId, agentKey: 'guessed-key' });
    expect(response).toMatchObject({ ok: false, error: { code: 'ERR_ROOM_NOT_FOUND' } });
    const hostThief = await thief.emitWithAck('host:resume', { room: created.room, hostId: created.hostId, hostKey: 'guessed-key', agents: [] });
    expect(hostThief).toMatchObject({ ok: false, error: { code: 'ERR_ROOM_NOT_FOUND' } });
    expect((await app!.store.get(created.room))?.wrongTries).toBe(2);
  });

  it('only lets host sockets in from ALLOWED_ORIGINS', async () => {
    await start({ allowedOrigins: ['https://shop.example.com'] });
    const stranger = await client({ origin: 'https://evil.example.net' });
    expect(await stranger.emitWithAck('host:create', { room: newRoomId() })).toMatchObject({ ok: false, error: { code: 'ERR_ORIGIN_NOT_ALLOWED' } });
    const shop = await client({ origin: 'https://shop.example.com' });
    expect((await shop.emitWithAck('host:create', { room: newRoomId() })).ok).toBe(true);
  });

  it('with AGENT_TOKEN_SECRET, lets in only agents with a valid signed token', async () => {
    const secret = randomBytes(32).toString('base64url');
    await start({ agentTokenSecret: secret });
    const { created } = await room();
    const exp = Math.floor(Date.now() / 1000) + 600;
    for (const token of [undefined, 'v1.e30.forged', signAgentToken('another-secret-of-some-length', { exp }), signAgentToken(secret, { exp: exp - 1200 })]) {
      const response = await (await client()).emitWithAck('agent:join', { room: created.room, name: 'Ana', ...(token ? { token } : {}) });
      expect(response).toMatchObject({ ok: false, error: { code: 'ERR_AGENT_TOKEN' } });
    }
    const good = await (await client()).emitWithAck('agent:join', { room: created.room, name: 'Whoever', token: signAgentToken(secret, { exp, name: 'Ana Support' }) });
    // The name the helpdesk signed is the one the customer sees.
    expect(good).toMatchObject({ ok: true, name: 'Ana Support' });
    expect(verifyAgentToken(secret, signAgentToken(secret, { exp }), Date.now())).toEqual({ exp });
  });

  it('hands out TURN REST credentials that coturn can check and that expire within the hour', async () => {
    const secret = randomBytes(24).toString('base64url');
    await start({ iceServers: [{ urls: 'stun:stun.example.test:3478' }], turn: { secret, urls: ['turn:turn.example.test:3478'], ttlSeconds: 3600 } });
    const { created } = await room();
    expect(created.iceServers).toHaveLength(2);
    const turn = created.iceServers[1]!;
    const [expiry] = turn.username!.split(':');
    expect(Number(expiry)).toBeGreaterThan(Date.now() / 1000);
    expect(Number(expiry)).toBeLessThanOrEqual(Date.now() / 1000 + 3600);
    expect(turn.credential).toBe(createHmac('sha1', secret).update(turn.username!).digest('base64'));
    expect(JSON.stringify(created)).not.toContain(secret);
    // Every session gets its own credential.
    const other = (await room()).created.iceServers[1]!;
    expect(other.username).not.toBe(turn.username);
  });

  it('answers a flood from one socket with ERR_RATE_LIMITED and goes on serving it later', async () => {
    await start({ limits: { eventsPerSecond: 20 } });
    const flooder = await client();
    const answers = await Promise.all(Array.from({ length: 80 }, () => flooder.emitWithAck('agent:join', { room: unknownRoom(), name: 'x' })));
    const limited = answers.filter((a) => !a.ok && a.error.code === 'ERR_RATE_LIMITED').length;
    expect(limited).toBeGreaterThan(30);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await flooder.emitWithAck('host:create', { room: newRoomId() })).ok).toBe(true);
  });

  it('a host and agent whose sockets drop come back with their keys, even into a freshly restarted server', async () => {
    await start();
    const { host, agent, created, joined } = await live();
    // The server restarts and forgets every room (memory store).
    const port = Number(new URL(url).port);
    for (const socket of clients.splice(0)) socket.disconnect();
    await app!.close();
    app = createAppServer({ serveDemo: false });
    await app.listen(port, '127.0.0.1');
    void host;
    void agent;

    const newHost = await client();
    const resumed = ok(await newHost.emitWithAck('host:resume', { room: created.room, hostId: created.hostId, hostKey: created.hostKey, agents: [{ id: joined.agentId, name: 'Ana' }] }));
    expect(resumed.agents).toEqual([{ id: joined.agentId, name: 'Ana', status: 'accepted' }]);
    const newAgent = await client();
    expect(ok(await newAgent.emitWithAck('agent:resume', { room: created.room, agentId: joined.agentId, agentKey: joined.agentKey })).status).toBe('accepted');

    const atAgent = next(newAgent, 'signal');
    newHost.emit('signal', { to: joined.agentId, data: 'offer after restart', peer: 2 });
    expect(await atAgent).toEqual([{ from: created.hostId, data: 'offer after restart', peer: 2 }]);
    // The code still admits nobody new.
    expect(await (await client()).emitWithAck('agent:join', { room: created.room, name: 'Bo' })).toMatchObject({ ok: false });
  });

  it('a draining server fails its health check and tells every client to reconnect', async () => {
    await start();
    const { host } = await room();
    const told = next(host, 'server:restarting');
    const gone = new Promise<string>((resolve) => (host as unknown as Socket).once('disconnect', resolve));
    const draining = app!.drain();
    await told;
    expect(await gone).toBe('io server disconnect');
    await draining;
    expect((await fetch(`${url}/healthz`)).status).toBe(503);
  });
});

describe('fuzzing the signaling server', () => {
  const EVENTS = ['host:create', 'host:resume', 'host:decide', 'host:stop', 'agent:join', 'agent:resume', 'agent:leave', 'signal', 'peer:restart', 'nonsense', 'error', '__proto__', 'constructor'];

  function randomValue(depth = 0): unknown {
    switch (randomInt(0, depth > 2 ? 6 : 9)) {
      case 0: return null;
      case 1: return randomInt(-1e9, 1e9) / randomInt(1, 1000);
      case 2: return randomBytes(randomInt(0, 40)).toString('latin1');
      case 3: return depth === 0 ? 'A'.repeat(randomInt(10_000, 24_000)) : 'A'; // big, yet under the packet cap
      case 4: return randomInt(0, 2) === 0;
      case 5: return undefined;
      case 6: return Array.from({ length: randomInt(0, 5) }, () => randomValue(depth + 1));
      case 7: return Object.fromEntries(['room', 'code', 'name', 'agentId', 'hostId', 'hostKey', 'agentKey', 'to', 'data', 'peer', 'allow', 'agents', 'token'].filter(() => randomInt(0, 2) === 0).map((k) => [k, randomValue(depth + 1)]));
      default: return { room: newRoomId(), code: 'K7Q-M2X-9FD', name: randomValue(depth + 1), agentId: randomValue(depth + 1), peer: randomValue(depth + 1), data: randomValue(depth + 1) };
    }
  }

  it('stays up, answers errors, and other rooms keep working under random and oversized events', async () => {
    const unexpected: unknown[] = [];
    await start({ onError: (error) => unexpected.push(error), limits: { eventsPerSecond: 100_000, joinsPerIpPerMinute: 100_000, createsPerIpPerMinute: 100_000, joinsPerRoomPerMinute: 100_000 } });
    const { host, agent, joined } = await live();
    const attackers = await Promise.all([1, 2, 3, 4].map(() => client()));
    const answers: unknown[] = [];
    const known = new Set(EVENTS.slice(0, 9));

    for (let round = 0; round < 400; round++) {
      const slot = round % attackers.length;
      // A host:stop or a role change may have cost the attacker nothing, but keep every socket fresh.
      if (!attackers[slot]!.connected) attackers[slot] = await client();
      const attacker = attackers[slot]!;
      const event = EVENTS[randomInt(0, EVENTS.length)]!;
      const args = Array.from({ length: randomInt(0, 4) }, () => randomValue());
      if (known.has(event) && round % 2 === 0) {
        answers.push(await attacker.timeout(2_000).emitWithAck(event as 'host:invite', ...(args as [Record<string, never>])).catch(() => 'no answer'));
      } else {
        (attacker as unknown as Socket).emit(event, ...args);
      }
      // Every 50 rounds: one packet far over the size cap, which costs its sender the connection.
      if (round % 50 === 49) {
        const big = await client();
        const dropped = new Promise((resolve) => (big as unknown as Socket).once('disconnect', resolve));
        (big as unknown as Socket).emit('signal', { data: 'Z'.repeat(300_000) });
        await dropped;
      }
    }
    // Events that take an ack answered every time (the others have nothing to say).
    const acked = answers.filter((a) => a !== 'no answer');
    expect(acked.length).toBeGreaterThan(40);
    for (const answer of acked) {
      if (answer && typeof answer === 'object' && 'ok' in answer && answer.ok === false) {
        expect((answer as unknown as { error: { code: string } }).error.code).toMatch(/^ERR_[A-Z_]+$/);
      }
    }

    // The live room next door never noticed.
    const atHost = next(host, 'signal');
    agent.emit('signal', { data: 'still here', peer: 1 });
    expect(await atHost).toEqual([{ from: joined.agentId, data: 'still here', peer: 1 }]);
    const fresh = await room();
    expect(fresh.created.hostId).toMatch(/^[\w-]+$/);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect(unexpected).toEqual([]);
  }, 30_000);
});
