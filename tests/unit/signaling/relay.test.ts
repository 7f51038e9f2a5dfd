import { randomBytes } from 'node:crypto';
import { io as connectClient, type Socket as ClientSocket } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import type { ClientToServerEvents, RelayAckIn, RelayIn, ServerToClientEvents } from '../../../widget/protocol/index.js';
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

/** A sealed frame's counter, as relay-crypto.ts writes it: its first 8 bytes, big-endian. */
const counterOf = (data: string) => Number(Buffer.from(data, 'base64').readBigUInt64BE(0));

/** Collects the relay frames `socket` receives; after each, once `ackAfter` resolves, acknowledges it and all before it (by counter, as relay.ts does). */
function receiver(socket: Client, ackAfter: () => Promise<void> = async () => {}) {
  const frames: RelayIn[] = [];
  socket.on('relay', (message) => {
    frames.push(message);
    void ackAfter().then(() => socket.emit('relay:ack', { to: message.from, peer: message.peer, count: counterOf(message.data) + 1 }));
  });
  return frames;
}

/** Collects the relay acks and refusals `socket` gets for the frames it sends. */
function acksAt(socket: Client) {
  const acks: RelayAckIn[] = [];
  socket.on('relay:ack', (ack) => acks.push(ack));
  return acks;
}
const refusals = (acks: RelayAckIn[]) => acks.filter((ack) => ack.refused).map((ack) => ack.refused!);

/** A stand-in for a sealed frame, as relay.ts sends it (base64 text): counter `counter` in clear, then random bytes. */
function frame(bytes = 1024, counter = 0): string {
  const sealed = randomBytes(bytes);
  sealed.writeBigUInt64BE(BigInt(counter), 0);
  return sealed.toString('base64');
}
const bytesOf = (data: string) => Buffer.from(data, 'base64');

afterEach(async () => {
  for (const socket of clients.splice(0)) socket.disconnect();
  await app?.close();
  app = undefined;
});

