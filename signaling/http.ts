import { readFile, readdir } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname } from 'node:path';
import { TEXT_FOLDERS } from '../widget/i18n/text-source.js';
import { LOCALES } from '../widget/i18n/translate.js';
import { createSignalingServer, type SignalingIo, type SignalingOptions } from './server.js';
import type { Metrics } from './metrics.js';
import type { RoomStore } from './store.js';

/**
 * The one process a self-hoster runs: the widget and join bundles, the join page, the demo, a
 * health check, and the signaling server on the same port.
 *
 * Files are looked up from fixed names (or, for the demo, from a listing of the demo folder):
 * a request path is only ever compared against those names, never joined onto a directory, so
 * no request can reach outside what is listed here.
 */

export interface AppServerOptions extends SignalingOptions {
  /** Serve the demo shop at `/` and `/demo/*`. Default true. */
  serveDemo?: boolean;
  /**
   * Mount Coview into this existing server (Express, Fastify, plain Node) instead of making one:
   * Socket.IO attaches to it and `handle` answers Coview's paths. Its own request listener must be
   * on it before this call, since Socket.IO passes everything outside `/socket.io/` on to the
   * listeners it finds there.
   */
  httpServer?: HttpServer;
  /** Minutes the join page's time travel keeps at full detail. Default: the join page's own (60). */
  timeTravelMinutes?: number;
  /** Project root holding dist/ and demo/. Default: the folder above this file (also right for dist/server.js). */
  root?: URL;
}

/** What `handle` calls for a path that is not Coview's. */
export type NextHandler = (error?: unknown) => void;

export interface AppServer {
  httpServer: HttpServer;
  /**
   * A Node / Connect / Express request handler: answers Coview's paths (`/widget.js`, `/widget-core.js`, `/join.js`,
   * `/join-text/<locale>.json`, `/widget-text/<locale>.json`, `/join`, `/healthz`, `/metrics`, the favicon, and the demo when served) and calls `next` for any
   * other path, or answers 404 without `next`.
   */
  handle(req: IncomingMessage, res: ServerResponse, next?: NextHandler): void;
  io: SignalingIo;
  store: RoomStore;
  metrics: Metrics;
  /** Resolves once listening; `url` uses localhost when bound to every interface. */
  listen(port: number, host?: string): Promise<{ url: string; port: number }>;
  /** Graceful shutdown: fail the health check, tell every client to reconnect elsewhere, then close. */
  drain(): Promise<void>;
  close(): Promise<void>;
}

const TEXT = 'text/plain; charset=utf-8';
const JS = 'application/javascript; charset=utf-8';
const JSON_TYPE = 'application/json; charset=utf-8';

const DEMO_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': JS,
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

/** Coview's icon: two overlapping screens, in the join page's blue. */
const FAVICON_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect x="2" y="5" width="20" height="15" rx="3" fill="#1d4ed8"/><rect x="10" y="12" width="20" height="15" rx="3" fill="#0f172a" stroke="#fff" stroke-width="2"/></svg>';
/** How long close() lets connections still in use finish before it ends them. */
const CLOSE_GRACE_MS = 5_000;
/** The bundles are fetched cross-origin by the customer's site and must never be stale after a deploy. */
const BUNDLE_HEADERS = { 'Cache-Control': 'no-cache', 'Access-Control-Allow-Origin': '*' };

interface Reply {
  status: number;
  type: string;
  body: string | Buffer;
  headers?: Record<string, string>;
}

