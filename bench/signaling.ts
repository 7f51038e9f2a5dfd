/**
 * `npm run bench:signaling`: a load generator on loopback. It opens N concurrent rooms, each a host
 * socket and an agent socket doing the whole exchange (create, join, consent, offer, answer, ICE
 * candidates), against one signaling process, then against two processes sharing a redis-server,
 * and prints rooms/s, p50/p99 relay latency and the server's RSS per 1,000 sockets.
 *
 *   npm run bench:signaling -- --rooms 5000 --concurrency 200
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { io as connect, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, ServerToClientEvents } from '../widget/protocol/index.js';
import { startCoviewProcess, startRedis, type RunningCoview } from '../tests/support/processes.js';

type Client = Socket<ServerToClientEvents, ClientToServerEvents>;

const args = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const ROOMS = option('rooms', 5_000);
const CONCURRENCY = option('concurrency', 200);
const CANDIDATES = 4;
// A realistic offer: Chromium's data-channel-only SDP is about 600 bytes; with trickle ICE the
// candidates travel separately.
const OFFER = { type: 'offer', sdp: `v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n${'a=x'.repeat(180)}` };
const LIMITS = { JOIN_LIMIT_PER_IP: '1000000', JOIN_LIMIT_PER_ROOM: '1000000', CREATE_LIMIT_PER_IP: '1000000', LOG_LEVEL: 'info' };

function open(url: string): Promise<Client> {
  const socket: Client = connect(url, { transports: ['websocket'], reconnection: false, forceNew: true });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', reject);
  });
}

function once<E extends keyof ServerToClientEvents>(socket: Client, event: E): Promise<Parameters<ServerToClientEvents[E]>> {
  return new Promise((resolve) => (socket as unknown as Socket).once(event as string, (...a: unknown[]) => resolve(a as Parameters<ServerToClientEvents[E]>)));
}

/** One room, start to finish; pushes each relayed signal's latency (ms) and keeps both sockets open. */
async function room(hostUrl: string, agentUrl: string, latencies: number[], keep: Client[]): Promise<void> {
  const host = await open(hostUrl);
  const agent = await open(agentUrl);
  keep.push(host, agent);
  // A room id as the widget derives one from its code (the server cannot tell the difference).
  const roomId = randomBytes(32).toString('base64url');
  const created = await host.emitWithAck('host:create', { room: roomId });
  if (!created.ok) throw new Error(created.error.message);
  const request = once(host, 'agent:request');
  const joined = await agent.emitWithAck('agent:join', { room: roomId, name: 'Bench' });
  if (!joined.ok) throw new Error(joined.error.message);
  await request;
  const accepted = once(agent, 'join:accepted');
  host.emit('host:decide', { agentId: joined.agentId, allow: true });
  await accepted;

  // Each signal carries its send time; the receiver records how long the relay took.
  const relay = (from: Client, to: Client, count: number, make: (i: number) => unknown, target?: string) =>
    new Promise<void>((resolve) => {
      let seen = 0;
      const onSignal = ({ data }: { data: unknown }) => {
        latencies.push(performance.now() - (data as { t: number }).t);
        if (++seen === count) {
          (to as unknown as Socket).off('signal', onSignal);
          resolve();
        }
      };
      (to as unknown as Socket).on('signal', onSignal);
      for (let i = 0; i < count; i++) from.emit('signal', { ...(target ? { to: target } : {}), data: { t: performance.now(), ...(make(i) as object) }, peer: 1 });
    });
  const candidate = (i: number) => ({ candidate: { candidate: `candidate:${i} 1 udp 2122260223 127.0.0.1 ${50_000 + i} typ host`, sdpMid: '0' } });
  await relay(host, agent, 1, () => OFFER, joined.agentId);
  await relay(agent, host, 1, () => ({ type: 'answer', sdp: OFFER.sdp }));
  await Promise.all([relay(host, agent, CANDIDATES, candidate, joined.agentId), relay(agent, host, CANDIDATES, candidate)]);
}

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function run(label: string, servers: RunningCoview[]): Promise<void> {
  const [a, b = a] = servers as [RunningCoview, RunningCoview?];
  const before = servers.map((s) => rssMiB(s.proc.pid!));
  const latencies: number[] = [];
  const keep: Client[] = [];
  let next = 0;
  let failed = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < ROOMS) {
        next++;
        await room(a.url, b!.url, latencies, keep).catch(() => failed++);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const after = servers.map((s) => rssMiB(s.proc.pid!));
  const sockets = keep.length;
  const grown = after.reduce((sum, mib, i) => sum + mib - before[i]!, 0);
  // With every room still open, a steady trickle of new handshakes: the latency a new customer
  // sees on a busy server (the ramp above measures throughput, with the load generator saturated).
  const probe: number[] = [];
  for (let batch = 0; batch < 40; batch++) {
    const extra: Client[] = [];
    await Promise.all(Array.from({ length: 5 }, () => room(a.url, b!.url, probe, extra).catch(() => failed++)));
    for (const socket of extra) socket.disconnect();
  }
  latencies.sort((x, y) => x - y);
  probe.sort((x, y) => x - y);
  console.log(
    [
      label.padEnd(30),
      `${ROOMS} rooms`.padStart(12),
      `${sockets} sockets`.padStart(15),
      `${(ROOMS / seconds).toFixed(0)} rooms/s`.padStart(14),
      `ramp p50/p99 ${percentile(latencies, 50).toFixed(1)}/${percentile(latencies, 99).toFixed(1)} ms`.padStart(26),
      `steady p50/p99 ${percentile(probe, 50).toFixed(1)}/${percentile(probe, 99).toFixed(1)} ms`.padStart(28),
      `RSS ${after.map((m) => m.toFixed(0)).join('+')} MiB`.padStart(18),
      `${((grown / sockets) * 1000).toFixed(1)} MiB/1k sockets`.padStart(22),
      failed ? `${failed} FAILED` : '',
    ].join(' '),
  );
  for (const socket of keep) socket.disconnect();
}

console.log(`Signaling load: ${ROOMS} concurrent rooms (host + agent each), ${CONCURRENCY} set up at a time, offer + answer + ${CANDIDATES} ICE candidates each way`);
{
  const single = await startCoviewProcess(LIMITS);
  try {
    await run('one process (memory)', [single]);
  } finally {
    await single.stop();
  }
}
{
  const redis = await startRedis();
  const env = { ...LIMITS, REDIS_URL: redis.url };
  const [a, b] = await Promise.all([startCoviewProcess(env), startCoviewProcess(env)]);
  try {
    await run('two processes over Redis', [a, b]);
  } finally {
    await Promise.all([a.stop(), b.stop()]);
    await redis.stop();
  }
}
process.exit(0);
