import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const FIXTURES = new URL('../fixtures/html/', import.meta.url);
const ASSETS = new URL('../fixtures/assets/', import.meta.url);
const DIST_TEST = new URL('../../dist/test/', import.meta.url);

/** The cookie a customer's browser holds after "logging in" to the fixture site. */
export const SESSION_COOKIE = { name: 'fixture_session', value: 'logged-in' };

/** The token a signed picture URL carries (`/signed/<file>?token=…`), like a CDN's signed URL. */
export const SIGNED_TOKEN = 'abc123SignedPictureToken';

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  png: 'image/png',
  woff2: 'font/woff2',
  wav: 'audio/wav',
  svg: 'image/svg+xml',
};

/**
 * Serves tests/fixtures/html/ from its own origin, like a customer's site that embeds the widget
 * from the Coview server: `{{COVIEW_SERVER}}` in a fixture becomes that server's URL, and
 * `{{DATA_SERVER}}` the `?server=` query parameter (default: the same URL).
 *
 * `/media/<file>` serves tests/fixtures/assets/ to anyone; `/private/<file>` serves tests/fixtures/assets/ only to a browser carrying the session cookie,
 * like images and fonts behind a login; `/signed/<file>` serves them only with `?token=` SIGNED_TOKEN, like a
 * signed CDN URL; `/test/<file>` serves test-only bundles from dist/test/.
 */
export async function startFixtureServer(coviewServer: string) {
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const match = /^\/(?:(private|signed|test|media)\/)?([\w-]+)\.(html|js|css|png|woff2|wav|svg)$/.exec(url.pathname);
    if (!match) return void res.writeHead(404).end('not found');
    const [, area, name, ext] = match as unknown as [string, string | undefined, string, string];
    try {
      if (area === 'private') {
        const cookies = req.headers.cookie ?? '';
        if (!cookies.split(/;\s*/).includes(`${SESSION_COOKIE.name}=${SESSION_COOKIE.value}`)) return void res.writeHead(403).end('log in first');
        const body = await readFile(new URL(`${name}.${ext}`, ASSETS));
        return void res.writeHead(200, { 'content-type': TYPES[ext]!, 'cache-control': 'no-store' }).end(body);
      }
      if (area === 'signed') {
        if (url.searchParams.get('token') !== SIGNED_TOKEN) return void res.writeHead(403).end('bad signature');
        return void res.writeHead(200, { 'content-type': TYPES[ext]!, 'cache-control': 'no-store' }).end(await readFile(new URL(`${name}.${ext}`, ASSETS)));
      }
      if (area === 'media') {
        return void res.writeHead(200, { 'content-type': TYPES[ext]! }).end(await readFile(new URL(`${name}.${ext}`, ASSETS)));
      }
      if (area === 'test') {
        return void res.writeHead(200, { 'content-type': TYPES[ext]! }).end(await readFile(new URL(`${name}.${ext}`, DIST_TEST)));
      }
      // Pictures are CORS-readable, like a CDN's: the agent's recording export can inline them.
      if (ext === 'svg') return void res.writeHead(200, { 'content-type': TYPES[ext]!, 'access-control-allow-origin': '*' }).end(await readFile(new URL(`${name}.${ext}`, FIXTURES)));
      const text = await readFile(new URL(`${name}.${ext}`, FIXTURES), 'utf8');
      // `?server=` lets a test point the widget's data-server somewhere else than where it loads from.
      const body = text.replaceAll('{{COVIEW_SERVER}}', coviewServer).replaceAll('{{DATA_SERVER}}', url.searchParams.get('server') ?? coviewServer).replaceAll('{{SIGNED_TOKEN}}', SIGNED_TOKEN);
      res.writeHead(200, { 'content-type': TYPES[ext]! }).end(body);
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
