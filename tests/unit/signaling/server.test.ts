import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { io as connectClient, type Socket as ClientSocket } from 'socket.io-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LEAVING_SITE_MS, type Ack, type ClientToServerEvents, type IceServer, type Joined, type ServerToClientEvents } from '../../../widget/protocol/index.js';
import { createAppServer, type AppServer, type AppServerOptions } from '../../../signaling/http.js';
import { JOIN_MESSAGES } from '../../../widget/i18n/join-messages.js';
import { WIDGET_MESSAGES } from '../../../widget/i18n/widget-messages.js';
import { newRoomId } from './room-ids.js';

type Client = ClientSocket<ServerToClientEvents, ClientToServerEvents>;
type EventArgs<E extends keyof ServerToClientEvents> = Parameters<ServerToClientEvents[E]>;

const ICE: IceServer[] = [{ urls: 'stun:stun.example.test:3478' }];

let app: AppServer | undefined;
let url = '';
const clients: ClientSocket[] = [];

async function start(options: AppServerOptions = {}): Promise<string> {
  app = createAppServer({ iceServers: ICE, ...options });
  ({ url } = await app.listen(0, '127.0.0.1'));
  return url;
}

/** A real Socket.IO client, untyped, for sending what a well-behaved client never would. */
function rawClient(): Promise<ClientSocket> {
  const socket = connectClient(url, { transports: ['websocket'], reconnection: false, forceNew: true });
  clients.push(socket);
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', reject);
  });
}

async function client(): Promise<Client> {
  return (await rawClient()) as Client;
}

