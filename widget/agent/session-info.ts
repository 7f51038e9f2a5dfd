import type { PageInfo, Size } from '../protocol/index.js';

/** The Session panel's rows: what a support agent asks first ("which browser? which page?"). */
export interface SessionInfoRow {
  key: 'url' | 'title' | 'browser' | 'os' | 'viewport' | 'language' | 'timezone';
  label: string;
  value: string;
}

export function sessionInfoRows(page: PageInfo, viewport: Size | null): SessionInfoRow[] {
  const size = viewport ?? page.viewport;
  return [
    { key: 'url', label: 'Page', value: page.url },
    { key: 'title', label: 'Title', value: page.title || '(untitled)' },
    { key: 'browser', label: 'Browser', value: browserOf(page.userAgent) },
    { key: 'os', label: 'OS', value: osOf(page.userAgent, page.platform) },
    { key: 'viewport', label: 'Viewport', value: size ? `${Math.round(size.width)} × ${Math.round(size.height)}` : 'unknown' },
    { key: 'language', label: 'Language', value: page.language || 'unknown' },
    { key: 'timezone', label: 'Time zone', value: page.timeZone || 'unknown' },
  ];
}

/** "Chrome 126", "Firefox 127", "Safari 17.5", "Edge 126"; order matters (Edge says Chrome, Chrome says Safari). */
export function browserOf(ua: string): string {
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
    if (match) return `${name} ${match[1]}${/HeadlessChrome/.test(ua) && name === 'Chrome' ? ' (headless)' : ''}`;
  }
  return ua ? 'Unknown browser' : 'unknown';
}

export function osOf(ua: string, platform?: string): string {
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
  return platform || 'unknown';
}