export function createAppServer(options: AppServerOptions = {}): AppServer {
  const { serveDemo = true, root = new URL('..', import.meta.url), httpServer: mountOn, timeTravelMinutes, ...signalingOptions } = options;
  const distDir = new URL('dist/', root);
  const demoDir = new URL('demo/', root);

  const bundles = new Map<string, { file: URL; type: string }>([
    ['/widget.js', { file: new URL('widget.js', distDir), type: JS }],
    // The rest of the widget, which widget.js loads when the customer shares (same headers and caching).
    ['/widget-core.js', { file: new URL('widget-core.js', distDir), type: JS }],
    ['/join.js', { file: new URL('join.js', distDir), type: JS }],
    // The texts of the join page and the widget in each language but English (which join.js and
    // widget-core.js have built in), fetched by each for its language.
    ...TEXT_FOLDERS.flatMap((folder) =>
      LOCALES.filter((locale) => locale !== 'en').map((locale) => [`/${folder}/${locale}.json`, { file: new URL(`${folder}/${locale}.json`, distDir), type: JSON_TYPE }] as const),
    ),
  ]);

  let draining = false;

  /** Whether `path` is one of Coview's, decided without I/O so `handle` can pass the others on at once. */
  function isOurs(path: string): boolean {
    return (
      path === '/healthz' ||
      path === '/metrics' ||
      bundles.has(path) ||
      path === '/favicon.ico' ||
      path === '/favicon.svg' ||
      path === '/join' ||
      path === '/join/' ||
      (serveDemo && (path === '/' || path.startsWith('/demo/')))
    );
  }

  async function route(path: string): Promise<Reply> {
    // A draining process says so, so the load balancer stops sending it new clients.
    if (path === '/healthz') return draining ? { status: 503, type: TEXT, body: 'draining' } : { status: 200, type: TEXT, body: 'ok' };
    if (path === '/metrics') {
      const body = await signaling.metrics.registry.metrics();
      return { status: 200, type: signaling.metrics.registry.contentType, body, headers: { 'Cache-Control': 'no-store' } };
    }
    const bundle = bundles.get(path);
    if (bundle) {
      const body = await readIfExists(bundle.file);
      if (!body) return { status: 503, type: TEXT, body: 'Run npm run build first', headers: BUNDLE_HEADERS };
      return { status: 200, type: bundle.type, body, headers: BUNDLE_HEADERS };
    }
    // Browsers ask for /favicon.ico on their own: answer with the icon rather than a 404.
    if (path === '/favicon.ico' || path === '/favicon.svg') return { status: 200, type: 'image/svg+xml', body: FAVICON_SVG, headers: { 'Cache-Control': 'max-age=86400' } };
    if (path === '/join' || path === '/join/') return joinPage();
    if (serveDemo && path === '/') return demoFile('index.html');
    if (serveDemo && path.startsWith('/demo/')) return demoFile(decodeName(path.slice('/demo/'.length)));
    return notFound();
  }

  /** The join page, told the time-travel window when one is configured (widget/join.ts reads it). */
  async function joinPage(): Promise<Reply> {
    const reply = await demoFile('join.html');
    if (timeTravelMinutes === undefined || reply.status !== 200) return reply;
    return { ...reply, body: reply.body.toString().replace(/<html\b/i, `<html data-coview-history-minutes="${Math.floor(timeTravelMinutes)}"`) };
  }

  async function demoFile(name: string | null): Promise<Reply> {
    const type = name === null ? undefined : DEMO_TYPES[extname(name).toLowerCase()];
    if (name === null || type === undefined || !(await listDemo()).has(name)) return notFound();
    // Encoded so a listed name containing `:`, `#` or `%` stays a file name, not URL syntax.
    const body = await readIfExists(new URL(encodeURIComponent(name), demoDir));
    return body ? { status: 200, type, body } : notFound();
  }

  /** Plain files directly in demo/, read on each request so edits show up without a restart. */
  async function listDemo(): Promise<Set<string>> {
    try {
      const entries = await readdir(demoDir, { withFileTypes: true });
      return new Set(entries.filter((entry) => entry.isFile()).map((entry) => entry.name));
    } catch {
      return new Set();
    }
  }

  function handle(req: IncomingMessage, res: ServerResponse, next?: NextHandler): void {
    // Only the path matters; no URL parsing, so `//host/...` tricks have nothing to act on.
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (next && !isOurs(path)) return next();
    void onRequest(req, res, path);
  }

  async function onRequest(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    let reply: Reply;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      reply = { status: 405, type: TEXT, body: 'Method not allowed', headers: { Allow: 'GET, HEAD' } };
    } else {
      try {
        reply = await route(path);
      } catch (error) {
        (signalingOptions.logger ?? console).error('request failed', { error });
        reply = { status: 500, type: TEXT, body: 'Internal error' };
      }
    }
    const body = typeof reply.body === 'string' ? Buffer.from(reply.body) : reply.body;
    res.writeHead(reply.status, {
      'Content-Type': reply.type,
      'Content-Length': body.length,
      'X-Content-Type-Options': 'nosniff',
      ...reply.headers,
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  // The request handler goes on first: Socket.IO wraps existing handlers and passes them
  // everything outside /socket.io/.
  const httpServer = mountOn ?? createServer((req, res) => handle(req, res));
  const signaling = createSignalingServer(httpServer, {
    ...signalingOptions,
    onDrain: () => {
      draining = true;
      signalingOptions.onDrain?.();
    },
  });
  let closing: Promise<void> | undefined;

  return {
    httpServer,
    handle,
    io: signaling.io,
    store: signaling.store,
    metrics: signaling.metrics,
    drain: () => signaling.drain(),
    listen(port, host = '127.0.0.1') {
      return new Promise((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen(port, host, () => {
          httpServer.off('error', reject);
          const actual = (httpServer.address() as AddressInfo).port;
          resolve({ url: `http://${urlHost(host)}:${actual}`, port: actual });
        });
      });
    },
    close() {
      closing ??= (async () => {
        const done = signaling.close();
        // Idle keep-alive connections would otherwise hold the http server open, and one still busy
        // (a long poll, a slow download, a client that keeps it open) must not hold a shutdown forever.
        httpServer.closeIdleConnections();
        const force = setTimeout(() => httpServer.closeAllConnections(), CLOSE_GRACE_MS);
        await done;
        clearTimeout(force);
      })();
      return closing;
    },
  };
}

function notFound(): Reply {
  return { status: 404, type: TEXT, body: 'Not found' };
}

function decodeName(raw: string): string | null {
  try {
    return decodeURIComponent(raw);
  } catch {
    return null;
  }
}

async function readIfExists(file: URL): Promise<Buffer | null> {
  try {
    return await readFile(file);
  } catch (error) {
    if (isMissing(error)) return null;
    throw error;
  }
}

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR';
}

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return 'localhost';
  return host.includes(':') ? `[${host}]` : host;
}
