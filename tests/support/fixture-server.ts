import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const FIXTURES = new URL('../fixtures/html/', import.meta.url);

/**
 * Serves tests/fixtures/html/*.html from its own origin, like a customer's site that embeds the
 * widget from the Coview server: `{{COVIEW_SERVER}}` in a fixture becomes that server's URL, and
 * `{{DATA_SERVER}}` the `?server=` query parameter (default: the same URL).
 */
export async function startFixtureServer(coviewServer: string) {
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const name = url.pathname.slice(1);
    // Pictures are CORS-readable, like a CDN's: the agent's recording export can inline them.
    if (/^[\w-]+\.svg$/.test(name)) {
      const svg = await readFile(new URL(name, FIXTURES)).catch(() => null);
      if (!svg) return void res.writeHead(404).end('not found');
      return void res.writeHead(200, { 'content-type': 'image/svg+xml', 'access-control-allow-origin': '*' }).end(svg);
    }
    if (!/^[\w-]+\.html$/.test(name)) return void res.writeHead(404).end('not found');
    try {
      const html = await readFile(new URL(name, FIXTURES), 'utf8');
      // `?server=` lets a test point the widget's data-server somewhere else than where it loads from.
      const page = html.replaceAll('{{COVIEW_SERVER}}', coviewServer).replaceAll('{{DATA_SERVER}}', url.searchParams.get('server') ?? coviewServer);
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page);
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
