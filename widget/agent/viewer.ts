import { adaptCssForReplay, buildNodeWithSN, createCache, createMirror, rebuildIntoSandboxedIframe, type BuildCache, type Mirror } from 'rrweb-snapshot';
import { NodeKind, type HostMessage, type SerializedNode, type Size } from '../protocol/index.js';
import { AssetCache } from './assets.js';
import { sanitizeHostMessage } from './sanitize.js';

// rrweb-snapshot's own node type; our protocol's SerializedNode is its validated wire form.
type RrwebNode = Parameters<typeof buildNodeWithSN>[0];

/**
 * Shows the customer's page to the agent: rebuilt from the snapshot inside an iframe sandboxed
 * to `allow-same-origin` only (no host script can run), kept current by applying each change by
 * node id, scaled to fit the agent's window, with the customer's pointer drawn over it.
 */
export class Viewer {
  private readonly screen: HTMLDivElement;
  private readonly pointer: HTMLDivElement;
  private iframe: HTMLIFrameElement | null = null;
  private mirror: Mirror = createMirror();
  private cache: BuildCache = createCache();
  private viewport: Size = { width: 1280, height: 720 };
  private frozen = false;
  private readonly resizeObserver: ResizeObserver;

  private readonly assets: AssetCache;
  private lastScroll = { x: 0, y: 0 };
  /** A snapshot is arriving in parts; what is on screen is its beginning. */
  private loading = false;
  private hovered: Element[] = [];
  private focused: Element | null = null;

  constructor(
    private readonly stage: HTMLElement,
    private readonly onFirstRender: () => void = () => {},
    /** A page file the agent's browser failed to load (the customer's browser can send it). */
    private readonly onAssetNeeded: (url: string) => void = () => {},
    /** The whole page is in (the last part of a snapshot has been shown). */
    private readonly onSnapshotComplete: () => void = () => {},
  ) {
    this.assets = new AssetCache(() => this.documents());
    const doc = stage.ownerDocument;
    this.screen = doc.createElement('div');
    this.screen.className = 'coview-screen';
    Object.assign(this.screen.style, { position: 'absolute', left: '0', top: '0', transformOrigin: '0 0', overflow: 'hidden' });
    this.pointer = doc.createElement('div');
    this.pointer.className = 'coview-host-pointer';
    this.pointer.setAttribute('aria-hidden', 'true');
    this.pointer.innerHTML = POINTER_SVG;
    Object.assign(this.pointer.style, { position: 'absolute', left: '0', top: '0', zIndex: '2', pointerEvents: 'none', display: 'none', transition: 'transform 60ms linear' });
    this.screen.append(this.pointer);
    stage.append(this.screen);
    this.resizeObserver = new ResizeObserver(() => this.fit());
    this.resizeObserver.observe(stage);
  }

  /** Stops applying changes; what is shown stays on screen. */
  freeze(): void {
    this.frozen = true;
  }

  /** Shows another moment (time travel): a snapshot rebuilds, changes apply; drawn even when frozen. */
  show(messages: HostMessage[]): void {
    const frozen = this.frozen;
    this.frozen = false;
    try {
      for (const message of messages) this.apply(message);
    } finally {
      this.frozen = frozen;
    }
  }

  destroy(): void {
    this.resizeObserver.disconnect();
    this.screen.remove();
  }

  /** The id the customer's page gave a mirrored node (-1 if none): agent tools name elements by it. */
  nodeId(node: Node): number {
    return this.mirror.getId(node);
  }

