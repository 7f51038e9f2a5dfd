import { describe, expect, it } from 'vitest';
import { createPrivacy, ibanValid, isSecretKey, looksLikeData, MASK, redactText, redactUrl, REDACTED, wireCss, wireSrcset, wireUrl } from '../../../widget/host/privacy.js';

describe('redactText: secrets in console text, whatever their shape', () => {
  it('key names in any case style: snake, camel, kebab, JSON keys, query keys, header-like', () => {
    const text = redactText(
      'access_token=CANARY1 authToken: CANARY2 {"refresh_token":"CANARY3","newPassword":"CANARY4"} x-api-key: CANARY5 Authorization: CANARY6 ?client_secret=CANARY7 user.pwd=CANARY8 sessionId=CANARY9 X-CSRF-Token: CANARY10',
    );
    expect(text).not.toMatch(/CANARY/);
    expect(text).toContain(`"refresh_token":"${REDACTED}"`);
    expect(text).toContain(`authToken: ${REDACTED}`);
  });

  it('judges keys by their words, not by substrings', () => {
    for (const key of ['access_token', 'authToken', 'refresh-token', 'newPassword', 'X-Api-Key', 'apiKey', 'client_secret', 'cardNumber', 'PIN']) expect(isSecretKey(key), key).toBe(true);
    for (const key of ['shipping', 'spinner', 'tokenizer_version', 'Error', 'status', 'compass', 'opinion']) expect(isSecretKey(key), key).toBe(key === 'tokenizer_version');
  });

  it('known token shapes: JWT, bearer, vendor API keys, cloud access keys, long opaque tokens', () => {
    const samples = [
      'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJl',
      'Bearer abcdefghijk123456',
      'sk_live_4eC39HqLyjWDarjtT1zdp7dc',
      'ghp_16C7e42F292c6912E7710c838347Ae178B4a',
      'AKIAIOSFODNN7EXAMPLE',
      'xoxb-123456789012-abcdefghij',
      'AIzaSyA1234567890abcdefghijklmnopqrstuv',
      'glpat-abcdefghij1234567890',
      '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
    ];
    for (const sample of samples) expect(redactText(`failed with ${sample} here`), sample).toBe(`failed with ${sample.startsWith('Bearer') ? 'Bearer ' : ''}${REDACTED} here`);
  });

  it('card numbers by Luhn and IBANs by mod 97; order numbers stay', () => {
    expect(ibanValid('GB82WEST12345698765432')).toBe(true);
    expect(ibanValid('GB82WEST12345698765433')).toBe(false);
    const text = redactText('paid with 4242 4242 4242 4242 from GB82 WEST 1234 5698 7654 32, order 1234567890123, ref GB00WEST12345698765432');
    expect(text).not.toContain('4242');
    expect(text).not.toContain('WEST 1234');
    expect(text).toContain('order 1234567890123');
    expect(text).toContain('GB00WEST12345698765432');
  });

  it('e-mails and tokens in URL paths, encoded or not', () => {
    const text = redactText('GET https://shop.example/users/ada@example.org/orders and https://shop.example/u/ada%40example.org and https://shop.example/reset/3f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a/confirm');
    expect(text).not.toContain('ada');
    expect(text).not.toContain('3f9a8b7c6d5e');
    expect(text).toContain('https://shop.example/reset/[redacted]/confirm');
  });

  it('leaves ordinary messages alone', () => {
    for (const message of ['Cart updated: 2 items, total $288.00', 'Error: network timeout after 3000 ms', 'tests pass: 5 of 5', 'TypeError: x is undefined at https://shop.example/app.3f9a8b7c.js:10:5']) expect(redactText(message)).toBe(message);
  });
});

