import type { JoinKey } from '../i18n/join-en.js';
import type { PageInfo, Size, Transport } from '../protocol/index.js';

/** The Session panel's rows: what a support agent asks first ("which browser? which page?"). */
export interface SessionInfoRow {
  key: 'url' | 'title' | 'browser' | 'os' | 'viewport' | 'language' | 'timezone' | 'transport';
  label: string;
  value: string;
}

const LABELS: Record<Exclude<SessionInfoRow['key'], 'transport'>, JoinKey> = { url: 'infoUrl', title: 'infoTitle', browser: 'infoBrowser', os: 'infoOs', viewport: 'infoViewport', language: 'infoLanguage', timezone: 'infoTimezone' };

/** The rows in the agent's language (`t` is the join page's translator). */
/** `transport`: how the live session runs (Direct, or Relayed (encrypted)); a recording has none. */
export function sessionInfoRows(page: PageInfo, viewport: Size | null, t: (key: JoinKey, vars?: Record<string, string | number>) => string, transport?: Transport): SessionInfoRow[] {
  const size = viewport ?? page.viewport;
  const unknown = t('infoUnknown');
  const browser = browserOf(page.userAgent);
  const values: Record<Exclude<SessionInfoRow['key'], 'transport'>, string> = {
    url: page.url,
    title: page.title || t('infoUntitled'),
    browser: browser ? (browser.headless ? t('infoHeadless', { browser: browser.name }) : browser.name) : unknown,
    os: osOf(page.userAgent, page.platform) ?? unknown,
    viewport: size ? `${Math.round(size.width)} × ${Math.round(size.height)}` : unknown,
    language: page.language || unknown,
    timezone: page.timeZone || unknown,
  };
  const rows: SessionInfoRow[] = (Object.keys(LABELS) as (keyof typeof values)[]).map((key) => ({ key, label: t(LABELS[key]), value: values[key] }));
  if (transport) rows.push({ key: 'transport', label: t('infoTransport'), value: t(transport === 'relayed' ? 'transportRelayed' : 'transportDirect') });
  return rows;
}

/**
 * "Chrome 126", "Firefox 127", "Safari 17.5", "Edge 126" (product names, the same in every
 * language), or null when the user agent names none; order matters (Edge says Chrome, Chrome says Safari).
 */
export function browserOf(ua: string): { name: string; headless: boolean } | null {
  const rules: [string, RegExp][] = [
    ['Edge', /Edg(?:e|A|iOS)?\/(\d+)/],
    ['Opera', /OPR\/(\d+)/],
    ['Samsung Internet', /SamsungBrowser\/(\d+)/],
    ['Firefox', /(?:Firefox|FxiOS)\/(\d+)/],
    ['Chrome', /(?:HeadlessChrome|Chrome|CriOS)\/(\d+)/],
    ['Safari', /Version\/(\d+(?:\.\d+)?).*Safari\//],
  ];
  for (const [name, pattern] of rules) {
    const match = pattern.exec(ua);
    if (match) return { name: `${name} ${match[1]}`, headless: name === 'Chrome' && /HeadlessChrome/.test(ua) };
  }
  return null;
}

/** "Windows 10/11", "iOS 17.5", "Android 14", … or null when neither the user agent nor the platform says. */
export function osOf(ua: string, platform?: string): string | null {
  const windows = /Windows NT (\d+\.\d+)/.exec(ua);
  if (windows) return windows[1] === '10.0' ? 'Windows 10/11' : `Windows NT ${windows[1]}`;
  const ios = /(?:iPhone|iPad|iPod).*? OS (\d+)[_.](\d+)/.exec(ua);
  if (ios) return `iOS ${ios[1]}.${ios[2]}`;
  const mac = /Mac OS X (\d+)[_.](\d+)/.exec(ua);
  if (mac) return `macOS ${mac[1]}.${mac[2]}`;
  const android = /Android (\d+(?:\.\d+)?)/.exec(ua);
  if (android) return `Android ${android[1]}`;
  if (/CrOS/.test(ua)) return 'ChromeOS';
  if (/Linux/.test(ua)) return 'Linux';
  return platform || null;
}
