import type { NodeIds } from './node-ids.js';
import type { ControlAction, ControlRefusal, ControlState } from '../protocol/index.js';
import type { Privacy } from './privacy.js';
import { nativeSetter } from './value-watch.js';

/**
 * Remote control on the customer's page: the permission (off → asking → on, revocable at any
 * time) and the executor that turns an agent's action into the events a person's input would
 * cause. It acts only while the customer has granted control, never on masked or blocked
 * elements, and never on the widget itself.
 */
export interface ControlOptions {
  /** Node ids shared with capture: the agent names elements by the ids it was sent. */
  mirror: Pick<NodeIds, 'getNode' | 'getId'>;
  privacy: Privacy;
  /** The widget's own UI: the agent can never click or type into it. */
  ignore: (node: Node) => boolean;
  /** Every state change (the agent is told, the widget shows it). */
  onState: (state: ControlState) => void;
  /** An action that was not carried out, and why (the agent is told). */
  onRefused: (action: ControlAction, reason: ControlRefusal) => void;
  document?: Document;
}

const TEXT_INPUT_TYPES = new Set(['', 'text', 'search', 'email', 'url', 'tel', 'password', 'number']);
const TABBABLE = 'a[href], area[href], button, input, select, textarea, summary, iframe, [tabindex], [contenteditable]:not([contenteditable="false"])';
// Keys that only move focus or dismiss: allowed even on a masked field (they reveal nothing and change nothing in it).
const NAVIGATION_ONLY = new Set(['Tab', 'Escape']);
const LINE = 40;

export class HostControl {
  private state: ControlState = 'off';
  private readonly doc: Document;
  private readonly win: Window & typeof globalThis;
  /** A field the agent typed into: it gets its `change` event when the agent moves on. */
  private edited: HTMLInputElement | HTMLTextAreaElement | null = null;

  constructor(private readonly options: ControlOptions) {
    this.doc = options.document ?? document;
    this.win = (this.doc.defaultView ?? window) as Window & typeof globalThis;
  }

  get current(): ControlState {
    return this.state;
  }

  /** The agent asks; the customer decides (widget prompt or `onControlRequest`). */
  request(): void {
    if (this.state === 'off') this.setState('asking');
  }

  decide(allow: boolean): void {
    if (this.state === 'asking') this.setState(allow ? 'on' : 'off');
  }

  /** "Take back control" (customer) or "Release" (agent): immediate, whatever the state. */
  revoke(): void {
    if (this.state !== 'off') this.setState('off');
  }

  /** Carries out one action, or refuses it and says why. Never throws into the page. */
  act(action: ControlAction): void {
    let refusal: ControlRefusal | null;
    try {
      refusal = this.state !== 'on' ? 'not-granted' : this.perform(action);
    } catch (error) {
      console.warn('[coview] a control action failed:', error);
      refusal = 'not-found';
    }
    if (refusal) this.options.onRefused(action, refusal);
  }

  private setState(state: ControlState): void {
    this.state = state;
    if (state === 'off') this.edited = null;
    this.options.onState(state);
  }

  private perform(action: ControlAction): ControlRefusal | null {
    switch (action.type) {
      case 'click':
        return this.click(action.id, action.x, action.y, action.count);
      case 'key':
        return this.key(action.key, action.shift);
      case 'text':
        return this.typeText(action.text, 'insertFromPaste');
      case 'select':
        return this.select(action.id, action.value);
      case 'scroll':
        return this.scroll(action.id, action.dx, action.dy);
    }
  }

  /** The element with this id, if it is still on the page and not the widget's. */
  private resolve(id: number): Node | null {
    const node = this.options.mirror.getNode(id) as Node | null;
    if (!node || !node.isConnected || this.options.ignore(node)) return null;
    return node;
  }

  private isPrivate(el: Element): boolean {
    const { privacy } = this.options;
    return privacy.isBlocked(el) || privacy.isMasked(el) || privacy.isMaskedField(el);
  }

