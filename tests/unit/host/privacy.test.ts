import { describe, expect, it } from 'vitest';
import { createPrivacy, luhn, redactText, redactUrl, REDACTED } from '../../../widget/host/privacy.js';
import { CoviewError } from '../../../widget/protocol/index.js';

describe('redactUrl: query values never reach the agent by default', () => {
  it('keeps scheme, host, path and parameter names, drops every value', () => {
    expect(redactUrl('https://shop.example/api/orders?id=42&token=abc123')).toBe(`https://shop.example/api/orders?id=${REDACTED}&token=${REDACTED}`);
  });

  it('keeps the values of parameters the site allows', () => {
    expect(redactUrl('/search?q=boots&session=s3cr3t', { keepParams: ['q'] })).toBe(`/search?q=boots&session=${REDACTED}`);
  });

  it('drops credentials in the authority and token fragments, keeps plain anchors', () => {
    expect(redactUrl('https://user:pa55@api.example/v1')).toBe('https://api.example/v1');
    expect(redactUrl('https://app.example/cb#access_token=eyJabc&expires_in=3600')).toBe(`https://app.example/cb#access_token=${REDACTED}&expires_in=${REDACTED}`);
    expect(redactUrl('https://docs.example/guide#install')).toBe('https://docs.example/guide#install');
  });

  it('handles relative, empty, valueless and malformed queries without throwing', () => {
    expect(redactUrl('/a?')).toBe('/a?');
    expect(redactUrl('/a?flag')).toBe(`/a?${REDACTED}`);
    expect(redactUrl('/a?%E0%A4%A=1')).toBe(`/a?%E0%A4%A=${REDACTED}`);
    expect(redactUrl('not a url')).toBe('not a url');
  });

  it('shows queries as they are only when asked', () => {
    expect(redactUrl('https://x.example/?a=1', { redactQuery: false })).toBe('https://x.example/?a=1');
  });
});

describe('redactText: console messages and stacks', () => {
  it('removes values the customer typed into masked fields', () => {
    expect(redactText('login failed for hunter2-secret!', { secrets: ['hunter2-secret'] })).toBe(`login failed for ${REDACTED}!`);
  });

  it('replaces the longest secret first so no fragment of it survives', () => {
    expect(redactText('pw=abcdef', { secrets: ['abc', 'abcdef'] })).toBe(`pw=${REDACTED}`);
  });

  it('redacts URL queries inside messages and stacks', () => {
    const stack = 'TypeError: x is undefined\n    at load (https://shop.example/app.js?v=1&sig=XYZ:10:5)';
    expect(redactText(stack)).toContain(`https://shop.example/app.js?v=${REDACTED}&sig=${REDACTED}`);
    expect(redactText(stack)).not.toContain('XYZ');
  });

  it('redacts card numbers (Luhn-valid only), JWTs, bearer tokens, key=value secrets and e-mail addresses', () => {
    const text = redactText(
      'card 4111 1111 1111 1111, order 1234567890123, jwt eyJhbGciOi.eyJzdWIiOiIx.sig_part, Authorization: Bearer abcdefghijk123, {"password":"pa55word"}, api_key=KEY123, mail ada@example.org',
    );
    expect(text).not.toContain('4111');
    expect(text).toContain('order 1234567890123');
    expect(text).not.toContain('eyJhbGciOi');
    expect(text).not.toContain('abcdefghijk123');
    expect(text).not.toContain('pa55word');
    expect(text).not.toContain('KEY123');
    expect(text).not.toContain('ada@example.org');
  });

  it('leaves ordinary messages alone', () => {
    expect(redactText('Cart updated: 2 items, total $288.00')).toBe('Cart updated: 2 items, total $288.00');
  });

  it('checks card numbers with Luhn', () => {
    expect(luhn('4111111111111111')).toBe(true);
    expect(luhn('4111111111111112')).toBe(false);
    expect(luhn('123')).toBe(false);
  });
});

describe('privacy options', () => {
  it('an invalid selector is refused with ERR_BAD_OPTIONS naming the option', () => {
    const attempt = () => createPrivacy({ maskSelector: 42 as unknown as string });
    expect(attempt).toThrow(CoviewError);
    expect(attempt).toThrow(/maskSelector/);
    try {
      attempt();
    } catch (error) {
      expect((error as CoviewError).code).toBe('ERR_BAD_OPTIONS');
    }
  });

  it('site selectors join the built-in ones; private mode blocks media outside allowed regions', () => {
    const privacy = createPrivacy({ maskSelector: '.pii', blockSelector: '#chart', privateByDefault: true });
    expect(privacy.maskSelector).toBe('[data-coview-mask], .coview-mask, .pii');
    expect(privacy.blockSelector).toContain('[data-coview-block], .coview-block, #chart, img:not([data-coview-allow] *)');
  });
});
