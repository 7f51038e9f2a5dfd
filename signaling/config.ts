import { MAX_AGENTS, MAX_RELAY_FRAME_BYTES, RELAY_WINDOW_FRAMES, type IceServer } from '../widget/protocol/index.js';
import type { LogLevel } from './log.js';
import type { Limits, RelayLimits, TurnOptions } from './server.js';

/**
 * Server configuration from environment variables. Every error names the variable and says what
 * a valid value looks like, because the person reading it is deploying, not debugging.
 */
export interface CoviewConfig {
  port: number;
  host: string;
  roomTtlMs: number;
  iceServers: IceServer[];
  serveDemo: boolean;
  /** Share room state and reach sockets on other processes through Redis. */
  redisUrl: string | undefined;
  allowedOrigins: string[];
  agentTokenSecret: string | undefined;
  turn: TurnOptions | undefined;
  iceTransportPolicy: 'all' | 'relay' | undefined;
  trustProxy: boolean;
  graceMs: number;
  limits: Partial<Limits>;
  /** The encrypted relay for sessions without a peer connection; `enabled: false` is RELAY_FALLBACK=false. */
  relay: RelayLimits;
  logLevel: LogLevel;
  /** Minutes of the session the agent's time travel keeps at full detail (older history is thinned). */
  timeTravelMinutes: number | undefined;
}

export type Env = Readonly<Record<string, string | undefined>>;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(message);
  }
}

const MAX_TTL_SECONDS = 7 * 24 * 3600;
/**
 * A room's relay buffer holds the full windows (16 sealed frames of up to 17 KiB each,
 * transport/relay.ts) of the host's links to every agent of a full room, and one agent's link to
 * the host: 1360 KiB. Below that, four agents' snapshots overflow it, a frame is refused, the link
 * renewed with a fresh snapshot, which overflows again.
 */
export const MIN_RELAY_BUFFER_BYTES = (MAX_AGENTS + 1) * RELAY_WINDOW_FRAMES * MAX_RELAY_FRAME_BYTES;

export function loadConfig(env: Env = process.env): CoviewConfig {
  return {
    port: integer(env, 'PORT', 8080, 0, 65_535, 'a port number from 0 to 65535'),
    host: value(env, 'HOST') ?? '0.0.0.0',
    roomTtlMs: integer(env, 'ROOM_TTL_SECONDS', 600, 1, MAX_TTL_SECONDS, `a whole number of seconds from 1 to ${MAX_TTL_SECONDS}`) * 1000,
    iceServers: iceServers(value(env, 'ICE_SERVERS')),
    serveDemo: flag(env, 'SERVE_DEMO', true),
    redisUrl: redisUrl(value(env, 'REDIS_URL')),
    allowedOrigins: origins(value(env, 'ALLOWED_ORIGINS')),
    agentTokenSecret: secret(env, 'AGENT_TOKEN_SECRET'),
    turn: turn(env),
    iceTransportPolicy: oneOf(env, 'ICE_TRANSPORT_POLICY', ['all', 'relay'] as const),
    trustProxy: flag(env, 'TRUST_PROXY', false),
    timeTravelMinutes: value(env, 'TIME_TRAVEL_MINUTES') === undefined ? undefined : integer(env, 'TIME_TRAVEL_MINUTES', 60, 1, 24 * 60, 'a whole number of minutes from 1 to 1440'),
    graceMs: integer(env, 'RESUME_GRACE_SECONDS', 600, 1, MAX_TTL_SECONDS, `a whole number of seconds from 1 to ${MAX_TTL_SECONDS}`) * 1000,
    limits: {
      joinsPerIpPerMinute: integer(env, 'JOIN_LIMIT_PER_IP', 30, 1, 1_000_000, 'a whole number of join attempts per minute'),
      joinsPerRoomPerMinute: integer(env, 'JOIN_LIMIT_PER_ROOM', 10, 1, 1_000_000, 'a whole number of join attempts per minute'),
      createsPerIpPerMinute: integer(env, 'CREATE_LIMIT_PER_IP', 30, 1, 1_000_000, 'a whole number of new share codes per minute'),
      wrongTriesBeforeLock: integer(env, 'LOCK_AFTER_WRONG_TRIES', 5, 1, 1_000, 'a whole number of tries'),
    },
    relay: {
      enabled: flag(env, 'RELAY_FALLBACK', true),
      bytesPerSecondPerRoom: integer(env, 'RELAY_ROOM_BYTES_PER_SECOND', 4 * 1024 * 1024, 64 * 1024, 1024 * 1024 * 1024, 'a whole number of bytes per second, at least 65536'),
      bufferBytesPerRoom: integer(
        env,
        'RELAY_ROOM_BUFFER_BYTES',
        4 * 1024 * 1024,
        MIN_RELAY_BUFFER_BYTES,
        1024 * 1024 * 1024,
        `a whole number of bytes, at least ${MIN_RELAY_BUFFER_BYTES} (a relay link sends up to ${RELAY_WINDOW_FRAMES} frames of 16 KiB before waiting for their acks, and a customer may have ${MAX_AGENTS} agents)`,
      ),
    },
    logLevel: oneOf(env, 'LOG_LEVEL', ['debug', 'info', 'warn', 'error', 'silent'] as const) ?? 'info',
  };
}

