import { adaptCssForReplay, buildNodeWithSN, createCache, createMirror, createSandboxedIframe, type BuildCache, type Mirror } from 'rrweb-snapshot';
import { digestDocumentNow, NodeKind, REDACTED, type Digest, type HostMessage, type SerializedNode, type Size } from '../protocol/index.js';
import { AssetCache } from './assets.js';
import { sanitizeAttribute, sanitizeHostMessage } from './sanitize.js';

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
    /**
     * The view no longer matches the customer's page: a change could not be applied, a part did
     * not fit, or the host's digest disagrees. The session answers with a resync.
     */
    private readonly onDiverged: (reason: string) => void = () => {},
    /** The mirror frame's accessible name, in the agent's language. */
    private readonly frameTitle = "Customer's page",
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
    this.replaying = true;
    try {
      for (const message of messages) this.apply(message);
    } finally {
      this.frozen = frozen;
      this.replaying = false;
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
        this.hover(message.hover);
        return this.onSnapshotComplete();
      case 'digest':
        return this.checkDigest(message);
      case 'mutation':
        return this.applyMutation(message);
      case 'input': {
        const el = this.mirror.getNode(message.id);
        if (!el) return this.diverged(`a field value names node ${message.id}, which the view does not have`);
        if (!('value' in el)) return;
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
      case 'sheet':
        return this.defineSheet(message.sheet, message.cssText);
      case 'adopted-sheets':
        return this.adopt(message.id, (win) => message.sheets.map((number) => this.numberedSheet(number, win)));
      case 'adopted-styles':
        return this.adopt(message.id, (win) => message.sheets.map((text) => this.sheetOfText(text, win)));
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
      sheet.replaceSync(
        '[data-coview-focus] { outline: 2px solid #f97316 !important; outline-offset: 2px !important; }' +
          // A canvas in a document without scripts shows its fallback content, not its bitmap
          // (HTML: "when scripting is disabled, canvas represents its fallback content"): the
          // customer's frames are shown as an image inside it, sized like the canvas would be.
          ':where(canvas) { display: inline-block; }' +
          'img[data-coview-canvas] { display: block !important; width: 100% !important; height: 100% !important; margin: 0 !important; border: 0 !important; }',
      );
      this.viewerSheets.set(win, sheet);
    }
    return sheet;
  }
  private readonly viewerSheets = new WeakMap<Window, CSSStyleSheet>();
  private readonly adoptedSheets = new WeakMap<Window, Map<string, CSSStyleSheet>>();

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

  /** A whole snapshot: a new document, built through the same path as a snapshot's parts. */
  private rebuild(node: SerializedNode, viewport: Size, scroll: { x: number; y: number }): void {
    const doc = this.startDocument(node, viewport, scroll);
    if (!doc) return;
    for (const child of node.childNodes ?? []) this.insert(node.id, null, child);
    this.fit();
    this.scrollTo(scroll);
    this.shown();
  }

  /** Something of the page is on screen: the first time, the join page is told. */
  private shown(): void {
    if (this.everShown) return;
    this.everShown = true;
    this.onFirstRender();
  }
  private everShown = false;

  /**
   * Puts a fresh, empty iframe on screen for the customer's document `node` (its children follow,
   * at once or in later parts). The old iframe goes, and with it every id the view knew.
   */
  private startDocument(node: SerializedNode, viewport: Size, scroll: { x: number; y: number }): Document | null {
    this.iframe?.remove();
    this.iframe = null;
    this.mirror = createMirror();
    this.cache = createCache();
    this.numberedSheets = new Map();
    this.viewport = viewport;
    this.hovered = [];
    this.focused = null;
    this.lastScroll = scroll;
    if (node.type !== NodeKind.Document) {
      this.diverged('a snapshot did not start with a document');
      return null;
    }
    const iframe = createSandboxedIframe({ root: this.screen, iframeAttributes: { 'data-coview-frame': '', title: this.frameTitle, tabindex: '-1' } });
    Object.assign(iframe.style, { border: '0', width: '100%', height: '100%', display: 'block', background: '#fff' });
    this.iframe = iframe;
    const doc = iframe.contentDocument!;
    this.openDocument(doc, node);
    this.fit();
    return doc;
  }

  /**
   * Makes `doc` an empty document in the customer's document mode, known by `node`'s id.
   *
   * The mode (quirks, limited quirks, standards) is decided by the HTML parser from the doctype
   * and never changes afterwards, so the document is written with the page's doctype (the host
   * puts it on the document node) and closed, which finishes parsing, then emptied: the page's
   * own nodes are inserted as DOM. Writing nothing and closing an opened document would give
   * quirks mode and the parser's own <html><head><body>, which is what broke snapshots whose
   * first part ended right after the document node. Done once per document, before anyone
   * listens to it: document.open() removes every listener.
   */
  private openDocument(doc: Document, node: SerializedNode): void {
    const old = this.mirror.getId(doc);
    if (old >= 0) this.mirror.removeNodeFromMap(doc);
    doc.open();
    doc.write(node.name ? doctypeSource(node) : node.compatMode === 'BackCompat' ? '' : '<!DOCTYPE html>');
    doc.close();
    while (doc.firstChild) doc.removeChild(doc.firstChild);
    this.mirror.add(doc, { ...node, childNodes: [] } as RrwebNode);
    // document.open() removed every listener of the document: set them up again.
    this.prepare(doc);
  }

  private scrollTo(scroll: { x: number; y: number }): void {
    this.lastScroll = scroll;
    this.iframe?.contentWindow?.scrollTo(scroll.x, scroll.y);
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
    if (!win) return;
    const sheet = this.viewerSheet(win);
    doc.adoptedStyleSheets = [...doc.adoptedStyleSheets.filter((other) => other !== sheet), sheet];
  }

  /**
   * Pictures whose address the host redacted (a signed URL, a token in the query) cannot load
   * here: asked for over the asset channel at once rather than after the load fails. The file
   * that comes replaces src and srcset (AssetCache); a redacted srcset candidate the browser
   * picks under a plain src is asked for when it fails to load (see `prepare`).
   */
  private askForRedacted(root: Node): void {
    if (root.nodeType !== Node.ELEMENT_NODE) return;
    const scope = root as Element;
    const images = scope.nodeName === 'IMG' ? [scope] : Array.from(scope.getElementsByTagName('img'));
    for (const img of images) {
      const src = img.getAttribute('src') ?? '';
      if (src.includes(REDACTED) && /^https?:/i.test(src)) this.onAssetNeeded(src);
    }
  }

  private applyMutation(message: Extract<HostMessage, { type: 'mutation' }>): void {
    if (!this.iframe?.contentDocument) return;
    for (const id of message.removes) {
      // Already gone with a removed ancestor: removing is idempotent.
      const node = this.mirror.getNode(id);
      if (!node) continue;
      node.parentNode?.removeChild(node);
      this.mirror.removeNodeFromMap(node);
    }
    for (const add of message.adds) this.insert(add.parentId, add.nextId, add.node);
    for (const change of message.attributes) {
      // nodeType, not instanceof: the node belongs to the iframe's realm.
      const el = this.mirror.getNode(change.id);
      if (el?.nodeType !== Node.ELEMENT_NODE) {
        this.diverged(`an attribute change names node ${change.id}, which the view does not have`);
        continue;
      }
      // A nested frame shows only what the customer's page sent: it never loads a page itself, and
      // a refused value is skipped, not removed (removing srcdoc would navigate the frame).
      if ((el.nodeName === 'IFRAME' || el.nodeName === 'FRAME') && /^(src|srcdoc)$/i.test(change.name)) continue;
      // Sanitized with its element's tag, exactly like a snapshot node.
      const safe = change.value === null ? null : sanitizeAttribute((el as Element).tagName, change.name, change.value);
      if (safe === undefined) continue;
      setAttributeSafely(el as Element, change.name, safe === null ? null : String(safe));
      if (el.nodeName === 'IMG' && change.name.toLowerCase() === 'src') this.askForRedacted(el);
      // The page rewrote `class`: the customer's pointer is still over it.
      if (change.name === 'class' && this.hovered.includes(el as Element)) (el as Element).classList.add(':hover');
    }
    for (const change of message.texts) {
      const node = this.mirror.getNode(change.id);
      if (!node) {
        this.diverged(`a text change names node ${change.id}, which the view does not have`);
        continue;
      }
      const inStyle = node.parentNode?.nodeName === 'STYLE';
      node.textContent = inStyle ? this.assets.rewriteCss(adaptCssForReplay(change.value, this.cache)) : change.value;
    }
    // New content can make the page taller than when the customer's scroll position arrived.
    const win = this.iframe?.contentWindow;
    if (win && (win.scrollX !== this.lastScroll.x || win.scrollY !== this.lastScroll.y)) win.scrollTo(this.lastScroll.x, this.lastScroll.y);
  }

  /**
   * Puts a serialized subtree under `parentId`, before `nextId` (or last). The one way nodes get
   * into the view: whole snapshots, snapshot parts, changes and frame documents all come here, so
   * a part that ends anywhere (right after the document node, inside a frame) builds the same DOM.
   */
  private insert(parentId: number, nextId: number | null, node: SerializedNode): void {
    // A change for a node this view does not have (a hostile or out-of-sync peer) is skipped, never thrown.
    const parent = this.mirror.getNode(parentId);
    if (!parent) return this.diverged(`a node was sent under ${parentId}, which the view does not have`);
    if (node.type === NodeKind.Document) return this.insertFrameDocument(parent, node);
    const doc = parent.nodeType === Node.DOCUMENT_NODE ? (parent as Document) : parent.ownerDocument!;
    // Sent again (it moved while the snapshot was being taken): the newer copy wins.
    const stale = this.mirror.getNode(node.id);
    if (stale) {
      stale.parentNode?.removeChild(stale);
      this.mirror.removeNodeFromMap(stale);
    }
    // A <style> built apart from its text got a text of rrweb's own from its `_cssText` (the
    // whole sheet, with no id). That text is this node: adopt it, or the sheet would be doubled.
    if (node.type === NodeKind.Text && parent.nodeName === 'STYLE') {
      const standIn = Array.from(parent.childNodes).find((child) => child.nodeType === Node.TEXT_NODE && !this.mirror.hasNode(child));
      if (standIn) return this.mirror.add(standIn, node as RrwebNode);
    }
    const frames = takeFrameDocuments(node);
    try {
      const built = buildNodeWithSN(node as RrwebNode, { doc, mirror: this.mirror, hackCss: true, cache: this.cache });
      if (!built) return this.diverged(`node ${node.id} could not be built`);
      const next = nextId === null ? null : this.mirror.getNode(nextId);
      let container: Node = parent;
      if (node.isShadow && parent.nodeType === Node.ELEMENT_NODE) {
        const host = parent as Element;
        container = host.shadowRoot ?? host.attachShadow({ mode: 'open' });
      }
      if (nextId !== null && next?.parentNode !== container) this.diverged(`node ${node.id} was sent before ${nextId}, which is not beside it in the view`);
      container.insertBefore(built, next?.parentNode === container ? next : null);
      for (const frame of frames) this.insert(frame.frameId, null, frame.doc);
      this.assets.rewrite(built);
      this.askForRedacted(built);
      this.showCanvases(node);
    } catch (error) {
      this.diverged(`node ${node.id} could not be inserted: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      putBack(frames);
    }
  }

  /** A frame's (new) document: the <iframe> in the view gets an empty one, then its content. */
  private insertFrameDocument(frame: Node, node: SerializedNode): void {
    const doc = frame.nodeName === 'IFRAME' ? (frame as HTMLIFrameElement).contentDocument : null;
    if (!doc) return this.diverged(`a frame document was sent for node ${this.mirror.getId(frame)}, which is not a frame in the view`);
    this.openDocument(doc, node);
    for (const child of node.childNodes ?? []) this.insert(node.id, null, child);
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
        // The document itself: its children are inserted like everyone else's, below.
        const { childNodes, ...document } = top.node;
        if (!this.startDocument(document, part.viewport ?? this.viewport, part.scroll ?? { x: 0, y: 0 })) return;
        this.loading = true;
        // Automation API: the mirror is on screen but the rest of the page is still arriving.
        this.iframe?.setAttribute('data-coview-loading', '');
        for (const child of childNodes ?? []) this.insert(document.id, null, child);
      } else if (this.loading) {
        this.insert(top.parentId, null, top.node);
      } else {
        return this.diverged('a snapshot part arrived without the beginning of its snapshot');
      }
    }
    if (this.loading) this.shown();
    if (part.done && this.loading) {
      this.loading = false;
      this.iframe?.removeAttribute('data-coview-loading');
      if (part.viewport) this.viewport = part.viewport;
      this.fit();
      if (part.scroll) this.scrollTo(part.scroll);
      this.hover(part.hover);
      this.onSnapshotComplete();
    }
  }

  /** Compares the host's digest with the view's; a mismatch is a divergence. */
  private checkDigest(expected: Digest): void {
    const doc = this.iframe?.contentDocument;
    if (!doc || this.loading) return;
    const seen = this.digest();
    if (seen && (seen.count !== expected.count || seen.hash !== expected.hash)) {
      this.diverged(`the view has ${seen.count} nodes (digest ${seen.hash}), the customer's page ${expected.count} (digest ${expected.hash})`);
    }
  }

  /** The view's structure, as the host computes its own (see digestDocument). */
  digest(): Digest | null {
    const doc = this.iframe?.contentDocument;
    if (!doc) return null;
    const mirror = this.mirror;
    const idOf = (node: Node) => {
      const id = mirror.getId(node);
      return id >= 0 && mirror.getNode(id) === node ? id : -1;
    };
    return digestDocumentNow<Node>(doc, idOf, frameDocumentOf);
  }

  /** Divergences seen since this viewer was made (the Automation API and the bench count them). */
  divergences = 0;

  private diverged(reason: string): void {
    this.divergences++;
    console.warn(`[coview] the view diverged from the customer's page: ${reason}`);
    // A moment of the past that does not rebuild cleanly is not a reason to resync the live page.
    if (!this.replaying) this.onDiverged(reason);
  }
  private replaying = false;

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

  /** Sets the sheets adopted by the document or shadow host `id` (made in its window by `sheetsIn`). */
  private adopt(id: number, sheetsIn: (win: Window & typeof globalThis) => CSSStyleSheet[]): void {
    const target = this.mirror.getNode(id);
    // A web component adopts its sheets as it attaches its shadow root, before its first child
    // there is sent: the view's root may not exist yet, so it is made here (as insert would).
    const root = target?.nodeType === Node.DOCUMENT_NODE ? (target as Document) : target?.nodeType === Node.ELEMENT_NODE ? openShadowRoot(target as Element) : null;
    const win = (root?.nodeType === Node.DOCUMENT_NODE ? (root as Document) : root?.ownerDocument)?.defaultView as (Window & typeof globalThis) | null | undefined;
    if (!root || !win) return;
    const sheets = sheetsIn(win);
    root.adoptedStyleSheets = root.nodeType === Node.DOCUMENT_NODE ? [...sheets, this.viewerSheet(win)] : sheets;
  }

  /**
   * The customer's constructed sheets by number (`sheet` messages): one CSSStyleSheet per number
   * and window, adopted by every root that names it, as on the customer's page, so a new text
   * changes every copy at once. A new snapshot numbers them afresh (startDocument forgets these).
   */
  private numberedSheets = new Map<number, { css: string; copies: Map<Window, CSSStyleSheet> }>();

  private defineSheet(number: number, cssText: string): void {
    const css = this.assets.rewriteCss(adaptCssForReplay(cssText, this.cache));
    const known = this.numberedSheets.get(number);
    if (!known) return void this.numberedSheets.set(number, { css, copies: new Map() });
    known.css = css;
    known.copies.forEach((sheet) => sheet.replaceSync(css));
  }

  private numberedSheet(number: number, win: Window & typeof globalThis): CSSStyleSheet {
    let known = this.numberedSheets.get(number);
    // Named before its text came (time travel replays each sheet's last text where it came): empty until then.
    if (!known) this.numberedSheets.set(number, (known = { css: '', copies: new Map() }));
    let sheet = known.copies.get(win);
    if (!sheet) {
      sheet = new win.CSSStyleSheet();
      sheet.replaceSync(known.css);
      known.copies.set(win, sheet);
    }
    return sheet;
  }

  /** A sheet sent inline (`adopted-styles`, in recordings of the 0.1.0 widget): one per text and window. */
  private sheetOfText(text: string, win: Window & typeof globalThis): CSSStyleSheet {
    let byText = this.adoptedSheets.get(win);
    // Pages that keep rewriting their sheets would grow this without end: start over now and then.
    if (!byText || byText.size > 500) this.adoptedSheets.set(win, (byText = new Map()));
    const css = this.assets.rewriteCss(adaptCssForReplay(text, this.cache));
    let sheet = byText.get(css);
    if (!sheet) {
      sheet = new win.CSSStyleSheet();
      sheet.replaceSync(css);
      byText.set(css, sheet);
    }
    return sheet;
  }

  private paintCanvas(id: number, dataUrl: string): void {
    const canvas = this.mirror.getNode(id) as HTMLCanvasElement | null;
    if (canvas?.nodeName !== 'CANVAS') return;
    showCanvasFrame(canvas, dataUrl);
  }

  /** The frames that came with a subtree's canvases (rrweb's rr_dataURL). */
  private showCanvases(node: SerializedNode): void {
    visitSerialized(node, (n) => {
      const url = n.tagName === 'canvas' ? n.attributes?.rr_dataURL : undefined;
      const canvas = typeof url === 'string' ? (this.mirror.getNode(n.id) as HTMLCanvasElement | null) : null;
      if (canvas?.nodeName === 'CANVAS') showCanvasFrame(canvas, url as string);
    });
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

/** Calls `fn` for `root` and every node under it, frame documents included. */
function visitSerialized(root: SerializedNode, fn: (node: SerializedNode) => void): void {
  fn(root);
  root.childNodes?.forEach((child) => visitSerialized(child, fn));
}

/**
 * Shows a canvas frame: drawn into the canvas (so reading the mirror's canvas gives the
 * customer's pixels) and as its fallback image, which is what a script-less document paints.
 */
function showCanvasFrame(canvas: HTMLCanvasElement, dataUrl: string): void {
  if (!/^data:image\/(png|webp|jpeg);base64,/.test(dataUrl)) return;
  const doc = canvas.ownerDocument;
  let picture = canvas.querySelector<HTMLImageElement>(':scope > img[data-coview-canvas]');
  if (!picture) {
    picture = doc.createElement('img');
    picture.setAttribute('data-coview-canvas', '');
    picture.alt = '';
    canvas.append(picture);
  }
  picture.width = canvas.width;
  picture.height = canvas.height;
  picture.src = dataUrl;
  const image = doc.createElement('img');
  image.onload = () => {
    const context = canvas.getContext('2d');
    if (!context) return;
    context.clearRect(0, 0, canvas.width, canvas.height);
    context.drawImage(image, 0, 0, canvas.width, canvas.height);
  };
  image.src = dataUrl;
}

/** A doctype as markup, for document.write (quotes cannot be escaped in a doctype: they are dropped). */
function doctypeSource(node: SerializedNode): string {
  const clean = (value: string | undefined) => (value ?? '').replace(/["'<>]/g, '');
  const name = clean(node.name) || 'html';
  const publicId = clean(node.publicId);
  const systemId = clean(node.systemId);
  if (publicId) return `<!DOCTYPE ${name} PUBLIC "${publicId}"${systemId ? ` "${systemId}"` : ''}>`;
  if (systemId) return `<!DOCTYPE ${name} SYSTEM "${systemId}">`;
  return `<!DOCTYPE ${name}>`;
}

function frameDocumentOf(frame: Node): Node | null {
  return (frame as HTMLIFrameElement).contentDocument ?? null;
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

/** The element's shadow root in the view, attached if it has none yet; null where none can be. */
function openShadowRoot(host: Element): ShadowRoot | null {
  try {
    return host.shadowRoot ?? host.attachShadow({ mode: 'open' });
  } catch {
    return null;
  }
}
