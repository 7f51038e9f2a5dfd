/**
 * The Socket.IO client both sides need, and no more (socket.io-client and engine.io-client were
 * ~13 KiB gzip of every bundle): Socket.IO 5 over Engine.IO 4 on a WebSocket, for the default
 * namespace; JSON events, with acknowledgements and their time limit; heartbeats; reconnection with
 * backoff, with what was sent meanwhile kept and sent once connected. The events and reasons keep
 * socket.io-client's names, which signaling-client.ts and the sessions use.
 *
 * WebSocket only, as the widget already was: socket.io-client with `transports: ['websocket',
 * 'polling']` and no `tryAllTransports` never fell back to polling either (a failed WebSocket was a
 * connect_error, then a retry). Nothing binary: every Coview event is JSON (relay frames are base64).
 * The server is trusted for availability only, so a packet it sends malformed is dropped, never thrown.
 */

// oxlint-disable-next-line typescript/no-explicit-any -- event maps are typed by their users
type Handler = (...args: any[]) => void;
/** An interface of events (`{ name: (payload) => void }`), as socket.io-client's types take them. */
type EventMap<T> = { [K in keyof T]: Handler };

/** Why a socket is disconnected: only `io server disconnect` and `io client disconnect` are not retried. */
export type DisconnectReason = 'io server disconnect' | 'io client disconnect' | 'ping timeout' | 'transport close' | 'transport error';

interface ReservedEvents {
  connect: () => void;
  connect_error: (error: Error) => void;
  disconnect: (reason: DisconnectReason) => void;
}

type Last<T extends unknown[]> = T extends [...unknown[], infer L] ? L : never;
type AllButLast<T extends unknown[]> = T extends [...infer Head, unknown] ? Head : never;
/** What an event's acknowledgement callback is given, for `emitWithAck`. */
type AckValue<F extends Handler> = NonNullable<Last<Parameters<F>>> extends (value: infer V) => void ? V : never;

export interface SocketOptions {
  /** The first retry's delay; each next one doubles, with ±50 % jitter, up to `reconnectionDelayMax`. */
  reconnectionDelay?: number;
  reconnectionDelayMax?: number;
  /** How long opening the connection may take before it counts as failed. */
  timeout?: number;
}

/** Engine.IO 4 packet types (the first character of each WebSocket message). */
const OPEN = '0';
const CLOSE = '1';
const PING = '2';
const PONG = '3';
const MESSAGE = '4';
/** Socket.IO 5 packet types (the character after MESSAGE). */
const CONNECT = '0';
const DISCONNECT = '1';
const EVENT = '2';
const ACK = '3';
const CONNECT_ERROR = '4';

/** Things this socket does by itself and must not be names a user listens to or emits. */
const RESERVED: ReadonlySet<string> = new Set(['connect', 'connect_error', 'disconnect']);

export class SocketIoClient<In extends EventMap<In>, Out extends EventMap<Out>> {
  connected = false;
  private ws: WebSocket | null = null;
  private readonly listeners = new Map<string, Handler[]>();
  /** Packets emitted while not connected, sent in order once connected. */
  private queued: string[] = [];
  private readonly acks = new Map<number, (error: Error | null, value?: unknown) => void>();
  private nextAckId = 0;
  private attempts = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private openTimer: ReturnType<typeof setTimeout> | undefined;
  private heartbeatTimer: ReturnType<typeof setTimeout> | undefined;
  private heartbeatMs = 0;
  /** close(), or the server's DISCONNECT: no retry until connect() is called. */
  private stopped = false;
  /**
   * The browser says the network is gone: the connection is as good as lost, and retries begin
   * now, not when the heartbeat runs out (up to 45 s later). socket.io-client did the same.
   */
  private readonly onOffline = () => this.ws && this.lost('transport close');

  constructor(
    private readonly url: string,
    private readonly options: SocketOptions = {},
  ) {
    this.open();
  }

  on<E extends keyof In | keyof ReservedEvents>(event: E, handler: E extends keyof ReservedEvents ? ReservedEvents[E] : In[E & keyof In]): this {
    const list = this.listeners.get(event as string) ?? [];
    this.listeners.set(event as string, [...list, handler as Handler]);
    return this;
  }

