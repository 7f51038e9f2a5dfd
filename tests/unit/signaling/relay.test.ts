import { randomBytes } from 'node:crypto';
import { io as connectClient, type Socket as ClientSocket } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import type { Ack, ClientToServerEvents, RelayIn, ServerToClientEvents } from '../../../widget/protocol/index.js';
import { createAppServer, type AppServer, type AppServerOptions } from '../../../signaling/http.js';
import { loadConfig, MIN_RELAY_BUFFER_BYTES } from '../../../signaling/config.js';
import { RELAY_OVERHEAD_BYTES } from '../../../widget/protocol/relay-crypto.js';
import { FRAME_BYTES } from '../../../widget/transport/channel.js';
import { WINDOW_FRAMES } from '../../../widget/transport/relay.js';
import { RELAY_FRAMES_PER_SOCKET } from '../../../signaling/server.js';
import { MAX_AGENTS } from '../../../widget/protocol/index.js';
import { newRoomId } from './room-ids.js';

type Client = ClientSocket<ServerToClientEvents, ClientToServerEvents>;

let app: AppServer | undefined;
let url = '';
const clients: ClientSocket[] = [];

async function start(options: AppServerOptions = {}): Promise<void> {
  app = createAppServer({ serveDemo: false, ...options });
  ({ url } = await app.listen(0, '127.0.0.1'));
}

function client(): Promise<Client> {
  const socket = connectClient(url, { transports: ['websocket'], reconnection: false, forceNew: true });
  clients.push(socket);
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket as Client));
    socket.once('connect_error', reject);
  });
}

function once<T>(socket: Client, event: keyof ServerToClientEvents): Promise<T> {
  return new Promise((resolve) => (socket as ClientSocket).once(event, (...args: unknown[]) => resolve(args as T)));
}

/** A host and an agent it let in, in one room; with a second room's agent to check nothing leaks across. */
async function session() {
  const host = await client();
  const room = newRoomId();
  const created = await host.emitWithAck('host:create', { room });
  if (!created.ok) throw new Error(created.error.message);
  const { agent, agentId } = await letIn(host, room, 'Ana');
  return { host, agent, agentId, hostId: created.hostId, created, room };
}

/** One more agent let into a live room, through an invitation (as "Invite another agent" does). */
async function another(host: Client, room: string) {
  const invited = await host.emitWithAck('host:invite', {});
  if (!invited.ok) throw new Error(invited.error.message);
  return letIn(host, room, 'Ben');
}

/** A new agent joins `room` and its host allows them. */
async function letIn(host: Client, room: string, name: string) {
  const agent = await client();
  const request = once<[{ agentId: string }]>(host, 'agent:request');
  const joined = await agent.emitWithAck('agent:join', { room, name });
  if (!joined.ok) throw new Error(joined.error.message);
  await request;
  const accepted = once(agent, 'join:accepted');
  host.emit('host:decide', { agentId: joined.agentId, allow: true });
  await accepted;
  return { agent, agentId: joined.agentId };
}

/** Collects the relay frames `socket` receives, acknowledging each after `ackAfter` resolves. */
function receiver(socket: Client, ackAfter: () => Promise<void> = async () => {}) {
  const frames: RelayIn[] = [];
  socket.on('relay', (message, ack) => {
    frames.push(message);
    void ackAfter().then(() => ack({ ok: true }));
  });
  return frames;
}

const frame = (bytes = 1024) => new Uint8Array(randomBytes(bytes));

afterEach(async () => {
  for (const socket of clients.splice(0)) socket.disconnect();
  await app?.close();
  app = undefined;
});

