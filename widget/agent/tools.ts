import type { AgentMessage, ControlAction, ControlRefusal, ControlState, HostMessage, Point } from '../protocol/index.js';
import { throttle } from '../host/throttle.js';
import type { Viewer } from './viewer.js';
import { JOIN_EN } from '../i18n/join-en.js';

/**
 * The agent's hands on the mirror: pointing (their pointer and a "look here" ripple appear on the
 * customer's page), freehand drawing that fades, and — once the customer grants it — remote
 * control (clicks, double-clicks, keys, paste, wheel, select options).
 *
 * The mirror stays inert: input is read from the sandboxed iframe's document by listeners added
 * from this page (the iframe runs no script of its own) and sent as messages; nothing the agent
 * does changes the mirror directly. The customer's page carries each action out and the mirror
 * shows the result. Positions are page (document) coordinates of the customer's page, which are
 * the mirror's coordinates too: the mirror has the customer's viewport size and scroll.
 */
export type Tool = 'point' | 'draw';

export interface ToolsState {
  tool: Tool;
  control: ControlState;
  /** The last thing the agent should know (control declined, revoked, an action refused). */
  notice: string | null;
  /** `notice` in the join page's catalogue (`noticeName`: the other agent it is about). */
  noticeKey?: ToolsNoticeKey | null;
  noticeName?: string;
}

export type ToolsNoticeKey = 'toolsHaveControl' | 'toolsDeclined' | 'toolsTookBack' | 'toolsNotGranted' | 'toolsPrivate' | 'toolsNotFound' | 'toolsBusyOn' | 'toolsBusyAsking';

/** A notice in English (`notice`, as before) and by key, for the agent's language. */
function said(key: ToolsNoticeKey, name?: string): Pick<ToolsState, 'notice' | 'noticeKey' | 'noticeName'> {
  const notice = JOIN_EN[key].replace('{name}', name ?? '');
  return name === undefined ? { notice, noticeKey: key } : { notice, noticeKey: key, noticeName: name };
}

const POINTER_INTERVAL_MS = 40;
const DRAW_INTERVAL_MS = 40;
const FADE_AFTER_MS = 2_500;
const SVG_NS = 'http://www.w3.org/2000/svg';

const REFUSALS: Record<ControlRefusal, ToolsNoticeKey> = {
  'not-granted': 'toolsNotGranted',
  private: 'toolsPrivate',
  'not-found': 'toolsNotFound',
};
const MODIFIERS = new Set(['Shift', 'Control', 'Alt', 'Meta', 'CapsLock', 'AltGraph', 'Dead', 'Unidentified', 'Process']);

export class AgentTools {
  private state: ToolsState = { tool: 'point', control: 'off', notice: null };
  private readonly listeners = new Set<(state: ToolsState) => void>();
  private frame: HTMLIFrameElement | null = null;
  private detach: (() => void) | null = null;
  private readonly observer: MutationObserver;
  private readonly ink: SVGSVGElement;
  private readonly layer: HTMLDivElement;
  private stroke: { id: number; path: SVGPathElement; d: string; pending: Point[] } | null = null;
  private strokeCount = 0;
  private menu: HTMLDivElement | null = null;
  private frameRequest = 0;

  constructor(
    private readonly stage: HTMLElement,
    private readonly viewer: Viewer,
    private readonly send: (message: AgentMessage) => boolean,
    /** The name of the menu a <select> opens over the mirror, in the agent's language. */
    private readonly selectMenuLabel = 'Choose an option on the customer’s page',
  ) {
    const doc = stage.ownerDocument;
    // Keys reach the stage after a click in the mirror (see onMouseDown).
    stage.tabIndex = -1;
    stage.addEventListener('keydown', this.onKeyDown);
    stage.addEventListener('paste', this.onPaste);
    this.layer = doc.createElement('div');
    this.layer.className = 'coview-agent-ink';
    Object.assign(this.layer.style, { position: 'absolute', left: '0', top: '0', width: '0', height: '0', overflow: 'visible', pointerEvents: 'none', zIndex: '3', transformOrigin: '0 0' });
    this.ink = doc.createElementNS(SVG_NS, 'svg');
    Object.assign(this.ink.style, { position: 'absolute', left: '0', top: '0', width: '1px', height: '1px', overflow: 'visible' });
    this.layer.append(this.ink);
    stage.append(this.layer);
    // The viewer replaces the iframe on every full snapshot: follow it.
    this.observer = new MutationObserver(() => this.attach());
    this.observer.observe(stage, { childList: true, subtree: true });
    this.attach();
  }

