import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { startServer } from '../support/server.js';

const DIST = new URL('../../dist/', import.meta.url);

describe('secrets stay on the server', () => {
  it('the TURN and agent-token secrets never reach a built bundle or what the server sends browsers', async () => {
    const turnSecret = `turn-canary-${randomBytes(12).toString('hex')}`;
    const agentSecret = `agent-canary-${randomBytes(12).toString('hex')}`;
    // Build with the secrets in the environment, as a careless deploy script might.
    execFileSync(process.execPath, ['scripts/build.mjs'], { env: { ...process.env, TURN_SECRET: turnSecret, AGENT_TOKEN_SECRET: agentSecret }, stdio: 'pipe' });

    // Every bundle but the server's own (server.js, the bin, and server-api.js, `coview/server`).
    const files = (await readdir(DIST)).filter((name) => /\.(js|map|css|html)$/.test(name) && !/^server(-api)?\.js(\.map)?$/.test(name));
    expect(files).toEqual(expect.arrayContaining(['widget.js', 'widget-core.js', 'join.js', 'coview.js', 'widget.js.map', 'join.js.map']));
    for (const name of files) {
      const text = await readFile(new URL(name, DIST), 'utf8');
      expect(text, name).not.toContain(turnSecret);
      expect(text, name).not.toContain(agentSecret);
      // No server-side credential code in the browser bundles either.
      for (const serverOnly of ['turnCredentials', 'signAgentToken', 'verifyAgentToken', 'hostKeyMaterial', 'createHmac']) {
        expect(text.includes(serverOnly), `${name} contains ${serverOnly}`).toBe(false);
      }
    }

    // And a running server with those secrets serves bundles and pages without them.
    const server = await startServer({ turn: { secret: turnSecret, urls: ['turn:127.0.0.1:3478'], ttlSeconds: 600 }, agentTokenSecret: agentSecret });
    try {
      for (const path of ['/widget.js', '/widget-core.js', '/join.js', '/join', '/']) {
        const body = await (await fetch(`${server.url}${path}`)).text();
        expect(body, path).not.toContain(turnSecret);
        expect(body, path).not.toContain(agentSecret);
      }
    } finally {
      await server.close();
    }
  });
});