function next<E extends keyof ServerToClientEvents>(socket: Client, event: E, timeoutMs = 2_000): Promise<EventArgs<E>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} within ${timeoutMs} ms`)), timeoutMs);
    const listener = (...args: unknown[]) => {
      clearTimeout(timer);
      resolve(args as EventArgs<E>);
    };
    (socket as ClientSocket).once(event as string, listener);
  });
}

function expectError<T extends object>(response: Ack<T>, code: string): string {
  expect(response).toMatchObject({ ok: false, error: { code } });
  return response.ok ? '' : response.error.message;
}

/** The ids the server gave each client (people are named by these, not by socket ids). */
const ids = new WeakMap<object, string>();
function idOf(socket: object): string {
  return ids.get(socket) ?? 'nobody';
}

/** Opens a room as the widget does, under a room id (the share code stays in the browser). */
async function createRoom(host: Client, room = newRoomId()): Promise<string> {
  const created = await host.emitWithAck('host:create', { room });
  if (!created.ok) throw new Error(created.error.message);
  ids.set(host, created.hostId);
  return room;
}

/** agent:join that remembers the agent's id. */
async function joinAs(agent: Client, { code, ...request }: { code: string; name: string; token?: string }): Promise<Ack<Joined>> {
  const joined = await agent.emitWithAck('agent:join', { room: code, ...request });
  if (joined.ok) ids.set(agent, joined.agentId);
  return joined;
}

/** A host with a room and one agent it has let in. */
async function liveSession(): Promise<{ host: Client; agent: Client; code: string }> {
  const host = await client();
  const agent = await client();
  const code = await createRoom(host);
  const request = next(host, 'agent:request');
  await joinAs(agent, { code, name: 'Ana' });
  await request;
  const accepted = next(agent, 'join:accepted');
  host.emit('host:decide', { agentId: idOf(agent), allow: true });
  await accepted;
  return { host, agent, code };
}

afterEach(async () => {
  for (const socket of clients.splice(0)) socket.disconnect();
  await app?.close();
  app = undefined;
});

describe('signaling server', () => {
  describe('a share, start to finish', () => {
    it('opens a room under the id the host gives, with its expiry and the ICE servers, and no code', async () => {
      await start();
      const host = await client();
      const before = Date.now();
      const created = await host.emitWithAck('host:create', { room: newRoomId() });
      expect(created.ok).toBe(true);
      if (!created.ok) return;
      expect(created).not.toHaveProperty('code');
      expect(created.expiresAt).toBeGreaterThanOrEqual(before + 10 * 60_000);
      expect(created.iceServers).toEqual(ICE);
    });

    it('refuses a room id that is taken (the host draws another code), and anything that is not a room id', async () => {
      await start();
      const room = await createRoom(await client());
      expectError(await (await client()).emitWithAck('host:create', { room }), 'ERR_ROOM_BUSY');
      for (const bad of ['K7Q-M2X-9FD', 'K7QM2X9FD', room.slice(1), `${room}A`, `${room.slice(1)}+`]) {
        expectError(await (await client()).emitWithAck('host:create', { room: bad }), 'ERR_MALFORMED_MESSAGE');
      }
    });

    it('asks the host about a joining agent, lets it in, and relays signals both ways', async () => {
      await start();
      const host = await client();
      const agent = await client();
      const code = await createRoom(host);

      const request = next(host, 'agent:request');
      const joined = await joinAs(agent, { code, name: '  Ana  from support ' });
      expect(joined).toMatchObject({ ok: true, iceServers: ICE, name: 'Ana from support' });
      expect(await request).toEqual([{ agentId: idOf(agent), name: 'Ana from support' }]);

      const accepted = next(agent, 'join:accepted');
      host.emit('host:decide', { agentId: idOf(agent), allow: true });
      await accepted;

      const toAgent = next(agent, 'signal');
      host.emit('signal', { to: idOf(agent), data: { type: 'offer', sdp: 'v=0 host' } });
      expect(await toAgent).toEqual([{ from: idOf(host), data: { type: 'offer', sdp: 'v=0 host' } }]);

      const toHost = next(host, 'signal');
      agent.emit('signal', { data: { type: 'answer', sdp: 'v=0 agent' } });
      expect(await toHost).toEqual([{ from: idOf(agent), data: { type: 'answer', sdp: 'v=0 agent' } }]);
    });

    it('tells a declined agent so, and relays nothing for it', async () => {
      await start();
      const host = await client();
      const agent = await client();
      const code = await createRoom(host);
      const request = next(host, 'agent:request');
      await joinAs(agent, { code, name: 'Mallory' });
      await request;

      const declined = next(agent, 'join:declined');
      host.emit('host:decide', { agentId: idOf(agent), allow: false });
      await declined;

      // Signals from the same socket arrive in order: if the first never shows up, it was dropped.
      const received = next(host, 'signal');
      agent.emit('signal', { data: 'from a declined agent' });
      const other = await client();
      const otherRequest = next(host, 'agent:request');
      await joinAs(other, { code, name: 'Bo' });
      await otherRequest;
      host.emit('host:decide', { agentId: idOf(other), allow: true });
      await next(other, 'join:accepted');
      other.emit('signal', { data: 'from Bo' });
      expect(await received).toEqual([{ from: idOf(other), data: 'from Bo' }]);
    });

    it('relays nothing before the host has said yes', async () => {
      await start();
      const host = await client();
      const agent = await client();
      const code = await createRoom(host);
      const request = next(host, 'agent:request');
      await joinAs(agent, { code, name: 'Ana' });
      await request;

      const atHost = next(host, 'signal');
      const atAgent = next(agent, 'signal');
      agent.emit('signal', { data: 'too early' });
      host.emit('signal', { to: idOf(agent), data: 'too early' });
      // An agent cannot let itself in.
      agent.emit('host:decide', { agentId: idOf(agent), allow: true });
      agent.emit('signal', { data: 'still too early' });

      const accepted = next(agent, 'join:accepted');
      host.emit('host:decide', { agentId: idOf(agent), allow: true });
      await accepted;
      agent.emit('signal', { data: 'now' });
      host.emit('signal', { to: idOf(agent), data: 'now' });
      expect(await atHost).toEqual([{ from: idOf(agent), data: 'now' }]);
      expect(await atAgent).toEqual([{ from: idOf(host), data: 'now' }]);
    });

    it('never relays a host signal to a socket outside its room', async () => {
      await start();
      const { host, agent } = await liveSession();
      const stranger = await client();
      let strangerGotSignal = false;
      stranger.on('signal', () => {
        strangerGotSignal = true;
      });
      const atAgent = next(agent, 'signal');
      host.emit('signal', { to: idOf(stranger), data: 'psst' });
      host.emit('signal', { data: 'no address' });
      host.emit('signal', { to: idOf(agent), data: 'hello agent' });
      expect(await atAgent).toEqual([{ from: idOf(host), data: 'hello agent' }]);
      // The stranger's socket had as long as the agent's to receive anything.
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(strangerGotSignal).toBe(false);
    });

    it('drops a signal larger than MAX_SIGNAL_BYTES', async () => {
      await start();
      const { host, agent } = await liveSession();
      const received = next(host, 'signal');
      agent.emit('signal', { data: { sdp: 'x'.repeat(70_000) } });
      agent.emit('signal', { data: { sdp: 'small' } });
      expect(await received).toEqual([{ from: idOf(agent), data: { sdp: 'small' } }]);
    });
  });

  describe('join errors a person can act on', () => {
    it('says no session has an unknown code, and that codes expire', async () => {
      await start();
      const agent = await client();
      const message = expectError(await joinAs(agent, { code: newRoomId(), name: 'Ana' }), 'ERR_ROOM_NOT_FOUND');
      expect(message).toBe('No active session has this code. Check the code with the customer: each code works once and expires after 10 minutes unused.');
    });

    it.each([['12345'], ['K7Q-M2X-9FD'], ['1234567890'], ['']])('refuses %j: the server takes room ids only, never a share code', async (code) => {
      await start();
      const agent = await client();
      expectError(await joinAs(agent, { code, name: 'Ana' }), 'ERR_MALFORMED_MESSAGE');
    });

    it('refuses a host joining its own session', async () => {
      await start();
      const host = await client();
      const code = await createRoom(host);
      expectError(await joinAs(host, { code, name: 'Me' }), 'ERR_ALREADY_SHARING');
    });
  });

  describe('ending', () => {
    it('tells the agent when the host disconnects and does not come back within the grace period', async () => {
      await start({ graceMs: 100 });
      const { host, agent, code } = await liveSession();
      const ended = next(agent, 'session:ended');
      host.disconnect();
      expect(await ended).toEqual([{ reason: 'host-left' }]);
      const late = await client();
      expectError(await joinAs(late, { code, name: 'Bo' }), 'ERR_ROOM_NOT_FOUND');
    });

    it('a host socket that drops just after its page followed a link to another site ends the session as "left the site", at once', async () => {
      // A grace period of minutes: only host:leaving-site can end the session within the test.
      let t = 1_000_000;
      await start({ graceMs: 5 * 60_000, now: () => t });
      const { host, agent, code } = await liveSession();
      const ended = next(agent, 'session:ended');
      host.emit('host:leaving-site', { leaving: true });
      // The page is torn down before its pagehide handler could say more (once the word is out:
      // a client closed at once can drop what it just emitted, see closeAfterLastWord).
      await new Promise((resolve) => setTimeout(resolve, 100));
      host.disconnect();
      expect(await ended).toEqual([{ reason: 'host-left-site' }]);
      expectError(await joinAs(await client(), { code, name: 'Bo' }), 'ERR_ROOM_NOT_FOUND');

      // A link to another site that did not take the page away (a download, a cancelled navigation)
      // is forgotten: a drop later on is a reload or a flaky network, and keeps the session.
      // Either it lapses, or the page takes it back (still here a moment later, or went same-site).
      for (const forget of [() => (t += LEAVING_SITE_MS + 1), (host: Client) => host.emit('host:leaving-site', { leaving: false })]) {
        const other = await liveSession();
        other.host.emit('host:leaving-site', { leaving: true });
        await new Promise((resolve) => setTimeout(resolve, 100));
        forget(other.host);
        await new Promise((resolve) => setTimeout(resolve, 100));
        let endedLater = false;
        other.agent.on('session:ended', () => (endedLater = true));
        other.host.disconnect();
        await new Promise((resolve) => setTimeout(resolve, 300));
        expect(endedLater).toBe(false);
        // Kept for the grace period, its host marked away (it may come back), as for any drop.
        expect(await app!.store.get(other.code)).toMatchObject({ hostOfflineSince: t });
      }
    });

    it('a host back on another socket is not taken as leaving when its old socket drops after host:leaving-site', async () => {
      await start({ graceMs: 5 * 60_000 });
      const old = await client();
      const room = newRoomId();
      const created = await old.emitWithAck('host:create', { room });
      if (!created.ok) throw new Error(created.error.message);
      const agent = await client();
      const request = next(old, 'agent:request');
      const joined = await joinAs(agent, { code: room, name: 'Ana' });
      if (!joined.ok) throw new Error(joined.error.message);
      await request;
      old.emit('host:decide', { agentId: joined.agentId, allow: true });
      await next(agent, 'join:accepted');
      // The same customer, already on a new socket (a reconnect raced the old one's drop).
      const back = await client();
      const resumed = await back.emitWithAck('host:resume', { room, hostId: created.hostId, hostKey: created.hostKey, agents: [{ id: joined.agentId, name: 'Ana' }] });
      expect(resumed.ok).toBe(true);
      let ended = false;
      agent.on('session:ended', () => (ended = true));
      old.emit('host:leaving-site', { leaving: true });
      await new Promise((resolve) => setTimeout(resolve, 100));
      old.disconnect();
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(ended).toBe(false);
      expect(await app!.store.get(room)).toMatchObject({ hostId: created.hostId, hostOfflineSince: null });
    });

    it('tells agents when the host stops sharing, and forgets the code', async () => {
      await start();
      const { host, agent, code } = await liveSession();
      const ended = next(agent, 'session:ended');
      host.emit('host:stop');
      expect(await ended).toEqual([{ reason: 'host-stopped' }]);
      expectError(await joinAs(agent, { code, name: 'Ana' }), 'ERR_ROOM_NOT_FOUND');
    });

    it('tells the agents of a previous room when its host starts a new one', async () => {
      await start();
      const { host, agent, code } = await liveSession();
      const ended = next(agent, 'session:ended');
      const second = await createRoom(host);
      expect(second).not.toBe(code);
      expect(await ended).toEqual([{ reason: 'host-stopped' }]);
    });

    it('tells the host when an agent leaves, or disconnects while waiting', async () => {
      await start();
      const { host, agent } = await liveSession();
      const left = next(host, 'agent:left');
      agent.emit('agent:leave');
      expect(await left).toEqual([{ agentId: idOf(agent) }]);

      const code = await createRoom(host);
      const waiting = await client();
      const request = next(host, 'agent:request');
      await joinAs(waiting, { code, name: 'Bo' });
      await request;
      const gone = next(host, 'agent:left');
      const waitingId = idOf(waiting);
      waiting.disconnect();
      expect(await gone).toEqual([{ agentId: waitingId }]);
    });

    it('expires an unused room and tells its host', async () => {
      await start({ roomTtlMs: 300, sweepIntervalMs: 20 });
      const host = await client();
      const code = await createRoom(host);
      const ended = await next(host, 'session:ended');
      expect(ended).toEqual([{ reason: 'expired' }]);
      const agent = await client();
      const message = expectError(await joinAs(agent, { code, name: 'Ana' }), 'ERR_ROOM_NOT_FOUND');
      expect(message).toContain('expires after 1 second unused');
    });

    it('keeps a room with an accepted agent alive past the ttl', async () => {
      await start({ roomTtlMs: 200, sweepIntervalMs: 20 });
      const { host, agent } = await liveSession();
      let ended = false;
      host.on('session:ended', () => {
        ended = true;
      });
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(ended).toBe(false);
      const received = next(host, 'signal');
      agent.emit('signal', { data: 'still here' });
      expect(await received).toEqual([{ from: idOf(agent), data: 'still here' }]);
    });
  });

  describe('hostile or broken clients', () => {
    const malformed: [string, string, unknown[]][] = [
      ['a number', 'agent:join', [42]],
      ['null', 'agent:join', [null]],
      ['a numeric room', 'agent:join', [{ room: 482913227, name: 'Ana' }]],
      ['a huge room', 'agent:join', [{ room: '9'.repeat(90_000), name: 'Ana' }]],
      ['a name that is an object', 'agent:join', [{ room: newRoomId(), name: { first: 'Ana' } }]],
      ['an array', 'agent:join', [[newRoomId(), 'Ana']]],
      ['no payload at all', 'agent:join', []],
    ];

    it.each(malformed)('answers a join with %s with ERR_MALFORMED_MESSAGE', async (_what, event, args) => {
      await start();
      const raw = await rawClient();
      const response = (await raw.timeout(2_000).emitWithAck(event, ...args)) as Ack<object>;
      expectError(response, 'ERR_MALFORMED_MESSAGE');
    });

    it('survives garbage on every event and keeps serving other rooms', async () => {
      const unexpected: unknown[] = [];
      // The flood guard is lifted here: this is about what each handler does with garbage.
      await start({ onError: (error) => unexpected.push(error), limits: { eventsPerSecond: 10_000 } });
      const { host, agent } = await liveSession();
      const raw = await rawClient();
      const garbage: unknown[] = [undefined, null, 0, -1, NaN, 'x', 'y'.repeat(20_000), [], [null], {}, { agentId: 5, allow: 'yes' }, { to: {}, data: 1 }, true];
      for (const event of ['host:create', 'host:decide', 'host:stop', 'agent:join', 'agent:leave', 'signal', 'unknown:event', 'error']) {
        for (const value of garbage) {
          raw.emit(event, value);
          raw.emit(event, value, value, value);
        }
        // Missing acks on events that need one: nothing to answer, nothing to crash.
        raw.emit(event);
      }
      // The same client still gets answers, so the server processed all of the above without dying.
      const created = (await raw.timeout(2_000).emitWithAck('host:create', { room: newRoomId() })) as Ack<object>;
      expect(created.ok).toBe(true);

      const received = next(host, 'signal');
      agent.emit('signal', { data: 'still working' });
      expect(await received).toEqual([{ from: idOf(agent), data: 'still working' }]);
      // Bad input is answered as bad input, never as a crash inside a handler.
      expect(unexpected).toEqual([]);
    });

    it('answers host:create with a number instead of an ack without crashing', async () => {
      await start();
      const raw = await rawClient();
      raw.emit('host:create', 42);
      const response = (await raw.timeout(2_000).emitWithAck('agent:join', null)) as Ack<object>;
      expectError(response, 'ERR_MALFORMED_MESSAGE');
    });

    it('disconnects a client that sends a packet over the size limit, and only that client', async () => {
      await start();
      const { host, agent } = await liveSession();
      const raw = await rawClient();
      const dropped = new Promise<string>((resolve) => raw.once('disconnect', resolve));
      raw.emit('signal', { data: 'z'.repeat(200_000) });
      expect(typeof (await dropped)).toBe('string');

      const received = next(host, 'signal');
      agent.emit('signal', { data: 'unaffected' });
      expect(await received).toEqual([{ from: idOf(agent), data: 'unaffected' }]);
    });
  });
});

describe('http', () => {
  function get(path: string, method = 'GET'): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
    // node:http sends the path exactly as given; fetch would normalise `..` away before the server saw it.
    return new Promise((resolve, reject) => {
      const req = request(`${url}${path.startsWith('/') ? '' : '/'}`, { method, path }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      });
      req.on('error', reject);
      req.end();
    });
  }

  describe('with the real project root', () => {
    it('answers the health check', async () => {
      await start();
      expect(await get('/healthz')).toMatchObject({ status: 200, body: 'ok' });
    });

    it.each(['/widget.js', '/widget-core.js'])('serves the widget bundle %s, or says to build it', async (path) => {
      await start();
      const res = await get(path);
      expect([200, 503]).toContain(res.status);
      if (res.status === 503) expect(res.body).toContain('Run npm run build first');
      else expect(res.headers['content-type']).toBe('application/javascript; charset=utf-8');
      expect(res.headers['access-control-allow-origin']).toBe('*');
      expect(res.headers['cache-control']).toBe('no-cache');
    });

    it.each([
      ['join page', 'join-text', 'join', JOIN_MESSAGES.de.join],
      ['widget', 'widget-text', 'allow', WIDGET_MESSAGES.de.allow],
    ])("serves the %s's texts of each language but English as JSON, and nothing else under /%s/", async (_, folder, key, german) => {
      await start();
      const res = await get(`/${folder}/de.json`);
      expect([200, 503]).toContain(res.status);
      if (res.status === 200) {
        expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
        expect((JSON.parse(res.body) as Record<string, string>)[key]).toBe(german);
      }
      expect(res.headers['access-control-allow-origin']).toBe('*');
      expect(res.headers['cache-control']).toBe('no-cache');
      // English is built into join.js and widget-core.js; other names are no language Coview ships.
      for (const path of [`/${folder}/en.json`, `/${folder}/xx.json`, `/${folder}/de.js`, `/${folder}/../package.json`]) expect((await get(path)).status, path).toBe(404);
    });

    it.each([
      '/demo/../package.json',
      '/demo/%2e%2e%2fpackage.json',
      '/demo/%2E%2E/package.json',
      '/demo/..%2fpackage.json',
      '/demo/..%5cpackage.json',
      '/demo/%252e%252e%252fpackage.json',
      '/demo//etc/passwd',
      '/demo/%00index.html',
      '/demo/%E0%A4%A',
      '/../package.json',
      '/dist/widget.js',
      '/package.json',
      '/signaling/server.ts',
    ])('refuses %s with 404', async (path) => {
      await start();
      const res = await get(path);
      expect(res.status).toBe(404);
      expect(res.body).not.toContain('"name"');
    });

    it('only answers GET and HEAD', async () => {
      await start();
      expect((await get('/healthz', 'POST')).status).toBe(405);
      expect(await get('/healthz', 'HEAD')).toMatchObject({ status: 200, body: '' });
    });
  });

  describe('with a fixture root', () => {
    let root = '';

    beforeAll(async () => {
      root = await mkdtemp(join(tmpdir(), 'coview-http-'));
      await mkdir(join(root, 'demo', 'nested'), { recursive: true });
      await mkdir(join(root, 'dist'));
      await writeFile(join(root, 'demo', 'index.html'), '<h1>shop</h1>');
      await writeFile(join(root, 'demo', 'join.html'), '<h1>join</h1>');
      await writeFile(join(root, 'demo', 'shop.css'), 'body{}');
      await writeFile(join(root, 'demo', 'notes.txt'), 'private');
      await writeFile(join(root, 'demo', 'nested', 'deep.html'), 'deep');
      await writeFile(join(root, 'dist', 'join.js'), 'console.log("join")');
    });

    afterAll(async () => {
      await rm(root, { recursive: true, force: true });
    });

    const fixture = (options: AppServerOptions = {}) => start({ root: pathToFileURL(`${root}/`), ...options });

    it('serves the join page with and without a trailing slash', async () => {
      await fixture();
      for (const path of ['/join', '/join/', '/join?code=1']) {
        const res = await get(path);
        expect(res).toMatchObject({ status: 200, body: '<h1>join</h1>' });
        expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      }
    });

    it('serves a built bundle as JavaScript', async () => {
      await fixture();
      const res = await get('/join.js');
      expect(res).toMatchObject({ status: 200, body: 'console.log("join")' });
      expect(res.headers['content-type']).toBe('application/javascript; charset=utf-8');
      expect((await get('/widget.js')).status).toBe(503);
    });

    it('serves the demo shop and its listed files', async () => {
      await fixture();
      expect(await get('/')).toMatchObject({ status: 200, body: '<h1>shop</h1>' });
      const css = await get('/demo/shop.css');
      expect(css).toMatchObject({ status: 200, body: 'body{}' });
      expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    });

    it('serves no file with another extension, nor from a subfolder', async () => {
      await fixture();
      expect((await get('/demo/notes.txt')).status).toBe(404);
      expect((await get('/demo/nested/deep.html')).status).toBe(404);
      expect((await get('/demo/nested%2fdeep.html')).status).toBe(404);
      expect((await get('/demo/missing.html')).status).toBe(404);
    });

    it('tells the join page how much time travel keeps when TIME_TRAVEL_MINUTES is set', async () => {
      await writeFile(join(root, 'demo', 'join.html'), '<!doctype html><html lang="en"><h1>join</h1>');
      await fixture({ timeTravelMinutes: 90 });
      expect((await get('/join')).body).toBe('<!doctype html><html data-coview-history-minutes="90" lang="en"><h1>join</h1>');
      await writeFile(join(root, 'demo', 'join.html'), '<h1>join</h1>');
    });

    it('hides the demo when serveDemo is false but keeps the join page', async () => {
      await fixture({ serveDemo: false });
      expect((await get('/')).status).toBe(404);
      expect((await get('/demo/shop.css')).status).toBe(404);
      expect((await get('/join')).status).toBe(200);
    });
  });
});

describe('host:invite', () => {
  it('re-arms the code for one more agent: both agents are live and the host signals each; the code is single-use again', async () => {
    await start();
    const { host, agent, code } = await liveSession();
    const second = await client();
    expectError(await joinAs(second, { code, name: 'Bo' }), 'ERR_ROOM_NOT_FOUND');

    const before = Date.now();
    const invited = await host.emitWithAck('host:invite', {});
    expect(invited).toMatchObject({ ok: true });
    if (invited.ok) expect(invited.expiresAt).toBeGreaterThanOrEqual(before + 10 * 60_000);

    const request = next(host, 'agent:request');
    expect(await joinAs(second, { code, name: 'Bo' })).toMatchObject({ ok: true, name: 'Bo' });
    expect(await request).toEqual([{ agentId: idOf(second), name: 'Bo' }]);
    const accepted = next(second, 'join:accepted');
    host.emit('host:decide', { agentId: idOf(second), allow: true });
    await accepted;

    // The first agent was kept: the host still reaches both.
    const toFirst = next(agent, 'signal');
    const toSecond = next(second, 'signal');
    host.emit('signal', { to: idOf(agent), data: { n: 1 }, peer: 1 });
    host.emit('signal', { to: idOf(second), data: { n: 2 }, peer: 2 });
    expect((await toFirst)[0]).toMatchObject({ data: { n: 1 } });
    expect((await toSecond)[0]).toMatchObject({ data: { n: 2 } });

    expectError(await joinAs(await client(), { code, name: 'Cy' }), 'ERR_ROOM_NOT_FOUND');

    // One agent leaving leaves the other in the room.
    const left = next(host, 'agent:left');
    agent.emit('agent:leave');
    expect(await left).toEqual([{ agentId: idOf(agent) }]);
    const stillThere = next(second, 'signal');
    host.emit('signal', { to: idOf(second), data: { n: 3 } });
    expect((await stillThere)[0]).toMatchObject({ data: { n: 3 } });
  });

  it('only a host can invite; malformed invitations and floods are refused', async () => {
    await start({ limits: { joinsPerRoomPerMinute: 2 } });
    const { host, agent } = await liveSession();
    expectError(await agent.emitWithAck('host:invite', {}), 'ERR_ROOM_NOT_FOUND');
    expectError(await (host as ClientSocket).emitWithAck('host:invite', 'nonsense'), 'ERR_MALFORMED_MESSAGE');
    expect(await host.emitWithAck('host:invite', {})).toMatchObject({ ok: true });
    expect(await host.emitWithAck('host:invite', {})).toMatchObject({ ok: true });
    expectError(await host.emitWithAck('host:invite', {}), 'ERR_RATE_LIMITED');
  });
});