describe('wireUrl: one redaction for every URL on the wire', () => {
  const page = 'https://bank.example/account/reset?reset_token=CANARY#access_token=CANARY2';

  it('resolves relative URLs against the redacted address: #main never carries the page’s query', () => {
    expect(wireUrl('#main', page, 'link')).toBe(`https://bank.example/account/reset?reset_token=${REDACTED}#main`);
    expect(wireUrl('?page=2', page, 'link')).toBe(`https://bank.example/account/reset?page=${REDACTED}`);
    expect(wireUrl('/img/logo.png', page, 'link')).toBe('https://bank.example/img/logo.png');
    expect(wireUrl('mailto:ada@example.org', page, 'link')).not.toContain('ada');
    expect(wireUrl('data:image/png;base64,AAAA', page, 'link')).toBe('data:image/png;base64,AAAA');
  });

  it('srcset and CSS url() candidates each go through it', () => {
    expect(wireSrcset('/a.png?sig=CANARY 1x, /b.png?sig=CANARY 2x', page, 'resource')).toBe(`https://bank.example/a.png?sig=${REDACTED} 1x, https://bank.example/b.png?sig=${REDACTED} 2x`);
    expect(wireCss('background: url("/bg.png?u=CANARY") no-repeat', page, 'link')).toBe(`background: url("https://bank.example/bg.png?u=${REDACTED}") no-repeat`);
    // Same-document references (SVG gradients, filters) stay as they are.
    expect(wireCss('fill: url(#grad); filter: url("#blur")', page)).toBe('fill: url(#grad); filter: url("#blur")');
  });

  it('the page address itself, with tokens in its path', () => {
    expect(redactUrl('https://app.example/magic/ada@example.org?x=1')).toBe(`https://app.example/magic/${REDACTED}?x=${REDACTED}`);
  });
});

/** Just what privacy.attribute reads of an element. */
function fakeElement(tag: string, attrs: Record<string, string> = {}): Element {
  return { tagName: tag.toUpperCase(), getAttribute: (name: string) => attrs[name] ?? null, ownerDocument: { baseURI: 'https://shop.example/p?token=CANARY', URL: 'https://shop.example/p?token=CANARY' } } as unknown as Element;
}

describe('attributes inside masked regions are allow-listed', () => {
  const privacy = createPrivacy();

  it('layout attributes pass, text attributes are masked, everything else is dropped', () => {
    const a = fakeElement('a');
    expect(privacy.attribute(a, 'class', 'btn primary', 'mask')).toBe('btn primary');
    expect(privacy.attribute(a, 'style', 'width: 20px', 'mask')).toBe('width: 20px');
    expect(privacy.attribute(a, 'title', 'Ada Lovelace', 'mask')).toBe('••• •••');
    for (const name of ['href', 'data-user', 'aria-describedby', 'name', 'download', 'src', 'srcset', 'content']) expect(privacy.attribute(a, name, 'mailto:ada@example.org', 'mask'), name).toBeNull();
    expect(privacy.attribute(a, 'id', 'user-ada@example.org', 'mask')).toBeNull();
    expect(privacy.attribute(a, 'class', 'row order-1234567', 'mask')).toBeNull();
    expect(looksLikeData('sidebar')).toBe(false);
  });

  it('outside them, URLs are redacted and srcdoc, nonces and secret <meta> content never leave', () => {
    expect(privacy.attribute(fakeElement('a'), 'href', '#main', 'show')).toBe(`https://shop.example/p?token=${REDACTED}#main`);
    expect(privacy.attribute(fakeElement('iframe'), 'srcdoc', '<p>CANARY</p>', 'show')).toBeNull();
    expect(privacy.attribute(fakeElement('meta', { name: 'csrf-token' }), 'content', 'CANARY', 'show')).toBeNull();
    expect(privacy.attribute(fakeElement('meta', { name: 'viewport' }), 'content', 'width=device-width', 'show')).toBe('width=device-width');
    expect(privacy.attribute(fakeElement('script'), 'nonce', 'CANARY', 'show')).toBeNull();
    expect(MASK).toBe('••••••••');
  });
});