  get current(): ToolsState {
    return this.state;
  }

  subscribe(listener: (state: ToolsState) => void): () => void {
    this.listeners.add(listener);
    listener(this.state);
    return () => this.listeners.delete(listener);
  }

  setTool(tool: Tool): void {
    this.closeMenu();
    this.update({ tool });
  }

  requestControl(): void {
    if (this.state.control === 'off' && this.send({ type: 'control-request' })) this.update({ control: 'asking', notice: null, noticeKey: null });
  }

  releaseControl(): void {
    if (this.state.control !== 'off') this.send({ type: 'control-release' });
  }

  /** Messages from the customer's page that concern the tools. */
  handle(message: HostMessage): void {
    if (message.type === 'control') {
      const before = this.state.control;
      const notice =
        message.state === 'on' ? said('toolsHaveControl')
        : message.state === 'off' && before === 'asking' ? said('toolsDeclined')
        : message.state === 'off' && before === 'on' ? said('toolsTookBack')
        : {};
      if (message.state !== 'on') this.closeMenu();
      this.update({ control: message.state, ...notice });
    } else if (message.type === 'control-refused') {
      this.update(said(REFUSALS[message.reason]));
    } else if (message.type === 'control-busy') {
      // Another agent in the same session has control (or is asking for it): one at a time.
      this.update({ control: 'off', ...said(message.state === 'on' ? 'toolsBusyOn' : 'toolsBusyAsking', message.by) });
    }
  }

  /** The session ended: nothing more can be asked of the customer's page. */
  reset(): void {
    this.closeMenu();
    this.update({ control: 'off' });
  }

  destroy(): void {
    this.observer.disconnect();
    this.detach?.();
    cancelAnimationFrame(this.frameRequest);
    this.layer.remove();
  }

  private update(patch: Partial<ToolsState>): void {
    this.state = { ...this.state, ...patch };
    for (const listener of this.listeners) listener(this.state);
  }

  private get controlling(): boolean {
    return this.state.control === 'on' && this.state.tool === 'point';
  }

  private attach(): void {
    const frame = this.stage.querySelector<HTMLIFrameElement>('iframe[data-coview-frame]');
    if (frame === this.frame) return;
    this.detach?.();
    this.detach = null;
    this.frame = frame;
    const doc = frame?.contentDocument;
    const win = frame?.contentWindow;
    if (!frame || !doc || !win) return;
    const listen: [EventTarget, string, EventListener, AddEventListenerOptions][] = [
      [doc, 'mousemove', this.onMouseMove as EventListener, { capture: true, passive: true }],
      [doc, 'mousedown', this.onMouseDown as EventListener, { capture: true }],
      [doc, 'mouseup', this.onMouseUp as EventListener, { capture: true }],
      // On the document, capturing: the mirror's <html> may not be built yet (it comes in a later part).
      [doc, 'mouseleave', this.onMouseLeave as EventListener, { capture: true, passive: true }],
      [doc, 'wheel', this.onWheel as EventListener, { capture: true, passive: false }],
      [doc, 'keydown', this.onKeyDown as EventListener, { capture: true }],
      [doc, 'paste', this.onPaste as EventListener, { capture: true }],
      [win, 'scroll', this.place, { passive: true }],
    ];
    for (const [target, type, fn, options] of listen) target.addEventListener(type, fn, options);
    this.detach = () => {
      for (const [target, type, fn, options] of listen) target.removeEventListener(type, fn, options);
    };
    this.place();
  }

  /** Page coordinates of a mouse event inside the mirror. */
  private pagePoint(event: MouseEvent): Point {
    const win = this.frame?.contentWindow;
    return { x: event.clientX + (win?.scrollX ?? 0), y: event.clientY + (win?.scrollY ?? 0) };
  }

  private readonly sendPointer = throttle((x: number, y: number, visible: boolean) => this.send({ type: 'pointer', x, y, visible }), POINTER_INTERVAL_MS);

  private readonly onMouseMove = (event: MouseEvent) => {
    const point = this.pagePoint(event);
    this.sendPointer(point.x, point.y, true);
    if (this.stroke && event.buttons & 1) {
      this.stroke.pending.push(point);
      this.extendPath(point);
      this.sendStroke();
    }
  };

  private readonly onMouseLeave = (event: Event) => {
    // Every element's mouseleave passes by; only leaving the page's root element counts.
    if (event.target === (event.target as Node).ownerDocument?.documentElement) this.sendPointer(0, 0, false);
  };

