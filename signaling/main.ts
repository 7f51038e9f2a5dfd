import { createAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import { ConfigError, loadConfig } from './config.js';
import { createAppServer } from './http.js';
import { createLogger } from './log.js';
import { deadline, DEFAULT_RULES } from './rooms.js';
import { signAgentToken } from './security.js';
import { createRedisStore } from './store.js';

/**
 * `node dist/server.js`: configuration from the environment, JSON logs, Redis when REDIS_URL is
 * set, graceful shutdown on SIGTERM. `node dist/server.js agent-token --name Alex --hours 8`
 * prints a signed agent token (needs AGENT_TOKEN_SECRET).
 */

/** Long enough for sockets to hear the goodbye; short enough that an orchestrator never has to kill us. */
const SHUTDOWN_GRACE_MS = 5_000;

async function start(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`Coview cannot start: ${error.message}`);
    process.exit(1);
  }
  const logger = createLogger(config.logLevel);

  let redis: Redis | undefined;
  let extra = {};
  if (config.redisUrl) {
    // One connection for state and publishing, one for subscribing (a subscribed connection can do nothing else).
    redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 3 });
    const subscriber = redis.duplicate();
    redis.on('error', (error) => logger.error('redis error', { error }));
    subscriber.on('error', (error) => logger.error('redis subscriber error', { error }));
    const rules = { ...DEFAULT_RULES, ttlMs: config.roomTtlMs, graceMs: config.graceMs };
    extra = { store: createRedisStore(redis, { expireAt: (room) => deadline(room, Date.now(), rules) }), adapter: createAdapter(redis, subscriber) };
  }

  const app = createAppServer({
    roomTtlMs: config.roomTtlMs,
    graceMs: config.graceMs,
    iceServers: config.iceServers,
    serveDemo: config.serveDemo,
    ...(config.timeTravelMinutes !== undefined ? { timeTravelMinutes: config.timeTravelMinutes } : {}),
    allowedOrigins: config.allowedOrigins,
    agentTokenSecret: config.agentTokenSecret,
    turn: config.turn,
    iceTransportPolicy: config.iceTransportPolicy,
    trustProxy: config.trustProxy,
    limits: config.limits,
    relay: config.relay,
    logger,
    ...extra,
  });
  try {
    const { port } = await app.listen(config.port, config.host);
    logger.info('listening', { port, url: `http://localhost:${port}`, store: config.redisUrl ? 'redis' : 'memory' });
    // People who ran `npm start` want somewhere to click; log collectors keep the JSON line above.
    if (process.stdout.isTTY || process.env.npm_lifecycle_event === 'start') {
      const base = `http://localhost:${port}`;
      const lines = [config.serveDemo ? `  Demo shop (customer):  ${base}/` : null, `  Join page (agent):     ${base}/join`];
      process.stdout.write(`\nCoview is running.\n${lines.filter(Boolean).join('\n')}\n\n`);
    }
  } catch (error) {
    logger.error('cannot listen', { host: config.host, port: config.port, error });
    process.exit(1);
  }

  let stopping = false;
  const stop = (signal: string): void => {
    // A second Ctrl-C means "now".
    if (stopping) process.exit(1);
    stopping = true;
    logger.info('shutting down', { signal });
    setTimeout(() => process.exit(0), SHUTDOWN_GRACE_MS).unref();
    app
      .drain()
      .then(() => app.close())
      .then(() => redis?.quit())
      .then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error('did not close cleanly', { error });
          process.exit(1);
        },
      );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

function mintToken(args: string[]): void {
  const secret = process.env.AGENT_TOKEN_SECRET;
  if (!secret) {
    console.error('Set AGENT_TOKEN_SECRET to the same value as the server.');
    process.exit(1);
  }
  const option = (name: string) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const hours = Number(option('hours') ?? 8);
  const name = option('name');
  console.log(signAgentToken(secret, { exp: Math.floor(Date.now() / 1000 + hours * 3600), ...(name ? { name } : {}) }));
}

if (process.argv[2] === 'agent-token') mintToken(process.argv.slice(3));
else void start();