  apply(raw: HostMessage): void {
    if (this.frozen) return;
    const message = sanitizeHostMessage(raw);
    switch (message.type) {
      case 'snapshot':
        this.loading = false;
        this.rebuild(message.node, message.viewport, message.scroll);
        return this.onSnapshotComplete();
      case 'mutation':
        return this.applyMutation(message);
      case 'input': {
        const el = this.mirror.getNode(message.id);
        if (!el || !('value' in el)) return;
        (el as HTMLInputElement).value = message.value;
        if (message.checked !== undefined) (el as HTMLInputElement).checked = message.checked;
        return;
      }
      case 'scroll': {
        const target = this.mirror.getNode(message.id);
        if (!target) return;
        if (target === this.iframe?.contentDocument) this.lastScroll = { x: message.x, y: message.y };
        if (target.nodeType === Node.DOCUMENT_NODE) (target as Document).defaultView?.scrollTo(message.x, message.y);
        else (target as Element).scrollTo?.(message.x, message.y);
        return;
      }
      case 'viewport':
        this.viewport = { width: message.width, height: message.height };
        return this.fit();
      case 'pointer':
        this.pointer.style.display = 'block';
        this.pointer.style.transform = `translate(${message.x}px, ${message.y}px)`;
        return this.hover(message.hover);
      case 'click':
        return this.ripple(message.x, message.y);
      case 'stylesheet':
        return this.applyStylesheet(message.id, message.cssText);
      case 'adopted-styles':
        return this.applyAdopted(message.id, message.sheets);
      case 'canvas':
        return this.paintCanvas(message.id, message.dataUrl);
      case 'media':
        return this.syncMedia(message);
      case 'focus':
        return this.focus(message.id);
      case 'selection':
        return this.select(message.ranges);
      case 'asset':
        return this.assets.add(message);
      case 'asset-missing':
        return console.info(`[coview] the customer's browser could not send ${message.url}: ${message.reason}`);
      case 'snapshot-part':
        return this.applyPart(message);
      case 'hello':
      case 'end':
        return;
    }
  }

  /** The viewer's own marks in the mirror (the customer's focus), kept out of the page's DOM. */
  private viewerSheet(win: Window & typeof globalThis): CSSStyleSheet {
    let sheet = this.viewerSheets.get(win);
    if (!sheet) {
      sheet = new win.CSSStyleSheet();
      sheet.replaceSync('[data-coview-focus] { outline: 2px solid #f97316 !important; outline-offset: 2px !important; }');
      this.viewerSheets.set(win, sheet);
    }
    return sheet;
  }
  private readonly viewerSheets = new WeakMap<Window, CSSStyleSheet>();

  /** The mirror's documents: the page's and those of its frames. */
  private documents(): Document[] {
    const top = this.iframe?.contentDocument;
    if (!top) return [];
    const docs = [top];
    for (let i = 0; i < docs.length; i++) {
      docs[i]!.querySelectorAll('iframe').forEach((frame) => {
        const doc = frame.contentDocument;
        if (doc) docs.push(doc);
      });
    }
    return docs;
  }

  private rebuild(node: SerializedNode, viewport: Size, scroll: { x: number; y: number }): void {
    const first = this.iframe === null;
    this.iframe?.remove();
    this.mirror = createMirror();
    this.cache = createCache();
    this.viewport = viewport;
    this.hovered = [];
    this.focused = null;
    // Frame documents are built into their <iframe> once it exists, not inline (rrweb would
    // reopen the outer document for them).
    const frames = takeFrameDocuments(node);
    const { iframe } = rebuildIntoSandboxedIframe(node as RrwebNode, {
      root: this.screen,
      mirror: this.mirror,
      cache: this.cache,
      hackCss: true,
      iframeAttributes: { 'data-coview-frame': '', title: "Customer's page", tabindex: '-1' },
    });
    Object.assign(iframe.style, { border: '0', width: '100%', height: '100%', display: 'block', background: '#fff' });
    this.iframe = iframe;
    const doc = iframe.contentDocument!;
    // rrweb-snapshot leaves the rebuilt document open for writing; finish it like a parsed page.
    doc.close();
    this.prepare(doc);
    for (const frame of frames) this.buildFrameDocument(frame.frameId, frame.doc);
    putBack(frames);
    this.assets.rewrite(doc);
    this.fit();
    this.lastScroll = scroll;
    iframe.contentWindow?.scrollTo(scroll.x, scroll.y);
    if (first) this.onFirstRender();
  }

  /** What every mirrored document needs: no navigation, and a way to ask for files it cannot load. */
  private prepare(doc: Document): void {
    // The mirror is for looking, not navigating: links and forms must not take the agent anywhere.
    doc.addEventListener('click', (event) => event.preventDefault(), true);
    doc.addEventListener('submit', (event) => event.preventDefault(), true);
    doc.addEventListener(
      'error',
      (event) => {
        const target = event.target as Element | null;
        if (target?.nodeName !== 'IMG') return;
        const src = (target as HTMLImageElement).currentSrc || (target as HTMLImageElement).src;
        if (/^https?:/i.test(src)) this.onAssetNeeded(src);
      },
      true,
    );
    const win = doc.defaultView as (Window & typeof globalThis) | null;
    if (win) doc.adoptedStyleSheets = [...doc.adoptedStyleSheets, this.viewerSheet(win)];
  }