function oneOf<const T extends string>(env: Env, name: string, values: readonly T[]): T | undefined {
  const raw = value(env, name)?.toLowerCase();
  if (raw === undefined) return undefined;
  if (!values.includes(raw as T)) throw new ConfigError(name, `${name} should be one of ${values.join(', ')}, not ${JSON.stringify(raw)}.`);
  return raw as T;
}

function redisUrl(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  if (!/^rediss?:\/\/./.test(raw)) throw new ConfigError('REDIS_URL', `REDIS_URL should look like redis://host:6379 (or rediss:// for TLS), not ${JSON.stringify(raw)}.`);
  return raw;
}

function origins(raw: string | undefined): string[] {
  if (raw === undefined) return [];
  const list = raw.split(',').map((origin) => origin.trim().toLowerCase().replace(/\/$/, '')).filter(Boolean);
  for (const origin of list) {
    if (origin !== '*' && !/^https?:\/\/[^/\s]+$/.test(origin)) {
      throw new ConfigError('ALLOWED_ORIGINS', `ALLOWED_ORIGINS should be a comma-separated list of origins like https://shop.example.com, not ${JSON.stringify(origin)}.`);
    }
  }
  return list;
}

function secret(env: Env, name: string): string | undefined {
  const raw = value(env, name);
  if (raw !== undefined && raw.length < 16) throw new ConfigError(name, `${name} should be at least 16 characters of random text (try: openssl rand -base64 32).`);
  return raw;
}

function turn(env: Env): TurnOptions | undefined {
  const turnSecret = secret(env, 'TURN_SECRET');
  const urls = value(env, 'TURN_URLS')?.split(',').map((url) => url.trim()).filter(Boolean) ?? [];
  if (turnSecret === undefined && urls.length === 0) return undefined;
  if (turnSecret === undefined || urls.length === 0) throw new ConfigError('TURN_SECRET', 'TURN_SECRET and TURN_URLS go together: set both (or neither).');
  if (!urls.every((url) => /^turns?:/i.test(url))) throw new ConfigError('TURN_URLS', 'TURN_URLS should be comma-separated turn: or turns: URLs, like turn:turn.example.com:3478.');
  const ttlSeconds = integer(env, 'TURN_TTL_SECONDS', 3600, 60, 3600, 'a whole number of seconds from 60 to 3600 (credentials live at most an hour)');
  return { secret: turnSecret, urls, ttlSeconds };
}

/** Unset and blank mean the same: `PORT= npm start` should not be an error. */
function value(env: Env, name: string): string | undefined {
  const raw = env[name]?.trim();
  return raw ? raw : undefined;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number, expected: string): number {
  const raw = value(env, name);
  if (raw === undefined) return fallback;
  const parsed = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
    throw new ConfigError(name, `${name} should be ${expected}, not ${JSON.stringify(raw)}.`);
  }
  return parsed;
}

function flag(env: Env, name: string, fallback: boolean): boolean {
  const raw = value(env, name)?.toLowerCase();
  if (raw === undefined) return fallback;
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  if (['0', 'false', 'no', 'off'].includes(raw)) return false;
  throw new ConfigError(name, `${name} should be true or false (or 1 or 0), not ${JSON.stringify(env[name])}.`);
}

const EXAMPLE_ICE = '[{"urls":"stun:stun.example.com:3478"},{"urls":"turn:turn.example.com:3478","username":"u","credential":"p"}]';
const ICE_SCHEME = /^(stun|stuns|turn|turns):/i;

function iceServers(raw: string | undefined): IceServer[] {
  if (raw === undefined) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConfigError('ICE_SERVERS', `ICE_SERVERS is not valid JSON (${reason}). Expected an array like ${EXAMPLE_ICE}.`);
  }
  if (!Array.isArray(parsed)) throw new ConfigError('ICE_SERVERS', `ICE_SERVERS should be a JSON array like ${EXAMPLE_ICE}.`);
  return parsed.map((entry: unknown, i) => iceServer(entry, `ICE_SERVERS[${i}]`));
}

function iceServer(entry: unknown, at: string): IceServer {
  function bad(what: string): never {
    throw new ConfigError('ICE_SERVERS', `${at}${what}. Expected an array like ${EXAMPLE_ICE}.`);
  }
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) bad(' should be an object with "urls"');
  const { urls, username, credential } = entry as Record<string, unknown>;
  if (!isUrls(urls)) bad('.urls should be a URL or a non-empty array of URLs');
  if (![urls].flat().every((url) => ICE_SCHEME.test(url))) bad('.urls should start with stun:, stuns:, turn: or turns:');
  if (username !== undefined && typeof username !== 'string') bad('.username should be a string');
  if (credential !== undefined && typeof credential !== 'string') bad('.credential should be a string');
  return { urls, ...(username === undefined ? {} : { username }), ...(credential === undefined ? {} : { credential }) };
}

function isUrls(value: unknown): value is string | string[] {
  return typeof value === 'string' || (Array.isArray(value) && value.length > 0 && value.every((url) => typeof url === 'string'));
}