describe('the encrypted relay', () => {
  it('forwards frames within the room, both ways, byte for byte; the ack comes once the receiver acknowledged', async () => {
    await start();
    const { host, agent, agentId, hostId, created } = await session();
    expect(created).toMatchObject({ relay: true });
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    const atAgent = receiver(agent, () => held);
    const atHost = receiver(host);

    const down = frame(16 * 1024 + 24);
    let acked = false;
    const ack = host.emitWithAck('relay', { to: agentId, peer: 7, data: down }).then((response) => {
      acked = true;
      return response;
    });
    await expect.poll(() => atAgent.length).toBe(1);
    expect(atAgent[0]).toMatchObject({ from: hostId, peer: 7 });
    expect(Buffer.from(atAgent[0]!.data as unknown as ArrayBuffer).equals(Buffer.from(down))).toBe(true);
    // The agent has not acknowledged yet: neither has the server.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(acked).toBe(false);
    release();
    expect(await ack).toEqual({ ok: true });

    const up = frame(500);
    expect(await agent.emitWithAck('relay', { peer: 7, data: up })).toEqual({ ok: true });
    expect(atHost).toHaveLength(1);
    expect(atHost[0]).toMatchObject({ from: agentId, peer: 7 });
    expect(Buffer.from(atHost[0]!.data as unknown as ArrayBuffer).equals(Buffer.from(up))).toBe(true);
    expect(await app!.metrics.registry.getSingleMetricAsString('coview_relay_bytes_total')).toContain(`coview_relay_bytes_total ${down.length + up.length}`);
  });

  it('relays only between a host and the agents it let in: other rooms, waiting agents and strangers get nothing', async () => {
    await start();
    const one = await session();
    const other = await session();
    const atOtherAgent = receiver(other.agent);
    const atOtherHost = receiver(other.host);
    receiver(one.agent);
    // A host naming another room's agent, a stranger with no session, an agent still waiting for consent.
    const refused = await one.host.emitWithAck('relay', { to: other.agentId, peer: 1, data: frame() });
    expect(refused).toMatchObject({ ok: false, error: { code: 'ERR_RELAY_REFUSED' } });
    const stranger = await client();
    expect(await stranger.emitWithAck('relay', { to: one.agentId, peer: 1, data: frame() })).toMatchObject({ ok: false, error: { code: 'ERR_RELAY_REFUSED' } });
    const waiting = await client();
    const room = newRoomId();
    const host = await client();
    await host.emitWithAck('host:create', { room });
    const atHost = receiver(host);
    await waiting.emitWithAck('agent:join', { room, name: 'Bo' });
    expect(await waiting.emitWithAck('relay', { peer: 1, data: frame() })).toMatchObject({ ok: false, error: { code: 'ERR_RELAY_REFUSED' } });
    // Malformed: not bytes, too big.
    expect(await one.host.emitWithAck('relay', { to: one.agentId, peer: 1, data: 'text' as unknown as Uint8Array })).toMatchObject({ ok: false, error: { code: 'ERR_MALFORMED_MESSAGE' } });
    expect(await one.host.emitWithAck('relay', { to: one.agentId, peer: 1, data: frame(18 * 1024) })).toMatchObject({ ok: false, error: { code: 'ERR_MALFORMED_MESSAGE' } });
    expect([...atOtherAgent, ...atOtherHost, ...atHost]).toEqual([]);
  });

  it('passes on a receiver’s refusal (it has no relay for that peer any more)', async () => {
    await start();
    const { host, agent, agentId } = await session();
    agent.on('relay', (_message, ack) => ack({ ok: false, error: { code: 'ERR_RELAY_REFUSED', message: 'No relay for this frame here.' } }));
    expect(await host.emitWithAck('relay', { to: agentId, peer: 1, data: frame() })).toMatchObject({ ok: false, error: { code: 'ERR_RELAY_REFUSED' } });
  });

  it('refuses frames beyond the room buffer while the receiver does not acknowledge', async () => {
    await start({ relay: { bufferBytesPerRoom: 64 * 1024 } });
    const { host, agent, agentId } = await session();
    const frames = receiver(agent, () => new Promise(() => {}));
    const sent = Array.from({ length: 6 }, () => host.emitWithAck('relay', { to: agentId, peer: 1, data: frame(16 * 1024) }));
    const refused = await Promise.race(sent);
    expect(refused).toMatchObject({ ok: false, error: { code: 'ERR_RELAY_REFUSED', message: expect.stringContaining('slow down') } });
    // Four frames fit in 64 KiB; the rest were never forwarded.
    await expect.poll(() => frames.length).toBe(4);
  });

  it('counts a frame against the room buffer when it arrives, not once it is forwarded: frames waiting for bandwidth count', async () => {
    // 16 KiB/s: the first frame goes at once, the next ones wait a second each for bandwidth.
    await start({ relay: { bytesPerSecondPerRoom: 16 * 1024, bufferBytesPerRoom: 64 * 1024 } });
    const { host, agent, agentId } = await session();
    const frames = receiver(agent, () => new Promise(() => {}));
    const sent = Array.from({ length: 6 }, () => host.emitWithAck('relay', { to: agentId, peer: 1, data: frame(16 * 1024) }));
    const refused = await Promise.race(sent);
    expect(refused).toMatchObject({ ok: false, error: { code: 'ERR_RELAY_REFUSED', message: expect.stringContaining('slow down') } });
    // Refused on arrival: the frames before it are still waiting for bandwidth.
    expect(frames.length).toBeLessThanOrEqual(1);
  });

  it('takes a full room at its smallest buffer: the host’s links to every agent with their windows full, none refused', async () => {
    await start({ relay: { bufferBytesPerRoom: MIN_RELAY_BUFFER_BYTES } });
    const { host, agent, agentId, room } = await session();
    const agents = [{ agent, agentId }];
    while (agents.length < MAX_AGENTS) agents.push(await another(host, room));
    // Nobody acknowledges: every link's window stays full, as during four snapshots at once.
    const received = agents.map(({ agent: socket }) => receiver(socket, () => new Promise(() => {})));
    const data = frame(FRAME_BYTES + RELAY_OVERHEAD_BYTES);
    const refusals: string[] = [];
    for (const { agentId: to } of agents) {
      for (let i = 0; i < WINDOW_FRAMES; i++) {
        void host.emitWithAck('relay', { to, peer: 1, data }).then((ack) => {
          if (!ack.ok) refusals.push(ack.error.message);
        }, () => {}); // Still waiting when the test ends: cut off by the disconnect.
      }
    }
    await expect.poll(() => received.map((frames) => frames.length)).toEqual(agents.map(() => WINDOW_FRAMES));
    expect(refusals).toEqual([]);
  });

  it('caps the frames one socket has waiting, and a flood of them does not hold up its signals', async () => {
    // A slow room: the frames let in wait for bandwidth a long time; a big buffer, so only the per-socket cap refuses.
    await start({ relay: { bytesPerSecondPerRoom: 64 * 1024, bufferBytesPerRoom: 64 * 1024 * 1024 } });
    const { host, agent, agentId } = await session();
    // Never acknowledged: the frames let in stay waiting, so exactly RELAY_FRAMES_PER_SOCKET of them are.
    receiver(agent, () => new Promise(() => {}));
    let refusals = 0;
    const count = 200;
    const data = frame(16 * 1024);
    for (let i = 0; i < count; i++) {
      void host.emitWithAck('relay', { to: agentId, peer: 1, data }).then((ack) => {
        if (!ack.ok && ack.error.message.includes('Too many relay frames')) refusals++;
      }, () => {}); // The frames still waiting when the test ends are cut off by the disconnect.
    }
    const signal = once<[{ data: unknown }]>(agent, 'signal');
    host.emit('signal', { to: agentId, data: { flood: 'over' }, peer: 1 });
    // Before the fix the signal waited behind 200 frames' bandwidth (about 50 s at 64 KiB/s).
    expect((await signal)[0].data).toEqual({ flood: 'over' });
    await expect.poll(() => refusals).toBe(count - RELAY_FRAMES_PER_SOCKET);
  });

  it('paces a room to its bandwidth by holding frames (and so their acks) back, in order', async () => {
    await start({ relay: { bytesPerSecondPerRoom: 64 * 1024 } });
    const { host, agent, agentId } = await session();
    const frames = receiver(agent);
    const data = Array.from({ length: 8 }, () => frame(16 * 1024));
    const acks = await Promise.all(data.map((bytes) => host.emitWithAck('relay', { to: agentId, peer: 1, data: bytes })));
    expect(acks.every((ack) => ack.ok)).toBe(true);
    expect(frames.map((f) => Buffer.from(f.data as unknown as ArrayBuffer).toString('hex'))).toEqual(data.map((bytes) => Buffer.from(bytes).toString('hex')));
    // 128 KiB at 64 KiB/s with a one-second bucket: some frames had to wait.
    const throttled = await app!.metrics.registry.getSingleMetric('coview_relay_throttled_total')!.get();
    expect(throttled.values[0]!.value).toBeGreaterThan(0);
  });

  it('is off with RELAY_FALLBACK=false: clients are told, and every frame is refused plainly', async () => {
    const config = loadConfig({ RELAY_FALLBACK: 'false' });
    expect(config.relay.enabled).toBe(false);
    await start({ relay: config.relay });
    const { host, agent, agentId, created } = await session();
    expect(created).toMatchObject({ relay: false });
    const frames = receiver(agent);
    const refused: Ack<object> = await host.emitWithAck('relay', { to: agentId, peer: 1, data: frame() });
    expect(refused).toMatchObject({ ok: false, error: { code: 'ERR_RELAY_REFUSED', message: expect.stringContaining('RELAY_FALLBACK=false') } });
    expect(frames).toEqual([]);
  });

  it('counts sessions by transport, as the host reports them, for agents it let in only', async () => {
    await start();
    const { host, agentId } = await session();
    host.emit('host:transport', { agentId, transport: 'relayed' });
    host.emit('host:transport', { agentId, transport: 'direct' });
    host.emit('host:transport', { agentId: 'nobody', transport: 'direct' });
    await host.emitWithAck('host:invite', {});
    const text = await app!.metrics.registry.getSingleMetricAsString('coview_sessions_total');
    expect(text).toContain('coview_sessions_total{transport="relayed"} 1');
    expect(text).toContain('coview_sessions_total{transport="direct"} 1');
  });
});

