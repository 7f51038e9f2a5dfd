import { CoviewError, type Ack, type ClientToServerEvents, type ServerToClientEvents } from '../protocol/index.js';
import { SocketIoClient } from './socket-io.js';

export type SignalingSocket = SocketIoClient<ServerToClientEvents, ClientToServerEvents>;

const REQUEST_TIMEOUT_MS = 10_000;

/** Connects to the signaling server; rejects with a message a person can act on if it is unreachable. */
export function connectSignaling(serverUrl: string): Promise<SignalingSocket> {
  const socket: SignalingSocket = new SocketIoClient(serverUrl, { reconnectionDelayMax: 5_000, timeout: REQUEST_TIMEOUT_MS });
  return new Promise((resolve, reject) => {
    const onError = (cause: Error) => {
      socket.off('connect', onConnect);
      socket.close();
      reject(new CoviewError('ERR_SIGNALING_UNREACHABLE', `Cannot reach the Coview server at ${serverUrl}. Check your connection and try again.`, { cause }));
    };
    const onConnect = () => {
      socket.off('connect_error', onError);
      resolve(socket);
    };
    socket.once('connect', onConnect);
    socket.once('connect_error', onError);
  });
}

/**
 * Calls `onBack` each time the socket connects again after a drop: network blips and server
 * restarts (Socket.IO reconnects by itself, with backoff), and a server that is shutting down
 * and disconnected us on purpose (Socket.IO leaves that to us: we reconnect, and the load
 * balancer sends us to another server).
 */
export function onReconnect(socket: SignalingSocket, onBack: () => void): void {
  let restarting = false;
  socket.on('server:restarting', () => (restarting = true));
  socket.on('disconnect', (reason) => {
    if (reason !== 'io server disconnect' || !restarting) return;
    restarting = false;
    // Spread the herd of clients over a moment rather than all in the same millisecond.
    // Unless the session let go of the socket meanwhile (it ended): nobody would hold it then.
    setTimeout(() => socket.closedByClient || socket.connect(), 100 + Math.random() * 400);
  });
  socket.on('connect', () => onBack());
}

/**
 * Sends a last word (`agent:leave`, `host:stop`), then closes the socket once the server has it.
 * Closed at once, the packet could still be waiting in the socket's buffer (a transport upgrade,
 * a busy machine) and be lost with it: the other side would then wait out the server's grace
 * period for someone who already left. Closes anyway after `ms`. The socket's own listeners are
 * removed first: nothing that arrives meanwhile is for the caller any more.
 */
export function closeAfterLastWord(socket: SignalingSocket, word: 'agent:leave' | 'host:stop', ms = 2_000): void {
  socket.removeAllListeners();
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    clearTimeout(timer);
    socket.close();
  };
  const timer = setTimeout(close, ms);
  socket.emit(word, close);
}

/** Unwraps an `Ack`: its error becomes a CoviewError with the server's code and message. */
export function unwrap<T extends object>(ack: Ack<T>): T {
  if (!ack.ok) throw new CoviewError(ack.error.code, ack.error.message);
  return ack;
}

export async function request<T extends object>(send: (socket: Pick<SignalingSocket, 'emitWithAck'>) => Promise<Ack<T>>, socket: SignalingSocket): Promise<T> {
  try {
    return unwrap(await send(socket.timeout(REQUEST_TIMEOUT_MS)));
  } catch (cause) {
    if (cause instanceof CoviewError) throw cause;
    throw new CoviewError('ERR_SIGNALING_TIMEOUT', 'The Coview server did not answer in time. Try again.', { cause });
  }
}