describe('the encrypted relay', () => {
  it('forwards frames within the room, both ways, byte for byte; the sender hears of them once the receiver acknowledged', async () => {
    await start();
    const { host, agent, agentId, hostId, created } = await session();
    expect(created).toMatchObject({ relay: true });
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    const atAgent = receiver(agent, () => held);
    const atHost = receiver(host);
    const hostAcks = acksAt(host);
    const agentAcks = acksAt(agent);

    const down = frame(16 * 1024 + 24);
    host.emit('relay', { to: agentId, peer: 7, data: down });
    await expect.poll(() => atAgent.length).toBe(1);
    expect(atAgent[0]).toMatchObject({ from: hostId, peer: 7, data: down });
    // The agent has not acknowledged yet: neither has the server.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(hostAcks).toEqual([]);
    release();
    await expect.poll(() => hostAcks).toEqual([{ from: agentId, peer: 7, count: 1 }]);

    const up = frame(500);
    agent.emit('relay', { peer: 7, data: up });
    await expect.poll(() => agentAcks).toEqual([{ from: hostId, peer: 7, count: 1 }]);
    expect(atHost).toEqual([{ from: agentId, peer: 7, data: up }]);
    expect(await app!.metrics.registry.getSingleMetricAsString('coview_relay_bytes_total')).toContain(`coview_relay_bytes_total ${bytesOf(down).length + bytesOf(up).length}`);
  });

  it('settles acks only for frames it forwarded to the one acknowledging', async () => {
    await start();
    const one = await session();
    const other = await session();
    const hostAcks = acksAt(one.host);
    one.agent.on('relay', () => {});
    for (let i = 0; i < 3; i++) one.host.emit('relay', { to: one.agentId, peer: 2, data: frame(1024, i) });
    await new Promise((resolve) => setTimeout(resolve, 100));
    // Another room's agent, and a stranger, acknowledging frames of this link: nobody hears of it.
    other.agent.emit('relay:ack', { to: one.hostId, peer: 2, count: 3 });
    const stranger = await client();
    stranger.emit('relay:ack', { to: one.hostId, peer: 2, count: 3 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(hostAcks).toEqual([]);
    // Malformed acks settle nothing. The agent's ack settles the three forwarded and reaches the host as said
    // (the host counts no more than it sent, relay.ts); the same count again is nothing new.
    one.agent.emit('relay:ack', { to: one.hostId, peer: 2, count: 'many' } as never);
    one.agent.emit('relay:ack', { to: one.hostId, peer: 2, count: 50 });
    one.agent.emit('relay:ack', { to: one.hostId, peer: 2, count: 50 });
    await expect.poll(() => hostAcks).toEqual([{ from: one.agentId, peer: 2, count: 50 }]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(hostAcks).toHaveLength(1);
  });

  it('relays only between a host and the agents it let in: other rooms, waiting agents and strangers get nothing', async () => {
    await start();
    const one = await session();
    const other = await session();
    const atOtherAgent = receiver(other.agent);
    const atOtherHost = receiver(other.host);
    receiver(one.agent);
    const hostAcks = acksAt(one.host);
    // A host naming another room's agent, a stranger with no session, an agent still waiting for consent.
    one.host.emit('relay', { to: other.agentId, peer: 1, data: frame() });
    await expect.poll(() => refusals(hostAcks)).toEqual([{ code: 'ERR_RELAY_REFUSED', message: expect.stringContaining('Nobody') }]);
    const stranger = await client();
    const strangerAcks = acksAt(stranger);
    stranger.emit('relay', { to: one.agentId, peer: 1, data: frame() });
    await expect.poll(() => refusals(strangerAcks)).toEqual([{ code: 'ERR_RELAY_REFUSED', message: expect.stringContaining('need a session') }]);
    const waiting = await client();
    const waitingAcks = acksAt(waiting);
    const room = newRoomId();
    const host = await client();
    await host.emitWithAck('host:create', { room });
    const atHost = receiver(host);
    await waiting.emitWithAck('agent:join', { room, name: 'Bo' });
    waiting.emit('relay', { peer: 1, data: frame() });
    await expect.poll(() => refusals(waitingAcks)).toHaveLength(1);
    expect(refusals(waitingAcks)[0]!.code).toBe('ERR_RELAY_REFUSED');
    // Malformed: not text, too big, not base64 (multi-byte characters would be counted as less than they hold).
    one.host.emit('relay', { to: one.agentId, peer: 1, data: new Uint8Array(8) as unknown as string });
    one.host.emit('relay', { to: one.agentId, peer: 1, data: frame(18 * 1024) });
    one.host.emit('relay', { to: one.agentId, peer: 1, data: 'é'.repeat(4096) });
    await expect.poll(() => refusals(hostAcks).map((r) => r.code)).toEqual(['ERR_RELAY_REFUSED', 'ERR_MALFORMED_MESSAGE', 'ERR_MALFORMED_MESSAGE', 'ERR_MALFORMED_MESSAGE']);
    expect([...atOtherAgent, ...atOtherHost, ...atHost]).toEqual([]);
  });

  it('passes on a receiver’s refusal (it has no relay for that peer any more)', async () => {
    await start();
    const { host, agent, agentId } = await session();
    agent.on('relay', (message) => agent.emit('relay:ack', { to: message.from, peer: message.peer, count: 0, refused: true }));
    const hostAcks = acksAt(host);
    host.emit('relay', { to: agentId, peer: 1, data: frame() });
    await expect.poll(() => refusals(hostAcks)).toEqual([{ code: 'ERR_RELAY_REFUSED', message: 'The other side refused the frame.' }]);
  });

  it('refuses frames beyond the room buffer while the receiver does not acknowledge', async () => {
    await start({ relay: { bufferBytesPerRoom: 64 * 1024 } });
    const { host, agent, agentId } = await session();
    const frames = receiver(agent, () => new Promise(() => {}));
    const hostAcks = acksAt(host);
    for (let i = 0; i < 6; i++) host.emit('relay', { to: agentId, peer: 1, data: frame(16 * 1024, i) });
    await expect.poll(() => refusals(hostAcks).length).toBe(2);
    // The link is over: the frame behind the refused one is refused too (the receiver would see a gap).
    expect(refusals(hostAcks)[1]).toMatchObject({ code: 'ERR_RELAY_REFUSED', message: expect.stringContaining('renew') });
    expect(refusals(hostAcks)[0]).toMatchObject({ code: 'ERR_RELAY_REFUSED', message: expect.stringContaining('slow down') });
    // Four frames fit in 64 KiB; the rest were never forwarded.
    await expect.poll(() => frames.length).toBe(4);
  });

  it('lets go of a renewed link’s frames when its new link starts: the new one is not refused for the old one’s', async () => {
    await start({ relay: { bufferBytesPerRoom: 64 * 1024 } });
    const { host, agent, agentId } = await session();
    // The agent never acknowledges the old link (it replaced it): its frames fill the room's buffer.
    const frames = receiver(agent, () => new Promise(() => {}));
    const hostAcks = acksAt(host);
    for (let i = 0; i < 4; i++) host.emit('relay', { to: agentId, peer: 1, data: frame(16 * 1024, i) });
    await expect.poll(() => frames.length).toBe(4);
    for (let i = 0; i < 4; i++) host.emit('relay', { to: agentId, peer: 2, data: frame(16 * 1024, i) });
    await expect.poll(() => frames.length).toBe(8);
    expect(refusals(hostAcks)).toEqual([]);
  });

  it('counts a frame against the room buffer when it arrives, not once it is forwarded: frames waiting for bandwidth count', async () => {
    // 16 KiB/s: the first frame goes at once, the next ones wait a second each for bandwidth.
    await start({ relay: { bytesPerSecondPerRoom: 16 * 1024, bufferBytesPerRoom: 64 * 1024 } });
    const { host, agent, agentId } = await session();
    const frames = receiver(agent, () => new Promise(() => {}));
    const hostAcks = acksAt(host);
    for (let i = 0; i < 6; i++) host.emit('relay', { to: agentId, peer: 1, data: frame(16 * 1024, i) });
    await expect.poll(() => refusals(hostAcks).length).toBeGreaterThan(0);
    expect(refusals(hostAcks)[0]).toMatchObject({ code: 'ERR_RELAY_REFUSED', message: expect.stringContaining('slow down') });
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
    const hostAcks = acksAt(host);
    for (const { agentId: to } of agents) for (let i = 0; i < WINDOW_FRAMES; i++) host.emit('relay', { to, peer: 1, data: frame(FRAME_BYTES + RELAY_OVERHEAD_BYTES, i) });
    await expect.poll(() => received.map((frames) => frames.length)).toEqual(agents.map(() => WINDOW_FRAMES));
    expect(refusals(hostAcks)).toEqual([]);
  });

  it('caps the frames one socket has waiting, and a flood of them does not hold up its signals', async () => {
    // A slow room: the frames let in wait for bandwidth a long time; a big buffer, so only the per-socket cap refuses.
    await start({ relay: { bytesPerSecondPerRoom: 64 * 1024, bufferBytesPerRoom: 64 * 1024 * 1024 } });
    const { host, agent, agentId } = await session();
    // Never acknowledged: the frames let in stay waiting, so exactly RELAY_FRAMES_PER_SOCKET of them are.
    receiver(agent, () => new Promise(() => {}));
    const hostAcks = acksAt(host);
    const count = 200;
    for (let i = 0; i < count; i++) host.emit('relay', { to: agentId, peer: 1, data: frame(16 * 1024, i) });
    const signal = once<[{ data: unknown }]>(agent, 'signal');
    host.emit('signal', { to: agentId, data: { flood: 'over' }, peer: 1 });
    // Before the fix the signal waited behind 200 frames' bandwidth (about 50 s at 64 KiB/s).
    expect((await signal)[0].data).toEqual({ flood: 'over' });
    // The first one over the cap is refused for it, and the link with it: the rest of the flood is refused as a refused link's.
    await expect.poll(() => refusals(hostAcks).length).toBe(count - RELAY_FRAMES_PER_SOCKET);
    expect(refusals(hostAcks)[0]!.message).toContain('Too many relay frames');
  });

  it('paces a room to its bandwidth by holding frames (and so their acks) back, in order', async () => {
    await start({ relay: { bytesPerSecondPerRoom: 64 * 1024 } });
    const { host, agent, agentId } = await session();
    const frames = receiver(agent);
    const hostAcks = acksAt(host);
    const data = Array.from({ length: 8 }, (_, i) => frame(16 * 1024, i));
    for (const bytes of data) host.emit('relay', { to: agentId, peer: 1, data: bytes });
    await expect.poll(() => hostAcks.at(-1)?.count, { timeout: 5_000 }).toBe(8);
    expect(refusals(hostAcks)).toEqual([]);
    expect(frames.map((f) => f.data)).toEqual(data);
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
    const hostAcks = acksAt(host);
    host.emit('relay', { to: agentId, peer: 1, data: frame() });
    await expect.poll(() => refusals(hostAcks)).toEqual([{ code: 'ERR_RELAY_REFUSED', message: expect.stringContaining('RELAY_FALLBACK=false') }]);
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
