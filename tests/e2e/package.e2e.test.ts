import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../support/browser.js';
import { freePort, waitForLine } from '../support/processes.js';
import { copyDependencies } from '../support/offline-install.js';

/**
 * The npm package as a site's developers get it: `npm pack`, the tarball installed into a scratch
 * project (offline), a strict TypeScript consumer compiled against its types, the README's server
 * examples run from it, and `npx coview-server`.
 */

const run = promisify(execFile);
const ROOT = new URL('../../', import.meta.url).pathname;
const REPO_MODULES = join(ROOT, 'node_modules');
const manifest = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string; dependencies: Record<string, string> };

let dir: string;
let app: string;
let packed: { files: { path: string }[]; filename: string };
const children: ChildProcess[] = [];
let browser: Browser | undefined;
let site: Server | undefined;

/** The README's example named `name`: the code block after its `<!-- example: name … -->` line. */
async function readmeExample(name: string): Promise<string> {
  const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
  const match = new RegExp(`<!-- example: ${name}\\b[^>]*-->\\s*\`\`\`js\\n([\\s\\S]*?)\`\`\``).exec(readme);
  if (!match) throw new Error(`README has no example "${name}"`);
  return match[1]!;
}

async function get(url: string): Promise<{ status: number; type: string; body: string }> {
  const response = await fetch(url);
  return { status: response.status, type: response.headers.get('content-type') ?? '', body: await response.text() };
}

/** Stops a child and, when startInApp made it a group leader, everything it started. */
function stopGroup(child: ChildProcess): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
  } catch {
    // Not a group leader (the examples run straight from node), or already gone.
    child.kill('SIGKILL');
  }
}

/** Runs `args` in the scratch project until it logs a line `ready` accepts; the test's afterAll stops it. */
async function startInApp(command: string, args: string[], env: Record<string, string>, ready: (line: string) => boolean): Promise<string> {
  // A process group of its own: `npx` runs the bin as a child of its own, which killing npx alone
  // would leave running after the suite (a server per test run, found on this machine).
  const child = spawn(command, args, { cwd: app, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  children.push(child);
  return waitForLine(child, ready, `${command} ${args.join(' ')}`, 20_000);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'coview-pack-'));
  app = join(dir, 'app');
  // `prepack` builds the bundles and the .d.ts, as it does for `npm publish`.
  const { stdout } = await run('npm', ['pack', '--json', '--offline', '--pack-destination', dir], { cwd: ROOT, maxBuffer: 16 << 20 });
  packed = (JSON.parse(stdout) as (typeof packed)[])[0]!;
  await mkdir(join(app, 'node_modules'), { recursive: true });
  // What the consumer brings itself: express for the README's example, Node's types for the server code.
  const own = ['express', '@types/node'];
  const versions = Object.fromEntries(await Promise.all(own.map(async (name) => [name, (JSON.parse(await readFile(join(REPO_MODULES, name, 'package.json'), 'utf8')) as { version: string }).version])));
  await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'scratch-site', private: true, type: 'module', dependencies: versions }));
  copyDependencies(REPO_MODULES, join(app, 'node_modules'), [...Object.keys(manifest.dependencies), ...own]);
  await run('npm', ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', join(dir, packed.filename)], { cwd: app });
}, 240_000);

