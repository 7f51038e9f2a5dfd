import type { startServer } from './server.js';

type AppServer = Awaited<ReturnType<typeof startServer>>;

/** Binary as Latin-1 (so any plaintext in it would show), objects as their keys and values. */
function asText(value: unknown): string {
  if (Buffer.isBuffer(value)) return value.toString('latin1');
  if (value instanceof ArrayBuffer) return Buffer.from(value).toString('latin1');
  if (ArrayBuffer.isView(value)) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('latin1');
  if (Array.isArray(value)) return value.map(asText).join(' ');
  if (value && typeof value === 'object') return Object.entries(value).map(([k, v]) => `${k}=${asText(v)}`).join(' ');
  return String(value);
}

/**
 * Everything `server` receives, as text, for searching: each HTTP request (line and headers,
 * WebSocket upgrades included), each Socket.IO handshake (query, auth, headers), each raw
 * Engine.IO packet (events with their acks, over WebSocket or polling; binary attachments as
 * Latin-1), each event with its arguments (`EVENT name …`), and each relay frame's bytes decoded
 * from its base64 text, as Latin-1 (`RELAY …`): a frame sent unsealed would show its page text there.
 */
export function recordEverythingReceived(server: AppServer): string[] {
  const log: string[] = [];
  const http = server.app.httpServer;
  http.on('request', (req) => log.push(`${req.method} ${req.url} ${JSON.stringify(req.headers)}`));
  http.on('upgrade', (req) => log.push(`UPGRADE ${req.url} ${JSON.stringify(req.headers)}`));
  server.app.io.engine.on('connection', (raw: { on(event: 'packet', listener: (packet: { type: string; data?: unknown }) => void): void }) => {
    raw.on('packet', (packet) => log.push(`PACKET ${packet.type} ${asText(packet.data)}`));
  });
  server.app.io.on('connection', (socket) => {
    log.push(`HANDSHAKE ${JSON.stringify({ query: socket.handshake.query, auth: socket.handshake.auth, headers: socket.handshake.headers })}`);
    socket.onAny((event: string, ...args: unknown[]) => {
      log.push(`EVENT ${event} ${asText(args)}`);
      const data = (args[0] as { data?: unknown } | undefined)?.data;
      if (event === 'relay' && typeof data === 'string') log.push(`RELAY ${Buffer.from(data, 'base64').toString('latin1')}`);
    });
  });
  return log;
}
