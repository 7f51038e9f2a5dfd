/**
 * Form values set by script, without an input event: React/Vue controlled inputs re-rendering,
 * "fill from profile" buttons, formatters, autofill helpers. Two nets, because neither alone
 * catches everything:
 *
 * 1. The `value`/`checked`/`selectedIndex`/`selected` setters on the field prototypes are wrapped
 *    so a change is seen at once. The original setter always runs first and exceptions from it
 *    propagate unchanged; our part never throws into the page.
 * 2. A slow poll, because React keeps its own copy of the *original* setter for every input it
 *    rendered before this widget loaded (react-dom inputValueTracking), and that copy bypasses (1).
 *
 * Listeners get the field whose value may have changed; deciding whether it really did (and what
 * may be sent) is the caller's job.
 */
export type FieldElement = HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement;
type Listener = (field: FieldElement) => void;

export const POLL_INTERVAL_MS = 500;

interface Installed {
  listeners: Set<Listener>;
  restore: () => void;
}
const byWindow = new WeakMap<Window, Installed>();

/** Calls `listener` when a field's value may have changed by script; returns the stop function. */
export function watchFieldValues(doc: Document, listener: Listener): () => void {
  const win = doc.defaultView;
  if (!win) return () => {};
  let installed = byWindow.get(win);
  if (!installed) {
    const listeners = new Set<Listener>();
    installed = { listeners, restore: hookSetters(win, listeners) };
    byWindow.set(win, installed);
  }
  const own = installed;
  own.listeners.add(listener);

  const poll = win.setInterval(() => {
    for (const tag of ['input', 'textarea', 'select']) {
      for (const el of doc.getElementsByTagName(tag)) safeCall(listener, el as FieldElement);
    }
  }, POLL_INTERVAL_MS);

  return () => {
    win.clearInterval(poll);
    own.listeners.delete(listener);
    if (own.listeners.size === 0) {
      own.restore();
      byWindow.delete(win);
    }
  };
}

function hookSetters(win: Window, listeners: Set<Listener>): () => void {
  // Batched per microtask: a framework render sets many fields, and some several times.
  const pending = new Set<FieldElement>();
  const flush = () => {
    const fields = [...pending];
    pending.clear();
    for (const field of fields) for (const listener of listeners) safeCall(listener, field);
  };
  const notify = (field: FieldElement | null) => {
    if (!field || listeners.size === 0) return;
    if (pending.size === 0) queueMicrotask(flush);
    pending.add(field);
  };
  const g = win as unknown as Record<string, { prototype: object } | undefined>;
  const self = (el: Element) => el as FieldElement;
  const restores = [
    hook(g.HTMLInputElement?.prototype, 'value', self, notify),
    hook(g.HTMLInputElement?.prototype, 'checked', self, notify),
    hook(g.HTMLTextAreaElement?.prototype, 'value', self, notify),
    hook(g.HTMLSelectElement?.prototype, 'value', self, notify),
    hook(g.HTMLSelectElement?.prototype, 'selectedIndex', self, notify),
    hook(g.HTMLOptionElement?.prototype, 'selected', (option) => (option as HTMLOptionElement).closest('select'), notify),
  ];
  return () => restores.forEach((restore) => restore());
}

function hook(proto: object | undefined, prop: string, fieldOf: (el: Element) => FieldElement | null, notify: (field: FieldElement | null) => void): () => void {
  const original = proto && Object.getOwnPropertyDescriptor(proto, prop);
  if (!proto || !original?.set || !original.configurable) return () => {};
  const originalSet = original.set;
  const set = function (this: Element, value: unknown) {
    originalSet.call(this, value);
    try {
      notify(fieldOf(this));
    } catch {
      // Never let the widget's bookkeeping break the page's own assignment.
    }
  };
  Object.defineProperty(proto, prop, { ...original, set });
  return () => {
    // Put the original back only if nobody wrapped ours since; otherwise ours stays as a pass-through.
    if (Object.getOwnPropertyDescriptor(proto, prop)?.set === set) Object.defineProperty(proto, prop, original);
  };
}

function safeCall(listener: Listener, field: FieldElement): void {
  try {
    listener(field);
  } catch {
    // A listener error must not stop the others, nor reach the page.
  }
}

/**
 * The setter the browser itself provides, found on the prototype chain (what React's own value
 * tracking cannot intercept): how the control executor sets values so frameworks notice.
 */
export function nativeSetter(el: Element, prop: 'value' | 'checked'): ((value: unknown) => void) | null {
  for (let proto = Object.getPrototypeOf(el); proto; proto = Object.getPrototypeOf(proto)) {
    const descriptor = Object.getOwnPropertyDescriptor(proto, prop);
    if (descriptor?.set) return (value) => descriptor.set!.call(el, value);
  }
  return null;
}
