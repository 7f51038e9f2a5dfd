import { describe, expect, it } from 'vitest';
import { createPrivacy, isSecretParam, looksSecretValue, luhn, redactText, redactUrl, REDACTED, urlRoleOf, wireCss, wireSrcset, wireUrl } from '../../../widget/host/privacy.js';
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

describe('one URL redaction, two roles: links lose every query value, resources only the secret-looking ones', () => {
  const page = 'https://shop.example/account/reset?reset_token=CANARY';
  const resource = (url: string) => redactUrl(url, { role: 'resource' });

  it('a link (the page address, a/area href, form action, network rows, console text) loses every query value', () => {
    expect(redactUrl('https://shop.example/list?w=640&v=3')).toBe(`https://shop.example/list?w=${REDACTED}&v=${REDACTED}`);
    expect(wireUrl('/img.png?w=200', page, 'link')).toBe(`https://shop.example/img.png?w=${REDACTED}`);
    expect(redactText('GET https://cdn.example/a.png?w=640 failed')).toBe(`GET https://cdn.example/a.png?w=${REDACTED} failed`);
  });

  it('a resource keeps what it needs to load: image sizes, font versions, font families, CDN resize parameters', () => {
    for (const url of [
      'https://shop.example/_next/image?url=%2F_next%2Fstatic%2Fmedia%2Fhero.4f2a1b3c.jpg&w=640&q=75',
      'https://shop.example/_next/image?url=https%3A%2F%2Fcdn.example%2Fshoe.jpg%3Fw%3D1200&w=640&q=75',
      'https://shop.example/fonts/inter.woff2?v=3',
      'https://fonts.googleapis.com/css2?family=Roboto:wght@400;700&display=swap',
      'https://fonts.googleapis.com/css2?family=Open+Sans:ital,wght@0,300..800;1,300..800&display=swap',
      'https://images.example/photo.jpg?auto=format&fit=crop&w=1200&h=630&dpr=2&ixlib=rb-4.0.3',
      'https://shop.example/app.css?1699999999',
      'https://shop.example/sprite.svg#icon-cart',
    ]) expect(resource(url), url).toBe(url);
    expect(wireUrl('/img.png?w=200', page, 'resource')).toBe('https://shop.example/img.png?w=200');
    expect(wireSrcset('/a.png?w=320 1x, /a.png?w=640 2x', page, 'resource')).toBe('https://shop.example/a.png?w=320 1x, https://shop.example/a.png?w=640 2x');
    expect(wireCss('@font-face { src: url("/f.woff2?v=3") }', page)).toBe('@font-face { src: url("https://shop.example/f.woff2?v=3") }');
  });

  it('a resource loses values under secret-like keys, whatever their case style, and signed-URL parameters', () => {
    expect(resource('https://shop.example/img.png?token=abc123&w=200')).toBe(`https://shop.example/img.png?token=${REDACTED}&w=200`);
    for (const key of ['access_token', 'authToken', 'api_key', 'key', 'sig', 'signature', 'auth', 'session', 'sessionId', 'password', 'client_secret', 'code', 'email', 'user', 'X-Amz-Signature', 'X-Amz-Credential', 'X-Amz-Date', 'X-Goog-Signature', 'Key-Pair-Id', 'Policy']) {
      expect(isSecretParam(key), key).toBe(true);
      expect(resource(`https://cdn.example/a.png?${key}=1&w=2`), key).toBe(`https://cdn.example/a.png?${key}=${REDACTED}&w=2`);
    }
    for (const key of ['w', 'h', 'q', 'v', 'family', 'display', 'fit', 'auto', 'dpr', 'url', 'keyword', 'format']) expect(isSecretParam(key), key).toBe(false);
  });

  it('a resource loses secret-shaped values under any key: e-mails, JWTs, vendor keys, card numbers, long opaque tokens, nested URLs with secrets', () => {
    for (const value of [
      'ada@example.org',
      'ada%40example.org',
      'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.sig',
      'sk_live_4eC39HqLyjWDarjtT1zdp7dc',
      '4111111111111111',
      'AbCdEf0123456789GhIjKl0123',
      'https%3A%2F%2Fcdn.example%2Fa.png%3Ftoken%3Dabc',
    ]) {
      expect(looksSecretValue(value), value).toBe(true);
      expect(resource(`https://cdn.example/a.png?u=${value}&w=2`), value).toBe(`https://cdn.example/a.png?u=${REDACTED}&w=2`);
    }
    for (const value of ['640', '3', 'Roboto', 'rb-4.0.3', 'crop', '%2Fstatic%2Fhero.jpg', '1.2.3']) expect(looksSecretValue(value), value).toBe(false);
    // A bare key is a value too.
    expect(resource('https://cdn.example/a.png?ada@example.org')).toBe(`https://cdn.example/a.png?${REDACTED}`);
    expect(resource('https://cdn.example/a.png?v3')).toBe('https://cdn.example/a.png?v3');
  });

  it('secret path segments, credentials and token fragments go in both roles', () => {
    expect(resource('https://u:p@cdn.example/avatars/ada@example.org/x.png?w=64')).toBe(`https://cdn.example/avatars/${REDACTED}/x.png?w=64`);
    expect(resource('https://cdn.example/a.png#access_token=abc')).toBe(`https://cdn.example/a.png#access_token=${REDACTED}`);
    // A relative resource resolves against the redacted address.
    expect(wireUrl('?w=200', page, 'resource')).toBe('https://shop.example/account/reset?w=200');
  });

  it('the role of an attribute: files the agent fetches are resources, addresses are links, and masked regions are strict', () => {
    expect(urlRoleOf('IMG', 'src', '', 'show')).toBe('resource');
    expect(urlRoleOf('img', 'srcset', '', 'show')).toBe('resource');
    expect(urlRoleOf('source', 'srcset', '', 'show')).toBe('resource');
    expect(urlRoleOf('video', 'poster', '', 'show')).toBe('resource');
    expect(urlRoleOf('link', 'href', 'stylesheet', 'show')).toBe('resource');
    expect(urlRoleOf('link', 'href', 'icon', 'show')).toBe('resource');
    expect(urlRoleOf('image', 'xlink:href', '', 'show')).toBe('resource');
    expect(urlRoleOf('div', 'style', '', 'show')).toBe('resource');
    expect(urlRoleOf('a', 'href', '', 'show')).toBe('link');
    expect(urlRoleOf('area', 'href', '', 'show')).toBe('link');
    expect(urlRoleOf('form', 'action', '', 'show')).toBe('link');
    expect(urlRoleOf('iframe', 'src', '', 'show')).toBe('link');
    expect(urlRoleOf('script', 'src', '', 'show')).toBe('link');
    expect(urlRoleOf('link', 'href', 'canonical', 'show')).toBe('link');
    for (const decision of ['mask', 'block'] as const) {
      expect(urlRoleOf('img', 'src', '', decision)).toBe('link');
      expect(urlRoleOf('img', 'srcset', '', decision)).toBe('link');
      expect(urlRoleOf('link', 'href', 'stylesheet', decision)).toBe('link');
    }
  });

  it('privacy.attribute applies the role: an <img> keeps ?w=, loses ?token=; an <a> loses both; masked or private, strict', () => {
    const doc = { baseURI: page, URL: page };
    const el = (tag: string, attrs: Record<string, string> = {}) => ({ tagName: tag.toUpperCase(), getAttribute: (name: string) => attrs[name] ?? null, ownerDocument: doc }) as unknown as Element;
    const privacy = createPrivacy();
    expect(privacy.attribute(el('img'), 'src', '/a.png?w=200&token=abc123', 'show')).toBe(`https://shop.example/a.png?w=200&token=${REDACTED}`);
    expect(privacy.attribute(el('a'), 'href', '/a.png?w=200', 'show')).toBe(`https://shop.example/a.png?w=${REDACTED}`);
    expect(privacy.attribute(el('link', { rel: 'stylesheet' }), 'href', 'https://fonts.googleapis.com/css2?family=Roboto', 'show')).toBe('https://fonts.googleapis.com/css2?family=Roboto');
    expect(privacy.attribute(el('link', { rel: 'stylesheet' }), 'href', 'https://fonts.googleapis.com/css2?family=Roboto', 'mask')).toBe(`https://fonts.googleapis.com/css2?family=${REDACTED}`);
    expect(privacy.attribute(el('div'), 'style', 'background: url(/bg.png?w=2)', 'show')).toBe('background: url(https://shop.example/bg.png?w=2)');
    expect(privacy.url('/a.png?w=200', doc as unknown as Document)).toBe(`https://shop.example/a.png?w=${REDACTED}`);
    expect(privacy.url('/a.png?w=200', doc as unknown as Document, 'resource')).toBe('https://shop.example/a.png?w=200');
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