  private click(id: number, fx: number, fy: number, count: 1 | 2): ControlRefusal | null {
    const node = this.resolve(id);
    if (!node || node.nodeType !== Node.ELEMENT_NODE) return 'not-found';
    const el = node as Element;
    if (this.isPrivate(el)) return 'private';
    let rect = el.getBoundingClientRect();
    if (rect.bottom < 0 || rect.top > this.win.innerHeight || rect.right < 0 || rect.left > this.win.innerWidth) {
      el.scrollIntoView({ block: 'center', inline: 'nearest' });
      rect = el.getBoundingClientRect();
    }
    const x = rect.left + clamp01(fx) * rect.width;
    const y = rect.top + clamp01(fy) * rect.height;
    // The innermost element at that point, if it belongs to the one the agent pointed at (a label's span).
    const top = this.doc.elementFromPoint(x, y);
    const target = top && el.contains(top) && !this.options.ignore(top) && !this.isPrivate(top) ? top : el;

    const mouse = { bubbles: true, cancelable: true, composed: true, view: this.win, clientX: x, clientY: y, screenX: x, screenY: y, button: 0 };
    const pointer = { ...mouse, pointerId: 1, pointerType: 'mouse', isPrimary: true };
    // One press; `count` 2 is the second press of a double click (its first came as count 1), as browsers number them.
    const detail = count;
    target.dispatchEvent(new this.win.PointerEvent('pointerdown', { ...pointer, buttons: 1, detail }));
    const down = target.dispatchEvent(new this.win.MouseEvent('mousedown', { ...mouse, buttons: 1, detail }));
    if (down) this.focusFor(target);
    target.dispatchEvent(new this.win.PointerEvent('pointerup', { ...pointer, buttons: 0, detail }));
    target.dispatchEvent(new this.win.MouseEvent('mouseup', { ...mouse, buttons: 0, detail }));
    // A dispatched click runs the element's activation: checkboxes toggle, labels forward, links follow.
    target.dispatchEvent(new this.win.MouseEvent('click', { ...mouse, buttons: 0, detail }));
    if (count === 2) target.dispatchEvent(new this.win.MouseEvent('dblclick', { ...mouse, detail: 2 }));
    return null;
  }

  /** Clicking moves focus to the clicked control, or away from the current one on blank space. */
  private focusFor(target: Element): void {
    const focusable = target.closest(TABBABLE) as HTMLElement | null;
    const active = this.doc.activeElement as HTMLElement | null;
    if (focusable === active) return;
    this.commitEdit();
    if (focusable && !this.options.ignore(focusable)) focusable.focus({ preventScroll: true });
    else if (active && active !== this.doc.body && !this.options.ignore(active)) active.blur();
  }

  /** The element keys go to: the page's focused element, never the widget's. */
  private focused(): HTMLElement {
    const active = this.doc.activeElement as HTMLElement | null;
    return active && !this.options.ignore(active) ? active : this.doc.body;
  }

  private key(key: string, shift: boolean): ControlRefusal | null {
    const target = this.focused();
    if (!NAVIGATION_ONLY.has(key) && target !== this.doc.body && this.isPrivate(target)) return 'private';
    const init = { key, code: codeFor(key), shiftKey: shift, bubbles: true, cancelable: true, composed: true, view: this.win };
    const proceed = target.dispatchEvent(new this.win.KeyboardEvent('keydown', init));
    if (proceed) this.keyDefault(target, key, shift);
    target.dispatchEvent(new this.win.KeyboardEvent('keyup', { ...init, cancelable: false }));
    return null;
  }

  /** What the browser itself would do for a trusted key press (synthetic key events do nothing). */
  private keyDefault(target: HTMLElement, key: string, shift: boolean): void {
    if (key === 'Tab') return this.moveFocus(shift ? -1 : 1);
    const field = textField(target);
    if (field) {
      if (key.length === 1 || [...key].length === 1) {
        target.dispatchEvent(new this.win.KeyboardEvent('keypress', { key, bubbles: true, cancelable: true }));
        this.typeText(key, 'insertText');
        return;
      }
      const start = field.selectionStart ?? field.value.length;
      const end = field.selectionEnd ?? start;
      switch (key) {
        case 'Backspace':
          return this.edit(field, start === end ? Math.max(0, start - 1) : start, end, '', 'deleteContentBackward');
        case 'Delete':
          return this.edit(field, start, start === end ? end + 1 : end, '', 'deleteContentForward');
        case 'ArrowLeft':
          return setCaret(field, Math.max(0, start - 1));
        case 'ArrowRight':
          return setCaret(field, Math.min(field.value.length, end + 1));
        case 'Home':
          return setCaret(field, 0);
        case 'End':
          return setCaret(field, field.value.length);
        case 'Enter':
          if (field instanceof this.win.HTMLTextAreaElement) return this.edit(field, start, end, '\n', 'insertLineBreak');
          this.commitEdit();
          // Implicit submission, as Enter in a text field does.
          field.form?.requestSubmit();
          return;
      }
      return;
    }
    if (target instanceof this.win.HTMLSelectElement && (key === 'ArrowDown' || key === 'ArrowUp')) {
      const index = Math.min(target.options.length - 1, Math.max(0, target.selectedIndex + (key === 'ArrowDown' ? 1 : -1)));
      if (index !== target.selectedIndex) {
        target.selectedIndex = index;
        this.fire(target, 'input');
        this.fire(target, 'change');
      }
      return;
    }
    const activates = target instanceof this.win.HTMLButtonElement || target instanceof this.win.HTMLAnchorElement || (target instanceof this.win.HTMLInputElement && ['checkbox', 'radio', 'button', 'submit', 'reset'].includes(target.type)) || target.tagName === 'SUMMARY';
    if (activates && (key === 'Enter' || (key === ' ' && !(target instanceof this.win.HTMLAnchorElement)))) {
      target.click();
      return;
    }
    const page = this.win.innerHeight * 0.9;
    const scrolls: Record<string, [number, number]> = {
      ArrowDown: [0, LINE],
      ArrowUp: [0, -LINE],
      ArrowRight: [LINE, 0],
      ArrowLeft: [-LINE, 0],
      PageDown: [0, page],
      PageUp: [0, -page],
      ' ': [0, shift ? -page : page],
    };
    if (key === 'Home') return this.win.scrollTo(this.win.scrollX, 0);
    if (key === 'End') return this.win.scrollTo(this.win.scrollX, this.doc.documentElement.scrollHeight);
    const delta = scrolls[key];
    if (delta) scrollerOf(target, this.win).scrollBy(delta[0], delta[1]);
  }

