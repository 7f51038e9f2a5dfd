import { describe, expect, it } from 'vitest';
import { browserOf, osOf, sessionInfoRows } from '../../../widget/agent/session-info.js';
import { JOIN_MESSAGES } from '../../../widget/i18n/join-messages.js';
import { createTranslator } from '../../../widget/i18n/translate.js';

const UA = {
  chromeLinux: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36',
  headless: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/126.0.0.0 Safari/537.36',
  edgeWindows: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.2592.56',
  firefoxMac: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14.5; rv:127.0) Gecko/20100101 Firefox/127.0',
  safariIphone: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
  chromeAndroid: 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.6478.71 Mobile Safari/537.36',
};

describe('session info', () => {
  it.each([
    ['chromeLinux', 'Chrome 126', 'Linux'],
    ['headless', 'Chrome 126 (headless)', 'Linux'],
    ['edgeWindows', 'Edge 126', 'Windows 10/11'],
    ['firefoxMac', 'Firefox 127', 'macOS 14.5'],
    ['safariIphone', 'Safari 17.5', 'iOS 17.5'],
    ['chromeAndroid', 'Chrome 126', 'Android 14'],
  ] as const)('reads %s as %s on %s', (key, browser, os) => {
    const found = browserOf(UA[key])!;
    expect(found.headless ? `${found.name} (headless)` : found.name).toBe(browser);
    expect(osOf(UA[key])).toBe(os);
  });

  it('falls back to the platform, then to nothing known', () => {
    expect(osOf('SomeBot/1.0', 'FreeBSD')).toBe('FreeBSD');
    expect(browserOf('')).toBeNull();
    expect(browserOf('SomeBot/1.0')).toBeNull();
    expect(osOf('')).toBeNull();
  });

  it('shows the live viewport over the one sent at hello, and "unknown" for what an old widget did not send', () => {
    const rows = sessionInfoRows({ url: 'https://a.example/', title: '', userAgent: UA.chromeLinux, language: 'fr', viewport: { width: 1, height: 1 } }, { width: 800, height: 600 }, createTranslator(JOIN_MESSAGES, 'en').t);
    const value = (key: string) => rows.find((r) => r.key === key)?.value;
    expect(value('viewport')).toBe('800 × 600');
    expect(value('title')).toBe('(untitled)');
    expect(value('timezone')).toBe('unknown');
    expect(value('language')).toBe('fr');
  });

  it('speaks the agent’s language: labels and "unknown", "(untitled)", "(headless)" from the join page’s catalogue', () => {
    const { t } = createTranslator(JOIN_MESSAGES, 'de');
    const rows = sessionInfoRows({ url: 'https://a.example/', title: '', userAgent: UA.headless, language: '' }, null, t);
    const row = (key: string) => rows.find((r) => r.key === key)!;
    expect(row('title')).toEqual({ key: 'title', label: 'Titel', value: '(ohne Titel)' });
    expect(row('browser').value).toBe('Chrome 126 (headless)');
    expect(row('viewport').value).toBe('unbekannt');
    expect(row('timezone')).toEqual({ key: 'timezone', label: 'Zeitzone', value: 'unbekannt' });
    expect(sessionInfoRows({ url: 'https://a.example/', title: 'Shop', userAgent: UA.headless, language: 'ja' }, null, createTranslator(JOIN_MESSAGES, 'ja').t).find((r) => r.key === 'browser')!.value).toBe('Chrome 126（ヘッドレス）');
  });
});
