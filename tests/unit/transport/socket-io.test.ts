import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server, type Socket as ServerSocket } from 'socket.io';
import { afterEach, describe, expect, it } from 'vitest';
import { connectSignaling } from '../../../widget/transport/signaling-client.js';
import { SocketIoClient, type DisconnectReason } from '../../../widget/transport/socket-io.js';

// The widget's own Socket.IO client against the real Socket.IO server, over Node's WebSocket (the
// unit project runs with --experimental-websocket: Node 20 has the standard WebSocket behind a flag).

interface ToClient {
  hello: (text: string, extra: { n: number }) => void;
  second: (n: number) => void;
}
interface ToServer {
  echo: (text: string, ack: (reply: { text: string }) => void) => void;
  silent: (text: string, ack: (reply: unknown) => void) => void;
  note: (n: number) => void;
}
type Client = SocketIoClient<ToClient, ToServer>;

let http: HttpServer | undefined;
let io: Server | undefined;
const clients: Client[] = [];

async function serve(port = 0, options: ConstructorParameters<typeof Server>[1] = {}): Promise<{ url: string; io: Server; received: unknown[]; events: string[] }> {
  http = createServer();
  io = new Server(http, options);
  const received: unknown[] = [];
  const events: string[] = [];
  io.on('connection', (socket: ServerSocket) => {
    socket.onAny((event: string, first: unknown) => events.push(`${event} ${JSON.stringify(first)}`));
    socket.on('echo', (text: string, ack: (reply: unknown) => void) => ack({ text: `echo ${text}` }));
    socket.on('silent', () => {});
    socket.on('note', (n: number) => received.push(n));
  });
  await new Promise<void>((resolve) => http!.listen(port, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`, io, received, events };
}

function client(url: string, options = {}): Client {
  const socket: Client = new SocketIoClient(url, { reconnectionDelay: 100, reconnectionDelayMax: 200, ...options });
  clients.push(socket);
  return socket;
}

const next = <T extends unknown[]>(socket: Client, event: 'connect' | 'disconnect' | 'connect_error' | 'hello'): Promise<T> =>
  new Promise((resolve) => socket.once(event, ((...args: T) => resolve(args)) as never));

async function until(check: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

afterEach(async () => {
  for (const socket of clients.splice(0)) socket.close();
  await io?.close();
  http = io = undefined;
});

describe('the widget’s Socket.IO client', () => {
  it('connects, and carries events both ways with acknowledgements', async () => {
    const { url, io } = await serve();
    const socket = client(url);
    await next(socket, 'connect');
    expect(socket.connected).toBe(true);
    await expect(socket.emitWithAck('echo', 'hi')).resolves.toEqual({ text: 'echo hi' });
    const acked = new Promise((resolve) => socket.emit('echo', 'cb', resolve));
    await expect(acked).resolves.toEqual({ text: 'echo cb' });
    const hello = next<[string, { n: number }]>(socket, 'hello');
    io.emit('hello', 'from the server', { n: 7 });
    await expect(hello).resolves.toEqual(['from the server', { n: 7 }]);
  });

  it('sends what is emitted before it is connected, in order, once it is', async () => {
    const { url, received } = await serve();
    const socket = client(url);
    for (const n of [1, 2, 3]) socket.emit('note', n);
    await until(() => received.length === 3);
    expect(received).toEqual([1, 2, 3]);
  });

  it('rejects an acknowledgement that does not come in time, and one the disconnect ends', async () => {
    const { url, io } = await serve();
    const socket = client(url);
    await next(socket, 'connect');
    const started = Date.now();
    await expect(socket.timeout(150).emitWithAck('silent', 'x')).rejects.toThrow('operation has timed out');
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    const waiting = socket.timeout(10_000).emitWithAck('silent', 'y');
    for (const each of io.of('/').sockets.values()) each.conn.close();
    await expect(waiting).rejects.toThrow('socket has been disconnected');
  });

  it('after a dropped connection, says so, reconnects by itself and sends what was emitted meanwhile', async () => {
    const { url, io, received } = await serve();
    const socket = client(url);
    await next(socket, 'connect');
    const dropped = next<[DisconnectReason]>(socket, 'disconnect');
    for (const each of io.of('/').sockets.values()) each.conn.close();
    await expect(dropped).resolves.toEqual(['transport close']);
    socket.emit('note', 42);
    await next(socket, 'connect');
    await until(() => received.includes(42));
    await expect(socket.emitWithAck('echo', 'again')).resolves.toEqual({ text: 'echo again' });
  });

  it('does not retry once the server disconnects it, until connect() is called', async () => {
    const { url, io } = await serve();
    const socket = client(url);
    await next(socket, 'connect');
    const dropped = next<[DisconnectReason]>(socket, 'disconnect');
    io.disconnectSockets(true);
    await expect(dropped).resolves.toEqual(['io server disconnect']);
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(socket.connected).toBe(false);
    expect(io.of('/').sockets.size).toBe(0);
    socket.connect();
    await next(socket, 'connect');
    expect(io.of('/').sockets.size).toBe(1);
  });

  it('drops malformed packets from the server and carries on', async () => {
    const { url, io } = await serve();
    const socket = client(url);
    let connects = 0;
    socket.on('connect', () => connects++);
    await next(socket, 'connect');
    // engine.io's packet writer (private in its types): sends each text as one Engine.IO message.
    const raw = [...io.of('/').sockets.values()][0]!.conn as unknown as { sendPacket(type: 'message', data: string): void };
    const hellos: unknown[] = [];
    socket.on('hello', (text) => hellos.push(text));
    for (const garbage of ['2{not json', '2["hello"', '2', '3', '3x[1]', '399[1]', '2"hello"', '2[7]', '2["connect"]', '2["disconnect","io server disconnect"]', '0', '5-["hello"]', '']) {
      raw.sendPacket('message', garbage);
    }
    raw.sendPacket('message', '2["hello","still here"]');
    await until(() => hellos.length > 0);
    expect(hellos).toEqual(['still here']);
    expect(connects).toBe(1);
    expect(socket.connected).toBe(true);
    await expect(socket.emitWithAck('echo', 'ok')).resolves.toEqual({ text: 'echo ok' });
  });

  it('one listener that throws costs the others nothing', async () => {
    const { url, io } = await serve();
    const socket = client(url);
    await next(socket, 'connect');
    const errors: unknown[] = [];
    const onError = (error: unknown) => errors.push(error);
    process.on('uncaughtException', onError);
    try {
      socket.on('second', () => {
        throw new Error('a listener’s bug');
      });
      const heard = new Promise((resolve) => socket.on('second', resolve));
      io.emit('second', 2);
      await expect(heard).resolves.toBe(2);
      await until(() => errors.length === 1);
      expect(String(errors[0])).toContain('a listener’s bug');
    } finally {
      process.off('uncaughtException', onError);
    }
  });

  it('takes the browser’s offline event for a lost connection, and reconnects', async () => {
    const { url } = await serve();
    // Node has no window events: stand one in for the browser's, for this test only.
    const events = new EventTarget();
    const own = globalThis as { addEventListener?: unknown; removeEventListener?: unknown };
    own.addEventListener = events.addEventListener.bind(events);
    own.removeEventListener = events.removeEventListener.bind(events);
    try {
      const socket = client(url);
      await next(socket, 'connect');
      const dropped = next<[DisconnectReason]>(socket, 'disconnect');
      events.dispatchEvent(new Event('offline'));
      await expect(dropped).resolves.toEqual(['transport close']);
      await next(socket, 'connect');
      await expect(socket.emitWithAck('echo', 'back')).resolves.toEqual({ text: 'echo back' });
    } finally {
      delete own.addEventListener;
      delete own.removeEventListener;
    }
  });

  it('never sends later a request that timed out while it waited for a connection', async () => {
    const { url } = await serve();
    const port = Number(new URL(url).port);
    await io!.close();
    const socket = client(url);
    await expect(socket.timeout(100).emitWithAck('echo', 'stale')).rejects.toThrow('operation has timed out');
    socket.emit('note', 1);
    const { events } = await serve(port);
    await next(socket, 'connect');
    await expect(socket.emitWithAck('echo', 'fresh')).resolves.toEqual({ text: 'echo fresh' });
    expect(events).toEqual(['note 1', 'echo "fresh"']);
  });

  it('lets its connect listeners speak first (a resume), then sends what waited', async () => {
    const { url } = await serve();
    const port = Number(new URL(url).port);
    await io!.close();
    const socket = client(url);
    socket.emit('note', 1);
    socket.on('connect', () => socket.emit('note', 0));
    const { events } = await serve(port);
    await next(socket, 'connect');
    await until(() => events.length === 2);
    expect(events).toEqual(['note 0', 'note 1']);
  });

  it('takes a DISCONNECT before it was connected for a failed attempt, and tries again', async () => {
    const { url, io } = await serve();
    let refused = 0;
    io.engine.on('connection', (raw: { sendPacket(type: 'message', data: string): void }) => {
      // Before the server's answer to CONNECT: as a server that refuses this client once.
      if (refused++ === 0) raw.sendPacket('message', '1');
    });
    const socket = client(url);
    const [error] = await next<[Error]>(socket, 'connect_error');
    expect(error.message).toBe('io server disconnect');
    await next(socket, 'connect');
    expect(socket.connected).toBe(true);
  });

  it('answers the server’s pings, so it stays connected across many heartbeats', async () => {
    const { url, io } = await serve(0, { pingInterval: 100, pingTimeout: 100 });
    const socket = client(url);
    let drops = 0;
    socket.on('disconnect', () => drops++);
    await next(socket, 'connect');
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    expect(drops).toBe(0);
    expect(io.of('/').sockets.size).toBe(1);
    await expect(socket.emitWithAck('echo', 'alive')).resolves.toEqual({ text: 'echo alive' });
  });

  it('a request that cannot be encoded throws at once and leaves nothing behind', async () => {
    const { url, events } = await serve();
    const socket = client(url);
    await next(socket, 'connect');
    await expect(socket.timeout(50).emitWithAck('echo', 10n as never)).rejects.toThrow(TypeError);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await expect(socket.emitWithAck('echo', 'after')).resolves.toEqual({ text: 'echo after' });
    expect(events).toEqual(['echo "after"']);
  });

  it('refuses to emit a reserved event name', async () => {
    const { url } = await serve();
    const socket = client(url);
    expect(() => (socket as unknown as { emit(event: string): void }).emit('connect')).toThrow('reserved');
  });

  it('says a server that is not there is unreachable', async () => {
    const { url } = await serve();
    await io!.close();
    await expect(connectSignaling(url)).rejects.toMatchObject({ code: 'ERR_SIGNALING_UNREACHABLE' });
    const socket = client(url);
    const [error] = await next<[Error]>(socket, 'connect_error');
    expect(error).toBeInstanceOf(Error);
  });
});
