import { describe, expect, it } from 'vitest';
import { MAX_STACK, MAX_TEXT, networkUrl, startDevtoolsCapture } from '../../../widget/host/devtools.js';
import type { HostMessage } from '../../../widget/protocol/index.js';

describe('networkUrl', () => {
  it.each([
    ['https://shop.example/api/cart?token=abc123&user=ada%40example.com', 'https://shop.example/api/cart?token=[redacted]&user=[redacted]'],
    ['https://shop.example/search?q=red+shoes#reviews', 'https://shop.example/search?q=[redacted]#reviews'],
    ['https://shop.example/cb#access_token=abc&state=1', 'https://shop.example/cb#access_token=[redacted]&state=[redacted]'],
    ['https://ada:hunter2@shop.example/private', 'https://shop.example/private'],
    ['https://shop.example/plain', 'https://shop.example/plain'],
    ['https://shop.example/odd?justatoken', 'https://shop.example/odd?[redacted]'],
    ['https://shop.example/dup?a=1&a=2', 'https://shop.example/dup?a=[redacted]&a=[redacted]'],
    ['data:text/plain;base64,c2VjcmV0', 'data:…'],
    ['blob:https://shop.example/1234-5678', 'blob:…'],
  ])('%s → %s', (input, expected) => {
    expect(networkUrl(input)).toBe(expected);
  });

  it('resolves relative URLs against the page, and never throws on garbage', () => {
    expect(networkUrl('/api/me?id=7', 'https://shop.example/cart')).toBe('https://shop.example/api/me?id=[redacted]');
    expect(networkUrl('http://[::1', undefined)).toBe('(invalid URL)');
  });

  it('keeps no value anywhere in the result', () => {
    const secret = 'eyJhbGciOiJIUzI1NiJ9.c2VjcmV0';
    expect(networkUrl(`https://a.example/cb?code=${secret}&state=${secret}#access_token=${secret}`)).not.toContain(secret);
  });
});

/**
 * A stand-in for the browser window with just what capture touches (the real thing is covered
 * end to end in Chromium): a console, fetch, events, performance.
 */
function fakeWindow() {
  const calls: string[] = [];
  const target = new EventTarget();
  const win = Object.assign(target, {
    console: {
      error: (...args: unknown[]) => calls.push(`error:${args.join(' ')}`),
      warn: (...args: unknown[]) => calls.push(`warn:${args.join(' ')}`),
    },
    fetch: async (input: string) => (input.includes('fail') ? Promise.reject(new TypeError('Failed to fetch')) : new Response('hello', { status: 201, headers: { 'content-length': '5' } })),
    location: { href: 'https://shop.example/cart' },
    performance,
    URL,
    Request,
    ErrorEvent: class extends Event {},
  });
  return { win: win as unknown as Window, raw: win, calls };
}

function capture(options: { maxPerSecond?: number; emit?: (m: HostMessage) => void } = {}) {
  const { win, raw, calls } = fakeWindow();
  const sent: HostMessage[] = [];
  const originals = { error: raw.console.error, warn: raw.console.warn, fetch: raw.fetch };
  const stop = startDevtoolsCapture({ window: win, emit: options.emit ?? ((m) => sent.push(m)), maxPerSecond: options.maxPerSecond });
  return { raw, calls, sent, originals, stop };
}