  once<E extends keyof In | keyof ReservedEvents>(event: E, handler: E extends keyof ReservedEvents ? ReservedEvents[E] : In[E & keyof In]): this {
    const once: Handler = (...args) => {
      this.off(event, once as never);
      (handler as Handler)(...args);
    };
    (once as { original?: Handler }).original = handler as Handler;
    return this.on(event, once as never);
  }

  off<E extends keyof In | keyof ReservedEvents>(event: E, handler: E extends keyof ReservedEvents ? ReservedEvents[E] : In[E & keyof In]): this {
    const list = this.listeners.get(event as string) ?? [];
    this.listeners.set(
      event as string,
      list.filter((each) => each !== handler && (each as { original?: Handler }).original !== handler),
    );
    return this;
  }

  removeAllListeners(): this {
    this.listeners.clear();
    return this;
  }

  /** Sends `event`; a function as the last argument is called with the server's acknowledgement. */
  emit<E extends keyof Out & string>(event: E, ...args: Parameters<Out[E]>): this {
    const last = args[args.length - 1];
    if (typeof last === 'function') this.send(event, args.slice(0, -1), (error, value) => !error && (last as Handler)(value));
    else this.send(event, args);
    return this;
  }

  /** Sends `event` and resolves with its acknowledgement (rejects if the socket disconnects first). */
  emitWithAck<E extends keyof Out & string>(event: E, ...args: AllButLast<Parameters<Out[E]>>): Promise<AckValue<Out[E]>> {
    return this.sendAwaitingAck(0, event, args) as Promise<AckValue<Out[E]>>;
  }

  /** `socket.timeout(ms).emitWithAck(…)`: also rejects once `ms` pass without the acknowledgement. */
  timeout(ms: number): Pick<SocketIoClient<In, Out>, 'emitWithAck'> {
    return { emitWithAck: (event, ...args) => this.sendAwaitingAck(ms, event, args) as never };
  }