  private buildFrameDocument(frameId: number, node: SerializedNode): void {
    const frame = this.mirror.getNode(frameId) as HTMLIFrameElement | null;
    const doc = frame?.nodeName === 'IFRAME' ? frame.contentDocument : null;
    if (!doc) return;
    const nested = takeFrameDocuments(node);
    try {
      buildNodeWithSN(node as RrwebNode, { doc, mirror: this.mirror, hackCss: true, cache: this.cache });
      doc.close();
    } catch (error) {
      return console.warn('[coview] could not rebuild a frame', error);
    }
    this.prepare(doc);
    for (const inner of nested) this.buildFrameDocument(inner.frameId, inner.doc);
    putBack(nested);
  }

  private applyMutation(message: Extract<HostMessage, { type: 'mutation' }>): void {
    const doc = this.iframe?.contentDocument;
    if (!doc) return;
    for (const id of message.removes) {
      // Already gone with a removed ancestor: removing is idempotent.
      const node = this.mirror.getNode(id);
      if (!node) continue;
      node.parentNode?.removeChild(node);
      this.mirror.removeNodeFromMap(node);
    }
    for (const add of message.adds) this.insert(add.parentId, add.nextId, add.node, doc);
    for (const change of message.attributes) {
      // nodeType, not instanceof: the node belongs to the iframe's realm.
      const el = this.mirror.getNode(change.id);
      if (el?.nodeType === Node.ELEMENT_NODE) setAttributeSafely(el as Element, change.name, change.value);
    }
    for (const change of message.texts) {
      const node = this.mirror.getNode(change.id);
      if (!node) continue;
      const inStyle = node.parentNode?.nodeName === 'STYLE';
      node.textContent = inStyle ? this.assets.rewriteCss(adaptCssForReplay(change.value, this.cache)) : change.value;
    }
    // New content can make the page taller than when the customer's scroll position arrived.
    const win = this.iframe?.contentWindow;
    if (win && (win.scrollX !== this.lastScroll.x || win.scrollY !== this.lastScroll.y)) win.scrollTo(this.lastScroll.x, this.lastScroll.y);
  }

  /** Puts a serialized subtree under `parentId`, before `nextId` (or last); false if its parent is unknown. */
  private insert(parentId: number, nextId: number | null, node: SerializedNode, doc: Document): boolean {
    // A change for a node this view does not have (a hostile or out-of-sync peer) is skipped, never thrown.
    const parent = this.mirror.getNode(parentId);
    if (!parent) return false;
    // A frame's new document.
    if (node.type === NodeKind.Document) {
      this.buildFrameDocument(parentId, node);
      return true;
    }
    // Sent again (it moved while the snapshot was being taken): the newer copy wins.
    const stale = this.mirror.getNode(node.id);
    if (stale) {
      stale.parentNode?.removeChild(stale);
      this.mirror.removeNodeFromMap(stale);
    }
    const frames = takeFrameDocuments(node);
    try {
      const built = this.build(node, parent.ownerDocument ?? doc);
      if (!built) return true;
      const next = nextId === null ? null : this.mirror.getNode(nextId);
      let container: Node = parent;
      if (node.isShadow && parent.nodeType === Node.ELEMENT_NODE) {
        const host = parent as Element;
        container = host.shadowRoot ?? host.attachShadow({ mode: 'open' });
      }
      container.insertBefore(built, next && next.parentNode === container ? next : null);
      for (const frame of frames) this.buildFrameDocument(frame.frameId, frame.doc);
      this.assets.rewrite(built);
    } catch (error) {
      console.warn('[coview] could not insert a node', error);
    } finally {
      putBack(frames);
    }
    return true;
  }