  private readonly onMouseDown = (event: MouseEvent) => {
    if (event.button !== 0) return;
    const point = this.pagePoint(event);
    this.closeMenu();
    if (this.state.tool === 'draw') {
      event.preventDefault();
      const id = ++this.strokeCount;
      const path = this.stage.ownerDocument.createElementNS(SVG_NS, 'path');
      Object.assign(path.style, { fill: 'none', stroke: '#7c3aed', strokeWidth: '4', strokeLinecap: 'round', strokeLinejoin: 'round', opacity: '0.9', transition: 'opacity 800ms ease-out' });
      path.setAttribute('data-stroke', String(id));
      this.ink.append(path);
      this.stroke = { id, path, d: '', pending: [point] };
      this.extendPath(point);
      this.sendStroke();
      return;
    }
    if (!this.controlling) {
      this.send({ type: 'laser', ...point });
      this.ripple(point);
      return;
    }
    // Control: the mirror itself never reacts (no focus, no selection, no native select popup).
    event.preventDefault();
    this.stage.focus({ preventScroll: true });
    const target = event.target as Element | null;
    const el = target && target.nodeType === 1 ? target : target?.parentElement ?? null;
    if (!el) return;
    const id = this.idOf(el);
    if (id < 0) return;
    if (el.tagName === 'SELECT' || el.closest('select')) {
      const select = (el.tagName === 'SELECT' ? el : el.closest('select')) as HTMLSelectElement;
      this.act({ type: 'click', id: this.idOf(select), x: 0.5, y: 0.5, count: 1 });
      return this.openMenu(select);
    }
    const rect = el.getBoundingClientRect();
    const fx = rect.width ? (event.clientX - rect.left) / rect.width : 0.5;
    const fy = rect.height ? (event.clientY - rect.top) / rect.height : 0.5;
    this.act({ type: 'click', id, x: fx, y: fy, count: event.detail === 2 ? 2 : 1 });
  };

  private readonly onMouseUp = () => {
    if (!this.stroke) return;
    this.sendStroke.cancel();
    this.flushStroke();
    const { path } = this.stroke;
    this.stroke = null;
    setTimeout(() => {
      path.style.opacity = '0';
      setTimeout(() => path.remove(), 850);
    }, FADE_AFTER_MS);
  };

  private readonly sendStroke = throttle(() => this.flushStroke(), DRAW_INTERVAL_MS);

  private flushStroke(): void {
    const stroke = this.stroke;
    if (!stroke || stroke.pending.length === 0) return;
    this.send({ type: 'draw', stroke: stroke.id, points: stroke.pending.splice(0, 1_000) });
  }

  private extendPath(point: Point): void {
    const stroke = this.stroke!;
    stroke.d += `${stroke.d ? 'L' : 'M'}${Math.round(point.x)} ${Math.round(point.y)}`;
    stroke.path.setAttribute('d', stroke.d);
    this.place();
  }

  private wheel = { id: -1, dx: 0, dy: 0 };
  private readonly sendWheel = throttle(() => {
    const { id, dx, dy } = this.wheel;
    this.wheel = { id: -1, dx: 0, dy: 0 };
    if (id >= 0 && (dx || dy)) this.act({ type: 'scroll', id, dx, dy });
  }, POINTER_INTERVAL_MS);

  private readonly onWheel = (event: WheelEvent) => {
    if (!this.controlling) return;
    event.preventDefault();
    const target = event.target as Element;
    const id = this.idOf(target.nodeType === 1 ? target : (target.parentElement ?? target));
    // Line and page modes (Firefox) are turned into pixels.
    const unit = event.deltaMode === 1 ? 40 : event.deltaMode === 2 ? (this.frame?.contentWindow?.innerHeight ?? 600) : 1;
    this.wheel = { id, dx: this.wheel.dx + event.deltaX * unit, dy: this.wheel.dy + event.deltaY * unit };
    this.sendWheel();
  };

  private readonly onKeyDown = (event: KeyboardEvent) => {
    if (!this.controlling || MODIFIERS.has(event.key)) return;
    if (this.menu && event.key === 'Escape') return this.closeMenu();
    // The agent's own shortcuts (copy, reload, devtools) stay theirs.
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    event.preventDefault();
    event.stopPropagation();
    this.act({ type: 'key', key: event.key, shift: event.shiftKey });
  };