  private sendAwaitingAck(ms: number, event: string, args: unknown[]): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const timer = ms > 0 ? setTimeout(() => settle(new Error('operation has timed out')), ms) : undefined;
      const settle = this.send(event, args, (error, value) => {
        clearTimeout(timer);
        if (error) reject(error);
        else resolve(value);
      });
    });
  }

  /** Connects again after close() or the server's DISCONNECT (and at once, if a retry was waiting). */
  connect(): this {
    this.stopped = false;
    if (!this.ws) {
      clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
      this.open();
    }
    return this;
  }

  close(): this {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.queued = [];
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(MESSAGE + DISCONNECT);
    this.drop('io client disconnect');
    return this;
  }

  /**
   * Queues or sends one EVENT; with `onAck`, gives it an id and returns the function that ends the
   * wait (with an error, or the value) exactly once.
   */
  private send(event: string, args: unknown[], onAck?: (error: Error | null, value?: unknown) => void): (error: Error | null, value?: unknown) => void {
    if (RESERVED.has(event)) throw new Error(`"${event}" is a reserved event name`);
    let id: number | undefined;
    let settle = (_error: Error | null, _value?: unknown) => {};
    if (onAck) {
      id = this.nextAckId++;
      const ackId = id;
      settle = (error, value) => {
        if (!this.acks.delete(ackId)) return;
        onAck(error, value);
      };
      this.acks.set(ackId, settle);
    }
    const packet = MESSAGE + EVENT + (id ?? '') + JSON.stringify([event, ...args]);
    if (this.connected) this.ws!.send(packet);
    else this.queued.push(packet);
    return settle;
  }

  private open(): void {
    const url = new URL('/socket.io/', this.url);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    url.searchParams.set('EIO', '4');
    url.searchParams.set('transport', 'websocket');
    let ws: WebSocket;
    try {
      ws = new WebSocket(url.href);
    } catch (error) {
      // A URL the browser refuses (or a page's Content-Security-Policy): a failed attempt like any
      // other, said after the caller has attached its listeners.
      queueMicrotask(() => this.failed(error instanceof Error ? error : new Error(String(error))));
      return;
    }
    this.ws = ws;
    globalThis.addEventListener?.('offline', this.onOffline);
    this.openTimer = setTimeout(() => this.ws === ws && this.lost('timeout'), this.options.timeout ?? 20_000);
    ws.onmessage = (message) => {
      if (this.ws === ws && typeof message.data === 'string') this.onPacket(message.data);
    };
    ws.onclose = () => this.ws === ws && this.lost('transport close');
    // Browsers fire close after error; some WebSockets (Node 20's) fire only the error for a refused connection.
    ws.onerror = () => this.ws === ws && this.lost('transport error');
  }

  private onPacket(data: string): void {
    switch (data[0]) {
      case OPEN: {
        const { pingInterval, pingTimeout } = asRecord(parse(data.slice(1)));
        this.heartbeatMs = (Number(pingInterval) || 25_000) + (Number(pingTimeout) || 20_000);
        this.heartbeat();
        this.ws!.send(MESSAGE + CONNECT);
        return;
      }
      case PING:
        this.heartbeat();
        this.ws!.send(PONG);
        return;
      case CLOSE:
        return this.lost('transport close');
      case MESSAGE:
        return this.onSocketIoPacket(data.slice(1));
    }
  }

  private onSocketIoPacket(data: string): void {
    const type = data[0];
    if (type === CONNECT) {
      if (this.connected) return;
      clearTimeout(this.openTimer);
      this.connected = true;
      this.attempts = 0;
      // What was emitted meanwhile goes first, then the listeners hear of it (socket.io-client's order).
      for (const packet of this.queued) this.ws!.send(packet);
      this.queued = [];
      this.fire('connect');
      return;
    }
    if (type === CONNECT_ERROR) {
      const { message } = asRecord(parse(data.slice(1)));
      this.lost(typeof message === 'string' ? message : 'connection refused');
      return;
    }
    if (type === DISCONNECT) {
      this.stopped = true;
      this.drop('io server disconnect');
      return;
    }
    const body = /^(\d*)(\[[\s\S]*)$/.exec(data.slice(1));
    const args: unknown = body ? parse(body[2]!) : undefined;
    if (!body || !Array.isArray(args)) return;
    if (type === ACK && body[1]) this.acks.get(Number(body[1]))?.(null, args[0]);
    else if (type === EVENT && typeof args[0] === 'string' && !RESERVED.has(args[0])) {
      // No server event asks the client for an acknowledgement; one that did would simply not get it.
      this.fire(args[0], ...args.slice(1));
    }
  }

  /** The server pings every pingInterval; silence past pingInterval + pingTimeout means the connection is gone. */
  private heartbeat(): void {
    clearTimeout(this.heartbeatTimer);
    this.heartbeatTimer = setTimeout(() => this.lost('ping timeout'), this.heartbeatMs);
  }

  /** The connection is gone, or never came up: a disconnect, or a failed attempt. */
  private lost(reason: DisconnectReason | string): void {
    if (this.connected) return this.drop(reason as DisconnectReason);
    this.teardown();
    this.failed(new Error(reason));
  }

  /** Ends a connection that was up (or is being given up by close()), then retries unless stopped. */
  private drop(reason: DisconnectReason): void {
    const wasConnected = this.connected;
    this.teardown();
    // Waits with a time limit end now (socket.io-client does the same); plain callbacks are never called.
    for (const settle of [...this.acks.values()]) settle(new Error('socket has been disconnected'));
    if (wasConnected) this.fire('disconnect', reason);
    this.retry();
  }

  private failed(error: Error): void {
    this.fire('connect_error', error);
    this.retry();
  }

  private retry(): void {
    if (this.stopped || this.ws || this.retryTimer !== undefined) return;
    const base = this.options.reconnectionDelay ?? 1_000;
    const delay = Math.min(this.options.reconnectionDelayMax ?? 5_000, base * 2 ** this.attempts++ * (0.5 + Math.random()));
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (!this.stopped && !this.ws) this.open();
    }, delay);
  }

  private teardown(): void {
    const ws = this.ws;
    this.ws = null;
    this.connected = false;
    clearTimeout(this.openTimer);
    clearTimeout(this.heartbeatTimer);
    globalThis.removeEventListener?.('offline', this.onOffline);
    if (ws) {
      ws.onmessage = ws.onclose = ws.onerror = null;
      if (ws.readyState === WebSocket.CONNECTING || ws.readyState === WebSocket.OPEN) ws.close();
    }
  }

  private fire(event: string, ...args: unknown[]): void {
    for (const handler of this.listeners.get(event) ?? []) {
      try {
        handler(...args);
      } catch (error) {
        // One listener's bug must not cost the others their event (nor this socket its state).
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }
}

/** JSON from the server, or undefined for anything that does not parse. */
function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function asRecord(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {};
}
