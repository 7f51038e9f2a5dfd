import { buildNodeWithSN, createCache, createMirror, rebuildIntoSandboxedIframe, type BuildCache, type Mirror } from 'rrweb-snapshot';
import type { HostMessage, SerializedNode, Size } from '../protocol/index.js';
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

  constructor(
    private readonly stage: HTMLElement,
    private readonly onFirstRender: () => void = () => {},
  ) {
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
        return this.rebuild(message.node, message.viewport, message.scroll);
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
        if (target.nodeType === Node.DOCUMENT_NODE) this.iframe?.contentWindow?.scrollTo(message.x, message.y);
        else (target as Element).scrollTo?.(message.x, message.y);
        return;
      }
      case 'viewport':
        this.viewport = { width: message.width, height: message.height };
        return this.fit();
      case 'pointer':
        this.pointer.style.display = 'block';
        this.pointer.style.transform = `translate(${message.x}px, ${message.y}px)`;
        return;
      case 'click':
        return this.ripple(message.x, message.y);
      case 'hello':
      case 'end':
        return;
    }
  }

  private rebuild(node: SerializedNode, viewport: Size, scroll: { x: number; y: number }): void {
    const first = this.iframe === null;
    this.iframe?.remove();
    this.mirror = createMirror();
    this.cache = createCache();
    this.viewport = viewport;
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
    // The mirror is for looking, not navigating: links and forms must not take the agent anywhere.
    doc.addEventListener('click', (event) => event.preventDefault(), true);
    doc.addEventListener('submit', (event) => event.preventDefault(), true);
    this.fit();
    iframe.contentWindow?.scrollTo(scroll.x, scroll.y);
    if (first) this.onFirstRender();
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
    for (const add of message.adds) {
      // A change for a node this view does not have (a hostile or out-of-sync peer) is skipped, never thrown.
      const parent = this.mirror.getNode(add.parentId);
      if (!parent) continue;
      const built = this.build(add.node, doc);
      if (!built) continue;
      const next = add.nextId === null ? null : this.mirror.getNode(add.nextId);
      const container = add.node.isShadow && parent instanceof Element && parent.shadowRoot ? parent.shadowRoot : parent;
      try {
        container.insertBefore(built, next && next.parentNode === container ? next : null);
      } catch (error) {
        console.warn('[coview] could not insert a node', error);
      }
    }
    for (const change of message.attributes) {
      // nodeType, not instanceof: the node belongs to the iframe's realm.
      const el = this.mirror.getNode(change.id);
      if (el?.nodeType === Node.ELEMENT_NODE) setAttributeSafely(el as Element, change.name, change.value);
    }
    for (const change of message.texts) {
      const node = this.mirror.getNode(change.id);
      if (node) node.textContent = change.value;
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