  private readonly onPaste = (event: ClipboardEvent) => {
    if (!this.controlling) return;
    const text = event.clipboardData?.getData('text/plain') ?? '';
    event.preventDefault();
    if (text) this.act({ type: 'text', text: text.slice(0, 10_000) });
  };

  private act(action: ControlAction): void {
    this.send({ type: 'act', action });
  }

  /** The id of the nearest mirrored element (a node the customer's page named). */
  private idOf(el: Element): number {
    for (let node: Node | null = el; node; node = node.parentNode) {
      const id = this.viewer.nodeId(node);
      if (id > 0) return id;
    }
    return -1;
  }

  /** Options of a <select> as a small menu over the mirror (the native popup would act locally). */
  private openMenu(select: HTMLSelectElement): void {
    const doc = this.stage.ownerDocument;
    const rect = this.frameRect(select.getBoundingClientRect());
    const menu = doc.createElement('div');
    menu.className = 'coview-select-menu';
    menu.setAttribute('role', 'listbox');
    menu.setAttribute('aria-label', this.selectMenuLabel);
    Object.assign(menu.style, {
      position: 'absolute', left: `${rect.left}px`, top: `${rect.bottom + 2}px`, minWidth: `${Math.max(160, rect.width)}px`, zIndex: '4',
      background: '#fff', border: '1px solid #94a3b8', borderRadius: '8px', boxShadow: '0 8px 24px rgba(15,23,42,.25)', padding: '4px', font: '14px system-ui, sans-serif',
    });
    for (const option of [...select.options]) {
      const item = doc.createElement('button');
      item.type = 'button';
      item.setAttribute('role', 'option');
      item.setAttribute('aria-selected', String(option.selected));
      item.textContent = option.textContent?.trim() || option.value;
      Object.assign(item.style, { display: 'block', width: '100%', textAlign: 'left', padding: '6px 10px', border: '0', borderRadius: '6px', background: option.selected ? '#ede9fe' : 'transparent', cursor: 'pointer', font: 'inherit' });
      item.disabled = option.disabled;
      item.addEventListener('click', () => {
        this.act({ type: 'select', id: this.idOf(select), value: option.value });
        this.closeMenu();
        this.stage.focus({ preventScroll: true });
      });
      menu.append(item);
    }
    this.menu = menu;
    this.stage.append(menu);
  }

  private closeMenu(): void {
    this.menu?.remove();
    this.menu = null;
  }

  /** A rectangle inside the mirror, in the stage's coordinates (the mirror is scaled to fit). */
  private frameRect(inner: DOMRect): { left: number; top: number; bottom: number; width: number } {
    const { left, top, scale } = this.frameBox();
    return { left: left + inner.left * scale, top: top + inner.top * scale, bottom: top + inner.bottom * scale, width: inner.width * scale };
  }

  private frameBox(): { left: number; top: number; scale: number } {
    const frame = this.frame;
    if (!frame) return { left: 0, top: 0, scale: 1 };
    const rect = frame.getBoundingClientRect();
    const stageRect = this.stage.getBoundingClientRect();
    return { left: rect.left - stageRect.left, top: rect.top - stageRect.top, scale: frame.offsetWidth ? rect.width / frame.offsetWidth : 1 };
  }

  /** Keeps the agent's own ink on the content it was drawn on, through scrolls and resizes. */
  private readonly place = () => {
    cancelAnimationFrame(this.frameRequest);
    const win = this.frame?.contentWindow;
    const { left, top, scale } = this.frameBox();
    this.layer.style.transform = `translate(${left}px, ${top}px) scale(${scale}) translate(${-(win?.scrollX ?? 0)}px, ${-(win?.scrollY ?? 0)}px)`;
    // Keep following while something is drawn (the stage can be resized meanwhile).
    if (this.ink.childNodes.length) this.frameRequest = requestAnimationFrame(this.place);
  };

  private ripple(point: Point): void {
    const dot = this.stage.ownerDocument.createElementNS(SVG_NS, 'circle');
    dot.setAttribute('class', 'coview-agent-laser');
    dot.setAttribute('cx', String(point.x));
    dot.setAttribute('cy', String(point.y));
    dot.setAttribute('r', '16');
    Object.assign(dot.style, { fill: 'rgba(124,58,237,.18)', stroke: '#7c3aed', strokeWidth: '3' });
    this.ink.append(dot);
    this.place();
    dot.animate?.([{ opacity: 1 }, { opacity: 0 }], { duration: 900, easing: 'ease-out' });
    setTimeout(() => dot.remove(), 900);
  }
}
