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

type Settle = (error: Error | null, value?: unknown) => void;
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
  /** Packets emitted while not connected, sent in order once connected (a wait that ends takes its packet back). */
  private queued: { packet: string; ackId?: number }[] = [];
  /** Waits for acknowledgements: `sent` once their packet went out on the connection now up. */
  private readonly acks = new Map<number, { settle: Settle; sent: boolean }>();
  private nextAckId = 0;
  private attempts = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private openTimer: ReturnType<typeof setTimeout> | undefined;
  private heartbeatTimer: ReturnType<typeof setTimeout> | undefined;
  private heartbeatMs = 0;
  /** When the heartbeat runs out (Date.now()): a machine back from sleep may be past it before its timer fires. */
  private heartbeatDeadline = Infinity;
  /** close() was called (and connect() not since): a reconnect scheduled elsewhere must not reopen it. */
  closedByClient = false;
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
      let timer: ReturnType<typeof setTimeout> | undefined;
      const settle = this.send(event, args, (error, value) => {
        clearTimeout(timer);
        if (error) reject(error);
        else resolve(value);
      });
      if (ms > 0) timer = setTimeout(() => settle(new Error('operation has timed out')), ms);
    });
  }

  /** Connects again after close() or the server's DISCONNECT (and at once, if a retry was waiting). */
  connect(): this {
    this.stopped = false;
    this.closedByClient = false;
    if (!this.ws) {
      clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
      this.open();
    }
    return this;
  }

  close(): this {
    this.stopped = true;
    this.closedByClient = true;
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
  private send(event: string, args: unknown[], onAck?: Settle): Settle {
    if (RESERVED.has(event)) throw new Error(`"${event}" is a reserved event name`);
    // Encoded first: what cannot be (a BigInt, a cycle) throws here, before anything is registered.
    const json = JSON.stringify([event, ...args]);
    // A connection whose heartbeat ran out while the machine slept is gone: this goes on the next one.
    if (this.connected && Date.now() > this.heartbeatDeadline) this.lost('ping timeout');
    if (!onAck) {
      this.write({ packet: MESSAGE + EVENT + json });
      return () => {};
    }
    const ackId = this.nextAckId++;
    const entry = { packet: MESSAGE + EVENT + ackId + json, ackId };
    const settle: Settle = (error, value) => {
      if (!this.acks.delete(ackId)) return;
      // Given up before it was sent: it is not sent later (a timed-out request must not act late).
      this.queued = this.queued.filter((each) => each !== entry);
      onAck(error, value);
    };
    this.acks.set(ackId, { settle, sent: false });
    this.write(entry);
    return settle;
  }

  private write(entry: { packet: string; ackId?: number }): void {
    if (!this.connected) return void this.queued.push(entry);
    this.ws!.send(entry.packet);
    const ack = entry.ackId === undefined ? undefined : this.acks.get(entry.ackId);
    if (ack) ack.sent = true;
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
        // Bounded: a timer past 2³¹ ms fires at once, which would drop and reconnect in a loop.
        this.heartbeatMs = Math.min(Math.max((Number(pingInterval) || 25_000) + (Number(pingTimeout) || 20_000), 1_000), 600_000);
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
      // The listeners first: they say who this is (host:resume, agent:resume) before what waited
      // meanwhile goes out, which the server would drop from a socket with no role yet.
      // (socket.io-client sends what waited first.)
      this.fire('connect');
      const queued = this.queued;
      this.queued = [];
      for (const entry of queued) this.write(entry);
      return;
    }
    if (type === CONNECT_ERROR) {
      if (this.connected) return;
      const { message } = asRecord(parse(data.slice(1)));
      this.lost(typeof message === 'string' ? message : 'connection refused');
      return;
    }
    if (type === DISCONNECT) {
      // Refused before it was connected: a failed attempt (retried), never a socket left waiting.
      if (!this.connected) return this.lost('io server disconnect');
      this.stopped = true;
      this.drop('io server disconnect');
      return;
    }
    const body = /^(\d*)(\[[\s\S]*)$/.exec(data.slice(1));
    const args: unknown = body ? parse(body[2]!) : undefined;
    if (!body || !Array.isArray(args)) return;
    if (type === ACK && body[1]) this.acks.get(Number(body[1]))?.settle(null, args[0]);
    else if (type === EVENT && typeof args[0] === 'string' && !RESERVED.has(args[0])) {
      // No server event asks the client for an acknowledgement; one that did would simply not get it.
      this.fire(args[0], ...args.slice(1));
    }
  }

  /** The server pings every pingInterval; silence past pingInterval + pingTimeout means the connection is gone. */
  private heartbeat(): void {
    clearTimeout(this.heartbeatTimer);
    this.heartbeatDeadline = Date.now() + this.heartbeatMs;
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
    // Waits for what went out on the lost connection end now (socket.io-client does the same);
    // what is still queued waits on. Plain callbacks are never called.
    for (const { settle, sent } of [...this.acks.values()]) if (sent) settle(new Error('socket has been disconnected'));
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
    this.heartbeatDeadline = Infinity;
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
