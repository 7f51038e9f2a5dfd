import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IceServer } from '../widget/protocol/index.js';

/** Secrets and ids from crypto randomness (never Math.random). Share codes are drawn in the customer's browser, not here. */
export function randomId(bytes = 16): string {
  return randomBytes(bytes).toString('base64url');
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('base64url');
}

export function hmac(key: string, text: string, algorithm = 'sha256'): string {
  return createHmac(algorithm, key).update(text).digest('base64url');
}

export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** What the server keeps of a host's key: a hash to check it, and a secret to derive agent keys. */
export function hostKeyMaterial(hostKey: string): { hostKeyHash: string; agentSecret: string } {
  return { hostKeyHash: sha256(hostKey), agentSecret: hmac(hostKey, 'coview agent keys') };
}

/** An agent's resume key: derived, so a rebuilt room (after a restart) still recognises its agents. */
export function agentKey(agentSecret: string, agentId: string): string {
  return hmac(agentSecret, agentId);
}

/**
 * Agent tokens (AGENT_TOKEN_SECRET): `v1.<payload>.<signature>`, the payload base64url JSON
 * `{ "exp": unix seconds, "name"?: string }`, the signature base64url HMAC-SHA256 of
 * `v1.<payload>` under the secret. Your helpdesk mints them for signed-in agents; see the README.
 */
export interface AgentTokenClaims {
  exp: number;
  name?: string;
}

export function signAgentToken(secret: string, claims: AgentTokenClaims): string {
  const body = `v1.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  return `${body}.${hmac(secret, body)}`;
}

/** The token's claims, or null when it is forged, malformed or expired. */
export function verifyAgentToken(secret: string, token: string, nowMs: number): AgentTokenClaims | null {
  const parts = token.split('.');
  if (parts.length !== 3 || parts[0] !== 'v1') return null;
  if (!sameSecret(hmac(secret, `${parts[0]}.${parts[1]}`), parts[2]!)) return null;
  try {
    const claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as Partial<AgentTokenClaims>;
    if (typeof claims.exp !== 'number' || claims.exp * 1000 <= nowMs) return null;
    return { exp: claims.exp, ...(typeof claims.name === 'string' ? { name: claims.name } : {}) };
  } catch {
    return null;
  }
}

/**
 * TURN REST API credentials (coturn `use-auth-secret`): username `<expiry unix seconds>:<id>`,
 * password base64(HMAC-SHA1(secret, username)). coturn checks both without a database; the
 * secret stays on the servers and each credential dies after `ttlSeconds`.
 */
export function turnCredentials(secret: string, urls: string[], ttlSeconds: number, nowMs: number): IceServer {
  const username = `${Math.floor(nowMs / 1000) + ttlSeconds}:${randomId(6)}`;
  const credential = createHmac('sha1', secret).update(username).digest('base64');
  return { urls, username, credential };
}

/** `ALLOWED_ORIGINS`: exact origins (scheme://host[:port]); an empty list allows every origin. */
export function originAllowed(allowed: readonly string[], origin: string | undefined): boolean {
  if (allowed.length === 0 || allowed.includes('*')) return true;
  return origin !== undefined && allowed.includes(origin.toLowerCase());
}
