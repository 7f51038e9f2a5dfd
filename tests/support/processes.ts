import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';

/**
 * Real processes for tests: redis-server, coturn and Coview servers, each on a free loopback port,
 * each stopped (and its files removed) by the returned `stop`.
 */

const ROOT = new URL('../../', import.meta.url).pathname;

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Resolves with the first line of `proc`'s output that `match` accepts; rejects (and kills it) if it is not ready in time. */
export async function waitForLine(proc: ChildProcess, match: (line: string) => boolean, what: string, timeoutMs = 15_000): Promise<string> {
  try {
    return await firstLine(proc, match, what, timeoutMs);
  } catch (error) {
    proc.kill('SIGKILL');
    throw error;
  }
}

function firstLine(proc: ChildProcess, match: (line: string) => boolean, what: string, timeoutMs = 15_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => done(new Error(`${what} did not start within ${timeoutMs} ms:\n${seen}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      seen += chunk.toString();
      const line = seen.split('\n').find(match);
      if (line) done(undefined, line);
    };
    const onExit = (code: number | null) => done(new Error(`${what} exited (${code}) before it was ready:\n${seen}`));
    function done(error?: Error, line?: string) {
      clearTimeout(timer);
      proc.stdout?.off('data', onData);
      proc.stderr?.off('data', onData);
      proc.off('exit', onExit);
      if (error) reject(error);
      else resolve(line!);
    }
    proc.stdout?.on('data', onData);
    proc.stderr?.on('data', onData);
    proc.once('exit', onExit);
  });
}

function stopper(proc: ChildProcess, cleanup?: () => Promise<void>) {
  return async (signal: NodeJS.Signals = 'SIGTERM'): Promise<void> => {
    if (proc.exitCode === null && proc.signalCode === null) {
      const exited = new Promise((resolve) => proc.once('exit', resolve));
      proc.kill(signal);
      const timer = setTimeout(() => proc.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    await cleanup?.();
  };
}

export interface RunningRedis {
  url: string;
  port: number;
  stop(): Promise<void>;
}

export async function startRedis(): Promise<RunningRedis> {
  const port = await freePort();
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
  await waitForLine(proc, (line) => line.includes('Ready to accept connections'), 'redis-server');
  return { url: `redis://127.0.0.1:${port}`, port, stop: stopper(proc) };
}

export interface RunningCoview {
  url: string;
  port: number;
  proc: ChildProcess;
  /** Every JSON log line so far. */
  logs: Record<string, unknown>[];
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * `signaling/main.ts` in its own process, configured by environment variables: through tsx, or
 * with `built`, the bundle `npm start` runs (dist/server.js, which must be built), for benches
 * that measure the server's own CPU (tsx's loader thread alone costs a quarter of a core percent).
 */
export async function startCoviewProcess(env: Record<string, string> = {}, port = 0, { built = false } = {}): Promise<RunningCoview> {
  const proc = spawn(process.execPath, built ? ['dist/server.js'] : ['--import', 'tsx', 'signaling/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, HOST: '127.0.0.1', PORT: String(port), SERVE_DEMO: 'false', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Record<string, unknown>[] = [];
  let buffered = '';
  proc.stdout!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const line of lines) {
      try {
        logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        logs.push({ raw: line });
      }
    }
  });
  const line = await waitForLine(proc, (l) => l.includes('"msg":"listening"'), 'coview server');
  const actual = (JSON.parse(line) as { port: number }).port;
  return { url: `http://127.0.0.1:${actual}`, port: actual, proc, logs, stop: stopper(proc) };
}

export interface RunningTurn {
  host: string;
  port: number;
  secret: string;
  urls: string[];
  /** coturn's log, for a failing test to show. */
  logs: string[];
  stop(): Promise<void>;
}

/** coturn with TURN REST credentials (use-auth-secret), relaying on loopback only. */
export async function startCoturn(): Promise<RunningTurn> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'coview-turn-'));
  const secret = randomBytes(24).toString('base64url');
  const config = [
    `listening-port=${port}`,
    'listening-ip=127.0.0.1',
    'relay-ip=127.0.0.1',
    'use-auth-secret',
    `static-auth-secret=${secret}`,
    'realm=coview.test',
    'fingerprint',
    'no-tls',
    'no-dtls',
    'no-cli',
    'allow-loopback-peers',
    `pidfile=${join(dir, 'turn.pid')}`,
    `userdb=${join(dir, 'turn.db')}`,
    'log-file=stdout',
    'simple-log',
    'verbose',
  ].join('\n');
  await writeFile(join(dir, 'turnserver.conf'), config);
  const proc = spawn('turnserver', ['-c', join(dir, 'turnserver.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: string[] = [];
  proc.stdout!.on('data', (chunk: Buffer) => logs.push(chunk.toString()));
  await waitForLine(proc, (l) => /(listener opened on|Total General servers|IPv4. UDP listener opened)/i.test(l), 'coturn');
  return { host: '127.0.0.1', port, secret, urls: [`turn:127.0.0.1:${port}?transport=udp`], logs, stop: stopper(proc, () => rm(dir, { recursive: true, force: true })) };
}