describe('devtools capture', () => {
  it('reports console errors with a stack and still calls the original console', () => {
    const { raw, calls, sent, stop } = capture();
    raw.console.error('Payment failed', { code: 42 });
    raw.console.warn(new RangeError('too far'));
    expect(calls).toEqual(['error:Payment failed [object Object]', 'warn:RangeError: too far']);
    expect(sent[0]).toMatchObject({ type: 'console', level: 'error', text: 'Payment failed {"code":42}' });
    expect((sent[0] as { stack?: string }).stack).toContain('devtools.test.ts');
    expect(sent[1]).toMatchObject({ type: 'console', level: 'warn', text: 'RangeError: too far' });
    expect((sent[1] as { stack?: string }).stack).toMatch(/^RangeError: too far/);
    stop();
  });

  it('caps message sizes and survives arguments that throw when printed', () => {
    const { raw, sent, stop } = capture();
    const hostile = { toJSON() { throw new Error('nope'); } };
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    raw.console.error('x'.repeat(50_000), hostile, circular);
    const message = sent[0] as { text: string; stack?: string };
    expect(message.text.length).toBeLessThanOrEqual(MAX_TEXT);
    const err = new Error('deep');
    err.stack = 'y'.repeat(50_000);
    raw.console.error(err);
    expect((sent[1] as { stack: string }).stack.length).toBeLessThanOrEqual(MAX_STACK);
    raw.console.error(circular);
    expect((sent[2] as { text: string }).text).toBe('{"self":"[Circular]"}');
    stop();
  });

  it('sends at most maxPerSecond, then says how many it held back', async () => {
    let now = 1_000_000;
    const realNow = Date.now;
    Date.now = () => now;
    try {
      const { raw, sent, stop } = capture({ maxPerSecond: 5 });
      for (let i = 0; i < 20; i++) raw.console.error(`e${i}`);
      expect(sent).toHaveLength(5);
      now += 1_000;
      raw.console.error('next second');
      expect(sent.slice(5).map((m) => (m as { text: string }).text)).toEqual([expect.stringContaining('15 console and network entries were not sent'), 'next second']);
      stop();
    } finally {
      Date.now = realNow;
    }
  });

  it('never breaks the page: a failing emit, and a transport that logs while sending, change nothing', () => {
    let logged = 0;
    const { raw, calls, stop } = capture({
      emit: () => {
        logged++;
        raw.console.warn('transport is unhappy'); // would loop forever without the re-entrancy guard
        throw new Error('channel closed');
      },
    });
    expect(() => raw.console.error('still works')).not.toThrow();
    expect(calls).toEqual(['warn:transport is unhappy', 'error:still works']);
    expect(logged).toBe(1);
    stop();
  });

  it("ignores the widget's own [coview] notes", () => {
    const { raw, sent, stop } = capture();
    raw.console.warn('[coview] dropped a message');
    expect(sent).toHaveLength(0);
    stop();
  });

  it('reports fetch with status, size and a redacted URL, and hands the page the very same response', async () => {
    const { raw, sent, stop } = capture();
    const response = await raw.fetch('https://api.example/cart?token=abc');
    expect(await response.text()).toBe('hello');
    expect(response.status).toBe(201);
    await expect(raw.fetch('https://api.example/fail?x=1')).rejects.toThrow('Failed to fetch');
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(sent).toEqual([
      { type: 'network', kind: 'fetch', method: 'GET', url: 'https://api.example/cart?token=[redacted]', status: 201, durationMs: expect.any(Number), size: 5 },
      { type: 'network', kind: 'fetch', method: 'GET', url: 'https://api.example/fail?x=[redacted]', status: null, durationMs: expect.any(Number), size: null, error: 'TypeError: Failed to fetch' },
    ]);
    stop();
  });

  it('leaves fetch alone when told to (a muted widget script must not swallow the page\'s rejections)', async () => {
    const { win, raw, calls } = fakeWindow();
    const original = raw.fetch;
    const sent: HostMessage[] = [];
    const stop = startDevtoolsCapture({ window: win, emit: (m) => sent.push(m), wrapFetch: false });
    expect(raw.fetch).toBe(original);
    await raw.fetch('https://api.example/x');
    expect(sent).toHaveLength(0);
    expect(calls).toHaveLength(0);
    stop();
  });

  it('reports uncaught errors and unhandled rejections', () => {
    const { raw, sent, stop } = capture();
    const ErrorEventClass = raw.ErrorEvent;
    const event = Object.assign(new ErrorEventClass('error'), { message: 'Uncaught TypeError: boom', filename: 'https://shop.example/app.js', lineno: 3, colno: 9, error: new TypeError('boom') });
    raw.dispatchEvent(event);
    raw.dispatchEvent(Object.assign(new Event('unhandledrejection'), { reason: 'coupon down' }));
    expect(sent[0]).toMatchObject({ type: 'console', level: 'uncaught', text: 'Uncaught TypeError: boom (https://shop.example/app.js:3:9)' });
    expect((sent[0] as { stack: string }).stack).toContain('TypeError: boom');
    expect(sent[1]).toMatchObject({ type: 'console', level: 'rejection', text: 'Unhandled rejection: coupon down' });
    stop();
  });

  it('stop puts console and fetch back and removes its listeners', () => {
    const { raw, sent, originals, stop } = capture();
    stop();
    expect(raw.console.error).toBe(originals.error);
    expect(raw.console.warn).toBe(originals.warn);
    expect(raw.fetch).toBe(originals.fetch);
    raw.dispatchEvent(Object.assign(new Event('unhandledrejection'), { reason: 'later' }));
    raw.console.error('later');
    expect(sent).toHaveLength(0);
  });

  it('leaves a wrapper added after it in place, inert', () => {
    const { raw, calls, sent, stop } = capture();
    const ours = raw.console.error;
    const theirs = (...args: unknown[]) => ours(...args);
    raw.console.error = theirs;
    stop();
    expect(raw.console.error).toBe(theirs);
    raw.console.error('after stop');
    expect(calls).toEqual(['error:after stop']);
    expect(sent).toHaveLength(0);
  });
});
