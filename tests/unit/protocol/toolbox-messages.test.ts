import { describe, expect, it } from 'vitest';
import { CONSOLE_TEXT, CoviewError, decodeHostMessage, PROTOCOL_VERSION, type HostMessage } from '../../../widget/protocol/index.js';

const page = { url: 'https://shop.example/cart', title: 'Cart', userAgent: 'Mozilla/5.0', language: 'en-GB' };

function rejects(input: unknown): string {
  try {
    decodeHostMessage(input);
  } catch (error) {
    expect(error).toBeInstanceOf(CoviewError);
    expect((error as CoviewError).code).toBe('ERR_MALFORMED_MESSAGE');
    return (error as CoviewError).message;
  }
  throw new Error('expected the decoder to reject the message');
}

describe('toolbox messages', () => {
  const valid: HostMessage[] = [
    { type: 'hello', v: PROTOCOL_VERSION, page: { ...page, platform: 'Linux x86_64', timeZone: 'Europe/Berlin', viewport: { width: 1024, height: 700 } } },
    { type: 'console', level: 'uncaught', text: 'TypeError: x is undefined', stack: 'at checkout (app.js:1:2)' },
    { type: 'console', level: 'warn', text: 'Slow' },
    { type: 'network', kind: 'fetch', method: 'GET', url: 'https://api.example/cart?id=•••', status: 404, durationMs: 12.5, size: 120 },
    { type: 'network', kind: 'xhr', method: 'POST', url: 'https://api.example/pay', status: null, durationMs: 3, size: null, error: 'Network error or aborted' },
  ];
  it.each(valid.map((m) => [m.type, m] as const))('accepts a valid %s', (_type, message) => {
    expect(decodeHostMessage(message)).toEqual(message);
  });

  it('still accepts the hello of a widget that sends no session details', () => {
    expect(decodeHostMessage({ type: 'hello', v: 1, page })).toEqual({ type: 'hello', v: 1, page });
  });

  it.each([
    ['an unknown console level', { type: 'console', level: 'debug', text: 'x' }],
    ['console text over the cap', { type: 'console', level: 'error', text: 'x'.repeat(CONSOLE_TEXT + 1) }],
    ['a numeric stack', { type: 'console', level: 'error', text: 'x', stack: 5 }],
    ['a fractional status', { type: 'network', kind: 'fetch', method: 'GET', url: 'u', status: 200.5, durationMs: 1, size: 1 }],
    ['a missing duration', { type: 'network', kind: 'fetch', method: 'GET', url: 'u', status: 200, size: 1 }],
    ['an infinite size', { type: 'network', kind: 'fetch', method: 'GET', url: 'u', status: 200, durationMs: 1, size: Infinity }],
    ['a huge method', { type: 'network', kind: 'fetch', method: 'X'.repeat(21), url: 'u', status: 200, durationMs: 1, size: 1 }],
    ['a viewport that is a string', { type: 'hello', v: 1, page: { ...page, viewport: '1024x700' } }],
  ])('rejects %s', (_what, input) => {
    rejects(input);
  });

  it('names the bad field', () => {
    expect(rejects({ type: 'hello', v: 1, page: { ...page, timeZone: 7 } })).toContain('page.timeZone');
  });
});