  private typeText(text: string, inputType: string): ControlRefusal | null {
    const target = this.focused();
    if (this.isPrivate(target)) return 'private';
    const field = textField(target);
    if (!field) return null;
    const start = field.selectionStart ?? field.value.length;
    this.edit(field, start, field.selectionEnd ?? start, text, inputType);
    return null;
  }

  /**
   * Replaces [start, end) with `text` through the native setter, then fires beforeinput/input:
   * React and Vue keep their own copy of the value and only notice a change made this way.
   */
  private edit(field: HTMLInputElement | HTMLTextAreaElement, start: number, end: number, text: string, inputType: string): void {
    if (field.readOnly || field.disabled) return;
    const before = new this.win.InputEvent('beforeinput', { inputType, data: text || null, bubbles: true, cancelable: true, composed: true });
    if (!field.dispatchEvent(before)) return;
    let value = field.value.slice(0, start) + text + field.value.slice(end);
    if (field.maxLength >= 0 && value.length > field.maxLength) value = value.slice(0, field.maxLength);
    nativeSetter(field, 'value')?.(value);
    setCaret(field, Math.min(value.length, start + text.length));
    field.dispatchEvent(new this.win.InputEvent('input', { inputType, data: text || null, bubbles: true, composed: true }));
    this.edited = field;
  }

  /** The `change` event a person's edit gets when they leave the field or press Enter. */
  private commitEdit(): void {
    const field = this.edited;
    this.edited = null;
    if (field?.isConnected) this.fire(field, 'change');
  }

  private moveFocus(step: 1 | -1): void {
    const candidates = [...this.doc.querySelectorAll<HTMLElement>(TABBABLE)].filter(
      (el) => el.tabIndex >= 0 && !(el as HTMLInputElement).disabled && (el as HTMLInputElement).type !== 'hidden' && el.getClientRects().length > 0 && !this.options.ignore(el),
    );
    if (candidates.length === 0) return;
    const index = candidates.indexOf(this.focused());
    const next = candidates[(index + step + candidates.length) % candidates.length] ?? candidates[0]!;
    this.commitEdit();
    next.focus();
  }

  private select(id: number, value: string): ControlRefusal | null {
    const node = this.resolve(id);
    if (!(node instanceof this.win.HTMLSelectElement)) return 'not-found';
    if (this.isPrivate(node) || node.disabled) return 'private';
    if (![...node.options].some((option) => option.value === value)) return 'not-found';
    nativeSetter(node, 'value')?.(value);
    this.fire(node, 'input');
    this.fire(node, 'change');
    return null;
  }

  private scroll(id: number, dx: number, dy: number): ControlRefusal | null {
    const node = this.resolve(id);
    if (!node) return 'not-found';
    const target = node.nodeType === Node.DOCUMENT_NODE ? this.doc.documentElement : (node as Element);
    scrollerOf(target, this.win).scrollBy(dx, dy);
    return null;
  }

  private fire(target: EventTarget, type: 'input' | 'change'): void {
    target.dispatchEvent(new this.win.Event(type, { bubbles: true }));
  }
}

function clamp01(n: number): number {
  return Math.min(1, Math.max(0, n));
}

function textField(el: Element): HTMLInputElement | HTMLTextAreaElement | null {
  if (el.tagName === 'TEXTAREA') return el as HTMLTextAreaElement;
  if (el.tagName === 'INPUT' && TEXT_INPUT_TYPES.has((el.getAttribute('type') ?? '').toLowerCase())) return el as HTMLInputElement;
  return null;
}

function setCaret(field: HTMLInputElement | HTMLTextAreaElement, at: number): void {
  try {
    field.setSelectionRange(at, at);
  } catch {
    // type=email/number have no selection API; the caret stays at the end.
  }
}

/** The nearest ancestor that scrolls, else the window. */
function scrollerOf(el: Element, win: Window): { scrollBy(x: number, y: number): void } {
  for (let node: Element | null = el; node && node !== win.document.documentElement && node !== win.document.body; node = node.parentElement) {
    const style = win.getComputedStyle(node);
    const scrolls = /(auto|scroll)/.test(style.overflowY + style.overflowX);
    if (scrolls && (node.scrollHeight > node.clientHeight || node.scrollWidth > node.clientWidth)) return node;
  }
  return win;
}

function codeFor(key: string): string {
  if (/^[a-z]$/i.test(key)) return `Key${key.toUpperCase()}`;
  if (/^[0-9]$/.test(key)) return `Digit${key}`;
  if (key === ' ') return 'Space';
  return key;
}
