import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../signaling/config.js';

const SECRET = 'a-long-enough-secret-value';

describe('server configuration', () => {
  it('runs alone in memory, open to every origin, with no TURN, by default', () => {
    expect(loadConfig({})).toMatchObject({ redisUrl: undefined, allowedOrigins: [], agentTokenSecret: undefined, turn: undefined, trustProxy: false, logLevel: 'info' });
  });

  it('reads the time-travel window, in minutes, and refuses one that is not', () => {
    expect(loadConfig({}).timeTravelMinutes).toBeUndefined();
    expect(loadConfig({ TIME_TRAVEL_MINUTES: '90' }).timeTravelMinutes).toBe(90);
    expect(() => loadConfig({ TIME_TRAVEL_MINUTES: 'an hour' })).toThrow(/TIME_TRAVEL_MINUTES/);
  });

  it('reads the scale-out and security settings', () => {
    const config = loadConfig({
      REDIS_URL: 'redis://redis:6379',
      ALLOWED_ORIGINS: 'https://Shop.example.com/, https://help.example.com',
      AGENT_TOKEN_SECRET: SECRET,
      TURN_SECRET: SECRET,
      TURN_URLS: 'turn:turn.example.com:3478?transport=udp, turns:turn.example.com:5349',
      TURN_TTL_SECONDS: '900',
      ICE_TRANSPORT_POLICY: 'relay',
      JOIN_LIMIT_PER_IP: '5',
      LOCK_AFTER_WRONG_TRIES: '3',
    });
    expect(config).toMatchObject({
      redisUrl: 'redis://redis:6379',
      allowedOrigins: ['https://shop.example.com', 'https://help.example.com'],
      agentTokenSecret: SECRET,
      turn: { secret: SECRET, urls: ['turn:turn.example.com:3478?transport=udp', 'turns:turn.example.com:5349'], ttlSeconds: 900 },
      iceTransportPolicy: 'relay',
      limits: { joinsPerIpPerMinute: 5, wrongTriesBeforeLock: 3 },
    });
  });

  it.each([
    [{ REDIS_URL: 'localhost:6379' }, 'REDIS_URL', 'redis://host:6379'],
    [{ ALLOWED_ORIGINS: 'shop.example.com' }, 'ALLOWED_ORIGINS', 'https://shop.example.com'],
    [{ AGENT_TOKEN_SECRET: 'short' }, 'AGENT_TOKEN_SECRET', 'at least 16 characters'],
    [{ TURN_SECRET: SECRET }, 'TURN_SECRET', 'set both'],
    [{ TURN_SECRET: SECRET, TURN_URLS: 'stun:x:3478' }, 'TURN_URLS', 'turn: or turns:'],
    [{ TURN_SECRET: SECRET, TURN_URLS: 'turn:x:3478', TURN_TTL_SECONDS: '7200' }, 'TURN_TTL_SECONDS', 'at most an hour'],
    [{ ICE_TRANSPORT_POLICY: 'sometimes' }, 'ICE_TRANSPORT_POLICY', 'all, relay'],
  ])('explains a bad value: %j', (env, variable, hint) => {
    let error: unknown;
    try {
      loadConfig(env);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variable).toBe(variable);
    expect((error as ConfigError).message).toContain(hint);
  });
});
