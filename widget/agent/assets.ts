import type { HostMessage } from '../protocol/index.js';

type Asset = Extract<HostMessage, { type: 'asset' }>;

/**
 * Files the customer's browser sent because the agent's could not load them, kept as blob: URLs
 * (one per content hash, so the same bytes under two URLs are stored once) and swapped into the
 * mirror wherever the page used the original URL.
 */
export class AssetCache {
  private readonly byUrl = new Map<string, string>();
  private readonly byHash = new Map<string, string>();

  constructor(private readonly documents: () => Document[]) {}

  add(asset: Asset): void {
    let blobUrl = this.byHash.get(asset.hash);
    if (!blobUrl) {
      let bytes: Uint8Array<ArrayBuffer>;
      try {
        bytes = Uint8Array.from(atob(asset.base64), (c) => c.charCodeAt(0));
      } catch {
        return console.warn(`[coview] ignored a file that was not valid base64: ${asset.url}`);
      }
      // Only what the page can show: images and fonts. Anything else is never given a URL.
      if (!/^(image\/(?!svg)|font\/|application\/(font|x-font|octet-stream|vnd\.ms-fontobject))/.test(asset.mime)) {
        return console.warn(`[coview] ignored a ${asset.mime} file: ${asset.url}`);
      }
      blobUrl = URL.createObjectURL(new Blob([bytes], { type: asset.mime }));
      this.byHash.set(asset.hash, blobUrl);
    }
    this.byUrl.set(asset.url, blobUrl);
    this.documents().forEach((doc) => this.rewrite(doc));
  }

  /** Points images and stylesheets under `root` at the files we hold. */
  rewrite(root: Node): void {
    if (this.byUrl.size === 0) return;
    // A stylesheet's text can arrive apart from its <style> (a snapshot part may end in between).
    if (root.nodeType === Node.TEXT_NODE && root.parentNode?.nodeName === 'STYLE') return this.rewriteText(root as Text);
    if (root.nodeType !== Node.ELEMENT_NODE && root.nodeType !== Node.DOCUMENT_NODE) return;
    const scope = root as Element | Document;
    const images = [...(scope.nodeName === 'IMG' ? [scope as HTMLImageElement] : []), ...Array.from(scope.querySelectorAll('img'))];
    for (const img of images) {
      const local = this.byUrl.get(img.getAttribute('src') ?? '') ?? this.byUrl.get(img.currentSrc);
      if (!local) continue;
      img.removeAttribute('srcset');
      img.src = local;
    }
    const styles = [...(scope.nodeName === 'STYLE' ? [scope as Element] : []), ...Array.from(scope.querySelectorAll('style'))];
    for (const style of styles) {
      for (const text of Array.from(style.childNodes)) if (text.nodeType === Node.TEXT_NODE) this.rewriteText(text as Text);
    }
  }

  private rewriteText(text: Text): void {
    const rewritten = this.rewriteCss(text.data);
    if (rewritten !== text.data) text.data = rewritten;
  }

  rewriteCss(css: string): string {
    let out = css;
    for (const [url, local] of this.byUrl) if (out.includes(url)) out = out.split(url).join(local);
    return out;
  }
}
