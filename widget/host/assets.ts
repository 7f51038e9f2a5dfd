import type { HostMessage } from '../protocol/index.js';
import type { Privacy } from './privacy.js';

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
 * `url` is the address as the agent has it, which is the wire form (`privacy.url`: query values
 * redacted); the file is fetched from the page's own address that has that wire form.
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

/** Same-origin fonts the page's stylesheets use: sent up front, since an agent cannot tell a font failed. */
export function pageFontUrls(doc: Document): string[] {
  const urls = new Set<string>();
  const origin = doc.defaultView?.location.origin;
  const visit = (rules: CSSRuleList) => {
    for (const rule of Array.from(rules)) {
      if (rule.constructor.name === 'CSSFontFaceRule' || rule.type === 5) {
        const src = (rule as CSSFontFaceRule).style.getPropertyValue('src');
        for (const match of src.matchAll(/url\(\s*(['"]?)([^'")]+)\1\s*\)/g)) {
          try {
            const url = new URL(match[2]!, (rule.parentStyleSheet?.href ?? doc.baseURI) || doc.baseURI);
            if (url.origin === origin) urls.add(url.href);
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

function pageReferenceOf(doc: Document, url: string, privacy: Privacy): { kind: 'image' | 'font'; source: string } | null {
  for (const img of Array.from(doc.images)) {
    // The one rule: a picture the mirror does not show (blocked, masked, private mode) is never served.
    if (privacy.decide(img) !== 'show') continue;
    for (const source of [img.currentSrc, img.src]) {
      if (source && privacy.url(source, doc) === url) return { kind: 'image', source };
    }
  }
  const font = pageFontUrls(doc).find((source) => privacy.url(source, doc) === url);
  return font ? { kind: 'font', source: font } : null;
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
