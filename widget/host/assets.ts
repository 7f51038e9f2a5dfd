import type { HostMessage } from '../protocol/index.js';
import { sourcesOf, type Privacy } from './privacy.js';

/** Larger files are not worth a data channel (and are rarely what is missing). */
export const MAX_ASSET_BYTES = 5 * 1024 * 1024;

/**
 * Files the agent's browser cannot load itself (behind the customer's login cookies, on their
 * localhost or VPN) are fetched by the customer's browser and sent over the data channel.
 *
 * Only files the mirror itself shows under the site's rule are served — an <img> the rule shows
 * or a font in the page's stylesheets — and only images and fonts: an agent cannot use this to
 * read any other URL with the customer's cookies, nor a blocked or masked picture.
 *
 * `url` is the address as the agent has it, which is the wire form (`privacy.url` in the
 * resource role: secret-looking query values and path segments redacted). A redacted URL cannot
 * be loaded by the agent's browser, so this is how it gets such a file: the page's own reference
 * whose wire form is `url` is found, and the real address is fetched.
 */
export async function fetchPageAsset(doc: Document, url: string, privacy: Privacy): Promise<Extract<HostMessage, { type: 'asset' | 'asset-missing' }>> {
  const missing = (reason: string) => ({ type: 'asset-missing' as const, url, reason });
  if (!/^https?:/i.test(url)) return missing('Only http(s) files are sent.');
  const reference = pageReferenceOf(doc, url, privacy);
  if (!reference) return missing('The page does not show this file.');
  const { kind, source } = reference;
  let response: Response;
  try {
    response = await fetch(source, { credentials: 'include' });
  } catch {
    try {
      // A cross-origin file without CORS for credentials may still be readable without them.
      response = await fetch(source, { credentials: 'same-origin' });
    } catch {
      return missing('The customer\'s browser could not read this file (cross-origin).');
    }
  }
  if (!response.ok) return missing(`The customer's browser got HTTP ${response.status}.`);
  const mime = (response.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (kind === 'image' && !mime.startsWith('image/')) return missing(`Not an image (${mime || 'no type'}).`);
  if (kind === 'font' && !(mime.startsWith('font/') || mime.includes('font') || mime === 'application/octet-stream')) return missing(`Not a font (${mime || 'no type'}).`);
  const bytes = new Uint8Array(await response.arrayBuffer());
  if (bytes.length > MAX_ASSET_BYTES) return missing(`Larger than ${MAX_ASSET_BYTES} bytes.`);
  return { type: 'asset', url, hash: await contentHash(bytes), mime, base64: toBase64(bytes) };
}

/**
 * Fonts the page's stylesheets use that the agent's browser may not load: same-origin ones
 * (behind the customer's login, on their localhost) and, given the rule, any whose wire URL was
 * redacted (a signed font URL). Sent up front, since an agent cannot tell a font failed.
 */
export function pageFontUrls(doc: Document, privacy?: Privacy): string[] {
  const urls = new Set<string>();
  const origin = doc.defaultView?.location.origin;
  const visit = (rules: CSSRuleList) => {
    for (const rule of Array.from(rules)) {
      if (rule.constructor.name === 'CSSFontFaceRule' || rule.type === 5) {
        const src = (rule as CSSFontFaceRule).style.getPropertyValue('src');
        for (const match of src.matchAll(/url\(\s*(['"]?)([^'")]+)\1\s*\)/g)) {
          try {
            const url = new URL(match[2]!, (rule.parentStyleSheet?.href ?? doc.baseURI) || doc.baseURI);
            if (url.origin === origin || (privacy && privacy.url(url.href, doc, 'resource') !== url.href)) urls.add(url.href);
          } catch {
            // Not a URL: nothing to send.
          }
        }
      } else if ('cssRules' in rule) {
        visit((rule as CSSGroupingRule).cssRules);
      }
    }
  };
  for (const sheet of [...Array.from(doc.styleSheets), ...(doc.adoptedStyleSheets ?? [])]) {
    try {
      visit(sheet.cssRules);
    } catch {
      // A cross-origin sheet we cannot read; the agent loads it (and its fonts) itself.
    }
  }
  return [...urls];
}

/**
 * The page's own reference whose wire URL is `url`: each shown picture's current source, src and
 * srcset candidates (its <picture>'s too: the agent's browser may pick another one), and each
 * font, put through the same redaction the snapshot used (`privacy.url`, resource role).
 */
function pageReferenceOf(doc: Document, url: string, privacy: Privacy): { kind: 'image' | 'font'; source: string } | null {
  // The agent may name it as its attribute has it or as its browser parsed it (img.currentSrc).
  const asked = parsed(url);
  const matches = (source: string) => {
    const wire = privacy.url(source, doc, 'resource');
    return wire === url || parsed(wire) === asked;
  };
  for (const img of Array.from(doc.images)) {
    // The one rule: a picture the mirror does not show (blocked, masked, private mode) is never served.
    if (privacy.decide(img) !== 'show') continue;
    for (const source of sourcesOf(img, doc)) {
      if (matches(source)) return { kind: 'image', source };
    }
  }
  const font = pageFontUrls(doc, privacy).find(matches);
  return font ? { kind: 'font', source: font } : null;
}

function parsed(url: string): string {
  try {
    return new URL(url).href;
  } catch {
    return url;
  }
}

async function contentHash(bytes: Uint8Array): Promise<string> {
  if (globalThis.crypto?.subtle) {
    const digest = await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
    return 'sha256-' + toBase64(new Uint8Array(digest));
  }
  // Insecure (http, non-localhost) pages have no SubtleCrypto; FNV-1a is enough to name a cache entry.
  let hash = 0x811c9dc5;
  for (const byte of bytes) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  return `fnv1a-${hash.toString(16)}-${bytes.length}`;
}

function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}