  /**
   * A snapshot shown as it arrives: the first part (the top of the page, styles first) is on
   * screen while the rest is still being serialized, so a 100k-node page does not keep the agent
   * waiting for its last node. Nodes are linked into subtrees per part and built with rrweb.
   */
  private applyPart(part: Extract<HostMessage, { type: 'snapshot-part' }>): void {
    const byId = new Map<number, SerializedNode>();
    const tops: { parentId: number | null; node: SerializedNode }[] = [];
    for (const { parentId, node } of part.nodes) {
      // Copies: the message itself stays as it came (a timeline may keep it).
      const copy: SerializedNode = { ...node, childNodes: [] };
      byId.set(node.id, copy);
      const parent = parentId === null ? undefined : byId.get(parentId);
      if (parent) parent.childNodes!.push(copy);
      else tops.push({ parentId, node: copy });
    }
    for (const top of tops) {
      if (top.parentId === null) {
        this.rebuild(top.node, part.viewport ?? this.viewport, part.scroll ?? { x: 0, y: 0 });
        this.loading = true;
        // Automation API: the mirror is on screen but the rest of the page is still arriving.
        this.iframe?.setAttribute('data-coview-loading', '');
      } else if (this.loading && this.iframe?.contentDocument) {
        this.insert(top.parentId, null, top.node, this.iframe.contentDocument);
      }
    }
    if (part.done && this.loading) {
      this.loading = false;
      this.iframe?.removeAttribute('data-coview-loading');
      if (part.viewport) this.viewport = part.viewport;
      this.fit();
      if (part.scroll) {
        this.lastScroll = part.scroll;
        this.iframe?.contentWindow?.scrollTo(part.scroll.x, part.scroll.y);
      }
      this.onSnapshotComplete();
    }
  }

  private applyStylesheet(id: number, cssText: string): void {
    const el = this.mirror.getNode(id) as Element | null;
    const css = this.assets.rewriteCss(adaptCssForReplay(cssText, this.cache));
    if (el?.nodeName === 'STYLE') {
      const only = el.childNodes.length === 1 ? el.firstChild : null;
      if (only?.nodeType === Node.TEXT_NODE) (only as Text).data = css;
      else el.textContent = css;
    } else if (el?.nodeName === 'LINK') {
      // A sheet the agent may not be able to load itself: its rules, as a local file.
      const link = el as HTMLLinkElement;
      if (link.href.startsWith('blob:')) URL.revokeObjectURL(link.href);
      link.href = URL.createObjectURL(new Blob([css], { type: 'text/css' }));
    }
  }

  private applyAdopted(id: number, texts: string[]): void {
    const target = this.mirror.getNode(id);
    const root = target?.nodeType === Node.DOCUMENT_NODE ? (target as Document) : ((target as Element | null)?.shadowRoot ?? null);
    const win = (root?.nodeType === Node.DOCUMENT_NODE ? (root as Document) : root?.ownerDocument)?.defaultView as (Window & typeof globalThis) | null | undefined;
    if (!root || !win) return;
    const sheets = texts.map((text) => {
      const sheet = new win.CSSStyleSheet();
      sheet.replaceSync(this.assets.rewriteCss(adaptCssForReplay(text, this.cache)));
      return sheet;
    });
    root.adoptedStyleSheets = root.nodeType === Node.DOCUMENT_NODE ? [...sheets, this.viewerSheet(win)] : sheets;
  }

  private paintCanvas(id: number, dataUrl: string): void {
    const canvas = this.mirror.getNode(id) as HTMLCanvasElement | null;
    if (canvas?.nodeName !== 'CANVAS' || !/^data:image\/(png|webp|jpeg);base64,/.test(dataUrl)) return;
    const image = new Image();
    image.onload = () => {
      const context = canvas.getContext('2d');
      if (!context) return;
      context.clearRect(0, 0, canvas.width, canvas.height);
      context.drawImage(image, 0, 0, canvas.width, canvas.height);
    };
    image.src = dataUrl;
  }

  private syncMedia(state: Extract<HostMessage, { type: 'media' }>): void {
    const el = this.mirror.getNode(state.id) as HTMLMediaElement | null;
    if (el?.nodeName !== 'VIDEO' && el?.nodeName !== 'AUDIO') return;
    // The agent watches; sound stays with the customer (and muted media may autoplay).
    el.muted = true;
    el.dataset.coviewMuted = String(state.muted);
    if (Math.abs(el.currentTime - state.time) > 0.5) el.currentTime = state.time;
    el.playbackRate = state.rate;
    if (state.paused) el.pause();
    else void el.play().catch(() => {});
  }

  /** Marks the element under the customer's pointer and its ancestors, for rrweb's `:hover` rewrite. */
  private hover(id: number | undefined): void {
    const el = id === undefined ? null : (this.mirror.getNode(id) as Element | null);
    const chain: Element[] = [];
    for (let node: Node | null = el; node; node = node.parentNode ?? (node as ShadowRoot).host ?? null) {
      if (node.nodeType === Node.ELEMENT_NODE) chain.push(node as Element);
    }
    if (chain.length === this.hovered.length && chain.every((node, i) => node === this.hovered[i])) return;
    this.hovered.forEach((node) => node.classList.remove(':hover'));
    chain.forEach((node) => node.classList.add(':hover'));
    this.hovered = chain;
  }