afterAll(async () => {
  await browser?.close();
  site?.close();
  for (const child of children) stopGroup(child);
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the npm package', () => {
  it('ships the bundles, the server, the join page and the types, and nothing of the repository besides', () => {
    const files = packed.files.map((file) => file.path);
    for (const file of ['package.json', 'dist/coview.js', 'dist/widget.js', 'dist/widget-core.js', 'dist/join.js', 'dist/join-text/de.json', 'dist/join-text/ar.json', 'dist/widget-text/de.json', 'dist/widget-text/ar.json', 'dist/server.js', 'dist/server-api.js', 'dist/types/widget/module.d.ts', 'dist/types/signaling/index.d.ts', 'demo/join.html']) {
      expect(files).toContain(file);
    }
    expect(files.filter((file) => /^(tests|bench|scripts|widget|signaling|dist\/test)\//.test(file))).toEqual([]);
  });

  it('installs offline with only its server dependencies, and exports types first', async () => {
    const installed = JSON.parse(await readFile(join(app, 'node_modules/coview/package.json'), 'utf8')) as { private?: boolean; exports: Record<string, Record<string, string>> };
    expect(installed.private).toBeUndefined();
    for (const entry of ['.', './server']) expect(Object.keys(installed.exports[entry]!)[0]).toBe('types');
  });

  it('a strict TypeScript consumer compiles against the types, with bundler and with Node resolution, and a wrong call does not', async () => {
    await writeFile(
      join(app, 'consumer.ts'),
      `import { setup, start, stop, invite, subscribe, status, version, CoviewError, type CoviewApi, type HostState, type StartOptions } from 'coview';
import { createAppServer, createSignalingServer, type AppServer } from 'coview/server';
import { createServer } from 'node:http';

export function browserSide(): void {
  const api: CoviewApi = setup({ server: 'https://coview.example.com', maskSelector: '.pii', locale: 'de', theme: { accent: '#0a0' } });
  const options: StartOptions = { onJoinRequest: (agent) => agent.name === 'Alex', maskAllInputs: true };
  const code: Promise<string> = start(options).then((started) => started.code);
  const more: Promise<{ code: string }> = invite();
  const off: () => void = subscribe((state: HostState) => {
    if (state.status === 'sharing') console.log(state.agents.map((agent) => agent.name), state.control);
  });
  const now: 'idle' | 'starting' | 'waiting' | 'asking' | 'connecting' | 'sharing' | 'reconnecting' | 'error' = status();
  const same: CoviewApi | undefined = window.Coview;
  void [api, code, more, off, now, same, version.length, stop(), new CoviewError('ERR_BAD_OPTIONS', 'x').code];
  // @ts-expect-error misspelt option
  void start({ maskSelectr: '.pii' });
  // @ts-expect-error status is not a number
  const wrong: number = status();
  void wrong;
}

export function serverSide(): AppServer {
  const server = createServer();
  const coview: AppServer = createAppServer({ httpServer: server, serveDemo: false, allowedOrigins: ['https://shop.example.com'] });
  server.on('request', (req, res) => coview.handle(req, res, () => res.end('mine')));
  createSignalingServer(createServer(), { roomTtlMs: 60_000 }).io.on('connection', () => undefined);
  // @ts-expect-error no such option
  createAppServer({ serveDemos: false });
  return coview;
}
`,
    );
    const tsc = join(REPO_MODULES, 'typescript/bin/tsc');
    const common = ['--noEmit', '--strict', '--skipLibCheck', 'false', '--target', 'es2022', '--lib', 'es2022,dom', '--types', 'node', 'consumer.ts'];
    const resolutions = [['--module', 'esnext', '--moduleResolution', 'bundler'], ['--module', 'nodenext']];
    const results = await Promise.all(
      resolutions.map((resolution) =>
        run(process.execPath, [tsc, ...resolution, ...common], { cwd: app }).then(
          () => 'compiled',
          (error: { stdout: string }) => error.stdout,
        ),
      ),
    );
    expect(results).toEqual(['compiled', 'compiled']);
    // Seconds of honest CPU each (tsc loading the DOM and Node types); several times that on a busy machine.
  }, 180_000);

  it('imports in Node without a page (server-side rendering), and says so when called there', async () => {
    const { stdout } = await run(
      process.execPath,
      ['--input-type=module', '-e', `import { start, version } from 'coview'; start().catch((error) => console.log(JSON.stringify({ version, code: error.code })));`],
      { cwd: app },
    );
    expect(JSON.parse(stdout)).toEqual({ version: manifest.version, code: 'ERR_BAD_OPTIONS' });
  });

  it('npx coview-server serves the widget, the join page and signaling', async () => {
    const line = await startInApp('npx', ['--offline', 'coview-server'], { PORT: '0', HOST: '127.0.0.1', SERVE_DEMO: 'false' }, (l) => l.includes('"msg":"listening"'));
    const base = `http://127.0.0.1:${(JSON.parse(line) as { port: number }).port}`;
    const widget = await get(`${base}/widget.js`);
    expect(widget.status).toBe(200);
    expect(widget.type).toContain('javascript');
    expect(widget.body).toContain(manifest.version);
    // The rest of the widget, which widget.js loads when the customer shares, with the same headers.
    const core = await get(`${base}/widget-core.js`);
    expect(core.status).toBe(200);
    expect(core.type).toBe(widget.type);
    const join = await get(`${base}/join`);
    expect(join.status).toBe(200);
    expect(join.body).toContain('/join.js');
    // The join page's German texts, which join.js fetches for a German agent, come with the package.
    const german = await get(`${base}/join-text/de.json`);
    expect(german.status).toBe(200);
    expect(german.type).toBe('application/json; charset=utf-8');
    expect((JSON.parse(german.body) as { title: string }).title).toBe('Bildschirm eines Kunden ansehen');
    // So are the widget's, which widget-core.js fetches for a German customer.
    const widgetGerman = await get(`${base}/widget-text/de.json`);
    expect(widgetGerman.status).toBe(200);
    expect(widgetGerman.type).toBe('application/json; charset=utf-8');
    expect((JSON.parse(widgetGerman.body) as { share: string }).share).toBe('Bildschirm teilen');
    expect((await get(`${base}/socket.io/?EIO=4&transport=polling`)).body).toMatch(/^0\{"sid":/);
  });

  it('a site that imports it (served as a bundler would) gets one widget, the same window.Coview, and a share code', async () => {
    const line = await startInApp('npx', ['--offline', 'coview-server'], { PORT: '0', HOST: '127.0.0.1', SERVE_DEMO: 'false' }, (l) => l.includes('"msg":"listening"'));
    const coviewServer = `http://127.0.0.1:${(JSON.parse(line) as { port: number }).port}`;
    const module = await readFile(join(app, 'node_modules/coview/dist/coview.js'));
    // The site's own origin: its page, and the package's module where its bundle would be.
    site = createServer((req, res) => {
      if (req.url === '/assets/coview.js') return res.writeHead(200, { 'Content-Type': 'text/javascript' }).end(module);
      res.writeHead(200, { 'Content-Type': 'text/html' }).end(`<!doctype html><html lang="en"><body><h1>A site</h1><script type="module">
        import { setup, start, subscribe, status } from '/assets/coview.js';
        const api = setup({ server: ${JSON.stringify(coviewServer)} });
        const seen = [];
        subscribe((state) => seen.push(state.status));
        window.result = start({ onJoinRequest: () => true }).then(({ code }) => ({ code, seen, status: status(), same: api === window.Coview && setup() === api }));
      </script></body></html>`);
    });
    await new Promise<void>((resolve) => site!.listen(0, '127.0.0.1', resolve));
    browser = await launchChromium();
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${(site.address() as { port: number }).port}/`);
    const result = await page.evaluate(() => (window as unknown as { result: Promise<{ code: string; seen: string[]; status: string; same: boolean }> }).result);
    expect(result.code).toMatch(/^\w{3}-\w{3}-\w{3}$/);
    expect(result).toMatchObject({ status: 'waiting', same: true });
    expect(result.seen).toEqual(expect.arrayContaining(['idle', 'waiting']));
    expect(await page.locator('[data-coview-widget]').count()).toBe(1);
    await expect.poll(() => page.locator('[data-coview-widget]').getAttribute('data-coview-host-state')).toBe('waiting');
  });

  for (const example of ['node-http', 'express']) {
    it(`the README's ${example} example mounts Coview beside the app's own routes`, async () => {
      await writeFile(join(app, `${example}.mjs`), await readmeExample(example));
      const port = await freePort();
      const base = `http://127.0.0.1:${port}`;
      const child = spawn(process.execPath, [`${example}.mjs`], { cwd: app, env: { ...process.env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
      children.push(child);
      // Up once it answers (the example prints nothing).
      let own = { status: 0, type: '', body: '' };
      for (let tries = 0; tries < 200 && own.status === 0; tries++) {
        own = await get(`${base}/`).catch(async () => {
          await new Promise((resolve) => setTimeout(resolve, 50));
          return own;
        });
      }
      expect(own).toMatchObject({ status: 200, body: 'my own app' });
      expect((await get(`${base}/widget.js`)).body).toContain(manifest.version);
      expect((await get(`${base}/join`)).body).toContain('/join.js');
      expect((await get(`${base}/healthz`)).body).toBe('ok');
      expect((await get(`${base}/socket.io/?EIO=4&transport=polling`)).body).toMatch(/^0\{"sid":/);
      child.kill('SIGTERM');
    });
  }
});