describe('relay configuration', () => {
  it('is on by default with its limits, and names the variable on a bad value', () => {
    expect(loadConfig({}).relay).toEqual({ enabled: true, bytesPerSecondPerRoom: 4 * 1024 * 1024, bufferBytesPerRoom: 4 * 1024 * 1024 });
    expect(loadConfig({ RELAY_ROOM_BYTES_PER_SECOND: '1000000', RELAY_ROOM_BUFFER_BYTES: '2000000' }).relay).toMatchObject({ bytesPerSecondPerRoom: 1_000_000, bufferBytesPerRoom: 2_000_000 });
    expect(() => loadConfig({ RELAY_FALLBACK: 'maybe' })).toThrow(/RELAY_FALLBACK should be true or false/);
    expect(() => loadConfig({ RELAY_ROOM_BUFFER_BYTES: '10' })).toThrow(/RELAY_ROOM_BUFFER_BYTES should be/);
  });

  it('keeps the room buffer above the full windows of every link of a full room, with a clear error below it', () => {
    const window = WINDOW_FRAMES * (FRAME_BYTES + RELAY_OVERHEAD_BYTES);
    expect(MIN_RELAY_BUFFER_BYTES).toBeGreaterThanOrEqual((MAX_AGENTS + 1) * window);
    expect(loadConfig({ RELAY_ROOM_BUFFER_BYTES: String(MIN_RELAY_BUFFER_BYTES) }).relay.bufferBytesPerRoom).toBe(MIN_RELAY_BUFFER_BYTES);
    // 256 KiB: under one window; it used to be accepted, and refused frames during every snapshot.
    expect(() => loadConfig({ RELAY_ROOM_BUFFER_BYTES: String(256 * 1024) })).toThrow(/RELAY_ROOM_BUFFER_BYTES should be a whole number of bytes, at least 1392640/);
  });
});