  private focus(id: number | null): void {
    this.focused?.removeAttribute('data-coview-focus');
    const el = id === null ? null : (this.mirror.getNode(id) as Element | null);
    this.focused = el?.nodeType === Node.ELEMENT_NODE ? el : null;
    this.focused?.setAttribute('data-coview-focus', '');
  }

  private select(ranges: Extract<HostMessage, { type: 'selection' }>['ranges']): void {
    const doc = this.iframe?.contentDocument;
    const range = ranges[0];
    const selection = doc?.getSelection();
    if (!doc || !selection) return;
    if (!range) return selection.removeAllRanges();
    const start = this.mirror.getNode(range.start);
    const end = this.mirror.getNode(range.end);
    if (!start || !end) return;
    try {
      selection.setBaseAndExtent(start, range.startOffset, end, range.endOffset);
    } catch {
      // Offsets past the end of a node that changed since: keep the old selection.
    }
  }

  private build(node: SerializedNode, doc: Document): Node | null {
    try {
      return buildNodeWithSN(node as RrwebNode, { doc, mirror: this.mirror, hackCss: true, cache: this.cache });
    } catch (error) {
      console.warn('[coview] could not rebuild a node', error);
      return null;
    }
  }

  /** Scales the customer's viewport to the largest size that fits the agent's stage. */
  private fit(): void {
    const { width, height } = this.viewport;
    const scale = Math.min(this.stage.clientWidth / width, this.stage.clientHeight / height) || 1;
    const left = Math.max(0, (this.stage.clientWidth - width * scale) / 2);
    Object.assign(this.screen.style, { width: `${width}px`, height: `${height}px`, transform: `translate(${left}px, 0) scale(${scale})` });
  }

  private ripple(x: number, y: number): void {
    const dot = this.screen.ownerDocument.createElement('div');
    dot.className = 'coview-click-ripple';
    Object.assign(dot.style, { position: 'absolute', left: `${x - 15}px`, top: `${y - 15}px`, width: '30px', height: '30px', borderRadius: '50%', border: '3px solid #f97316', zIndex: '2', pointerEvents: 'none' });
    this.screen.append(dot);
    dot.animate?.([{ transform: 'scale(0.3)', opacity: 1 }, { transform: 'scale(1.6)', opacity: 0 }], { duration: 600, easing: 'ease-out' });
    setTimeout(() => dot.remove(), 650);
  }
}

interface FrameDocument { frameId: number; doc: SerializedNode; owner: SerializedNode }

/**
 * Detaches the documents of frames from a serialized subtree, to be built into their <iframe>
 * elements once those exist. `putBack` restores the message as it was (a timeline may replay it).
 */
function takeFrameDocuments(root: SerializedNode): FrameDocument[] {
  const found: FrameDocument[] = [];
  const visit = (node: SerializedNode) => {
    if (!node.childNodes) return;
    if (node.type === NodeKind.Element && node.tagName === 'iframe') {
      const docs = node.childNodes.filter((child) => child.type === NodeKind.Document);
      if (docs.length) {
        node.childNodes = node.childNodes.filter((child) => child.type !== NodeKind.Document);
        docs.forEach((doc) => found.push({ frameId: node.id, doc, owner: node }));
      }
    }
    node.childNodes.forEach(visit);
  };
  visit(root);
  return found;
}

function putBack(frames: FrameDocument[]): void {
  for (const frame of frames) frame.owner.childNodes?.push(frame.doc);
}

function setAttributeSafely(el: Element, name: string, value: string | null): void {
  // Event-handler attributes never reach the mirror (the sandbox would block them anyway).
  if (/^on/i.test(name)) return;
  try {
    if (value === null) el.removeAttribute(name);
    else el.setAttribute(name, value);
  } catch {
    // An attribute name the DOM refuses (e.g. from a hostile page): skip it, keep the rest.
  }
}

const POINTER_SVG =
  '<svg width="22" height="22" viewBox="0 0 22 22"><path d="M2 2l7 18 2.6-7.4L19 10z" fill="#f97316" stroke="#fff" stroke-width="1.5" stroke-linejoin="round"/></svg>';
