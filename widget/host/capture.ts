import { createMirror, IGNORED_NODE, serializeNodeWithId, slimDOMDefaults, transformAttribute, type Mirror } from 'rrweb-snapshot';
import { NodeKind, type AddedNode, type AttributeChange, type HostMessage, type SerializedNode, type TextChange } from '../protocol/index.js';
import { BLOCK_CLASS, createPrivacy, MASK_TEXT_CLASS, type Privacy } from './privacy.js';
import { watchFieldValues } from './value-watch.js';
import { throttle } from './throttle.js';

export interface CaptureOptions {
  /** Where messages go (the data channel). */
  emit: (message: HostMessage) => void;
  /** Nodes that are never captured: the widget's own UI. */
  ignore?: (node: Node) => boolean;
  /** Reports a failure inside capture without ever throwing into the host page. */
  onError?: (error: unknown) => void;
  document?: Document;
  /** The site's privacy rules (default: the built-in ones only). */
  privacy?: Privacy;
  /** Node ids shared with the control executor (default: a fresh mirror). */
  mirror?: Mirror;
}

const SCROLL_INTERVAL_MS = 50;
const POINTER_INTERVAL_MS = 40;

/**
 * Captures the page: one full snapshot, then every change as it happens. Returns the function
 * that stops capturing (rrweb's `record()` shape).
 */
export function startCapture(options: CaptureOptions): () => void {
  const doc = options.document ?? document;
  const win = doc.defaultView ?? window;
  const ignore = options.ignore ?? (() => false);
  const mirror = options.mirror ?? createMirror();
  const privacy = options.privacy ?? createPrivacy();
  // Nodes sent as a placeholder: none of their later attribute changes may follow them.
  const sentBlocked = new WeakSet<Node>();
  // What the agent last got for each field, so polls and setter hooks send only real changes.
  const lastSent = new WeakMap<Element, string>();
  const fieldKey = (el: Element): string => {
    const field = el as HTMLInputElement;
    return `${privacy.fieldValue(el, field.value ?? '')}\u0000${isCheckable(el) && privacy.showsChecked(el) ? field.checked : ''}`;
  };

  // Nodes serialized during the current mutation flush: their attributes and text are already current.
  let freshNodes = new WeakSet<Node>();

  const serializeOptions = {
    doc,
    mirror,
    blockClass: BLOCK_CLASS,
    blockSelector: privacy.blockSelector,
    maskTextClass: MASK_TEXT_CLASS,
    // Private mode sends every text through maskTextFn, which lets allowed regions through.
    maskTextSelector: privacy.options.privateByDefault ? '*' : privacy.maskSelector,
    maskTextFn: (text: string, el: HTMLElement | null) => privacy.text(el, text),
    maskInputOptions: { input: true, textarea: true },
    maskInputFn: (text: string, el: HTMLElement) => privacy.fieldValue(el, text),
    // Meta refresh/CSP/cookies never leave: they mean nothing in a mirror and one could navigate it.
    slimDOMOptions: slimDOMDefaults({ script: true, comment: true, headFavicon: true, headMetaSocial: true, headMetaRobots: true, headMetaVerification: true, headMetaHttpEquiv: true }),
    inlineStylesheet: true,
    recordCanvas: false,
    skipChild: false,
    onSerialize: (n: Node) => freshNodes.add(n),
  };

  const safe =
    <A extends unknown[]>(fn: (...args: A) => void) =>
    (...args: A) => {
      try {
        fn(...args);
      } catch (error) {
        options.onError?.(error);
      }
    };

  const idOf = (node: Node | null): number => {
    if (!node) return -1;
    const id = mirror.getId(node);
    // The mirror remembers removed nodes' ids; a node is known only while its id still maps to it.
    return id >= 0 && mirror.getNode(id) === node ? id : -1;
  };

  /** Serializes a subtree, minus ignored nodes and secrets. */
  const serialize = (node: Node): SerializedNode | null => {
    const out = serializeNodeWithId(node, serializeOptions) as SerializedNode | null;
    if (out) scrub(out);
    return out;
  };

  const scrub = (node: SerializedNode) => {
    if (node.childNodes) {
      node.childNodes = node.childNodes.filter((child) => {
        const dom = mirror.getNode(child.id);
        if (dom && ignore(dom)) {
          mirror.removeNodeFromMap(dom);
          return false;
        }
        return true;
      });
      node.childNodes.forEach(scrub);
    }
    if (node.type !== NodeKind.Element || !node.attributes) return;
    const el = mirror.getNode(node.id);
    if (!(el instanceof Element)) return;
    const attributes = node.attributes;
    if ('rr_width' in attributes) sentBlocked.add(el);
    for (const [name, value] of Object.entries(attributes)) {
      // rrweb keeps the raw `value` attribute when the live value is empty: it goes through the rules too.
      if (typeof value === 'string') attributes[name] = privacy.attribute(el, name, value);
    }
    if (el.tagName === 'OPTION' && attributes.selected && el.parentElement && privacy.isMaskedField(el.closest('select') ?? el)) delete attributes.selected;
    if (isField(el)) lastSent.set(el, fieldKey(el));
  };

  // 1. Full snapshot.
  const root = serialize(doc);
  if (!root) throw new Error('Coview could not serialize this page.');
  options.emit({ type: 'snapshot', node: root, viewport: viewportOf(win), scroll: { x: win.scrollX, y: win.scrollY } });

  // 2. DOM mutations, turned into id-addressed removes/adds/attribute/text changes.
  const flush = safe((records: MutationRecord[]) => {
    freshNodes = new WeakSet();
    const removes: number[] = [];
    const removed = new Set<Node>();
    const candidates = new Set<Node>();
    const attributeTargets = new Map<Element, Set<string>>();
    const textTargets = new Set<Node>();

    for (const record of records) {
      if (ignore(record.target)) continue;
      if (record.type === 'childList') {
        record.removedNodes.forEach((node) => {
          const id = idOf(node);
          if (id < 0 || removed.has(node)) return;
          removes.push(id);
          removed.add(node);
        });
        record.addedNodes.forEach((node) => candidates.add(node));
      } else if (record.type === 'attributes' && record.attributeName) {
        const el = record.target as Element;
        let names = attributeTargets.get(el);
        if (!names) attributeTargets.set(el, (names = new Set()));
        names.add(record.attributeName);
      } else if (record.type === 'characterData') {
        textTargets.add(record.target);
      }
    }

    // Forget removed subtrees only now: unmapping one while reading the records would hide the
    // removal of a node that was later moved into it (the agent would keep a stale copy).
    removed.forEach((node) => mirror.removeNodeFromMap(node));

    // Ancestors before descendants: a new subtree is sent once, from its topmost new node.
    const adds: AddedNode[] = [];
    for (const node of [...candidates].sort(documentOrder)) {
      if (!node.isConnected || node.getRootNode() !== doc || ignore(node) || idOf(node) >= 0) continue;
      const parentId = idOf(node.parentNode);
      if (parentId < 0 || parentId === IGNORED_NODE) continue;
      // A blocked element is sent empty: nothing added inside it later follows either.
      if (node.parentElement && privacy.isBlocked(node.parentElement)) continue;
      const serialized = serialize(node);
      if (!serialized) continue;
      adds.push({ parentId, nextId: nextKnownSiblingId(node), node: serialized });
    }

    const attributes: AttributeChange[] = [];
    attributeTargets.forEach((names, el) => {
      const id = idOf(el);
      if (id < 0 || freshNodes.has(el) || sentBlocked.has(el)) return;
      if (el.matches(privacy.blockSelector)) {
        // Newly blocked (a class or attribute change): the agent's copy is swapped for a placeholder.
        const parentId = idOf(el.parentNode);
        removes.push(id);
        mirror.removeNodeFromMap(el);
        const serialized = parentId >= 0 ? serialize(el) : null;
        if (serialized) adds.push({ parentId, nextId: nextKnownSiblingId(el), node: serialized });
        return;
      }
      for (const name of names) attributes.push({ id, name, value: attributeForWire(el, name) });
    });

    const texts: TextChange[] = [];
    textTargets.forEach((node) => {
      const id = idOf(node);
      if (id < 0 || freshNodes.has(node)) return;
      const text = node.textContent ?? '';
      texts.push({ id, value: privacy.text(node, text) });
    });

    if (removes.length || adds.length || attributes.length || texts.length) {
      options.emit({ type: 'mutation', removes, adds, attributes, texts });
    }
  });

  const nextKnownSiblingId = (node: Node): number | null => {
    for (let next = node.nextSibling; next; next = next.nextSibling) {
      const id = idOf(next);
      if (id >= 0) return id;
    }
    return null;
  };

  const attributeForWire = (el: Element, name: string): string | null => {
    const value = el.getAttribute(name);
    if (value === null) return null;
    const allowed = privacy.attribute(el, name, value);
    if (allowed !== value) return allowed;
    return transformAttribute(doc, el.tagName.toLowerCase() as Lowercase<string>, name.toLowerCase() as Lowercase<string>, value);
  };

  const observer = new MutationObserver(flush);
  observer.observe(doc, { childList: true, subtree: true, attributes: true, characterData: true });

  // 3. Form state. Events, not attributes: typing changes the `value` property only.
  const onInput = safe((event: Event) => {
    const el = event.target;
    if (!(el instanceof win.HTMLInputElement || el instanceof win.HTMLTextAreaElement || el instanceof win.HTMLSelectElement)) return;
    if (ignore(el)) return;
    flush(observer.takeRecords()); // a new field must exist on the agent before its value does
    sendField(el);
    // Checking one radio unchecks its group without events for the others.
    if (el instanceof win.HTMLInputElement && el.type === 'radio' && el.name) {
      doc.querySelectorAll<HTMLInputElement>(`input[type="radio"][name="${CSS.escape(el.name)}"]`).forEach((other) => other !== el && sendField(other));
    }
  });

  const sendField = (el: HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement) => {
    const id = idOf(el);
    if (id < 0 || ignore(el)) return;
    const key = fieldKey(el);
    if (lastSent.get(el) === key) return;
    lastSent.set(el, key);
    const checked = isCheckable(el) && privacy.showsChecked(el) ? { checked: (el as HTMLInputElement).checked } : {};
    options.emit({ type: 'input', id, value: privacy.fieldValue(el, el.value), ...checked });
  };

  // 3b. Values set by script with no input event (React/Vue controlled inputs, formatters).
  const stopWatching = watchFieldValues(
    doc,
    safe((el) => sendField(el)),
  );

  // 4. Scroll of the window and of any scrollable element, one throttle per target.
  const scrollThrottles = new Map<Node, ReturnType<typeof throttle<[]>>>();
  const onScroll = safe((event: Event) => {
    const target = event.target === doc || event.target === win ? doc : (event.target as Node);
    if (ignore(target)) return;
    let send = scrollThrottles.get(target);
    if (!send) {
      send = throttle(
        safe(() => {
          const id = idOf(target);
          if (id < 0) return;
          const el = target === doc ? doc.scrollingElement : (target as Element);
          const x = target === doc ? win.scrollX : (el?.scrollLeft ?? 0);
          const y = target === doc ? win.scrollY : (el?.scrollTop ?? 0);
          options.emit({ type: 'scroll', id, x, y });
        }),
        SCROLL_INTERVAL_MS,
      );
      scrollThrottles.set(target, send);
    }
    send();
  });

  // 5. Viewport and the customer's pointer (viewport coordinates, like the agent's view).
  const onResize = throttle(
    safe(() => options.emit({ type: 'viewport', ...viewportOf(win) })),
    100,
  );
  const onPointerMove = throttle(
    safe((x: number, y: number) => options.emit({ type: 'pointer', x, y })),
    POINTER_INTERVAL_MS,
  );
  const onMouseMove = (event: MouseEvent) => onPointerMove(event.clientX, event.clientY);
  const onClick = safe((event: MouseEvent) => {
    if (event.target instanceof Node && ignore(event.target)) return;
    options.emit({ type: 'click', x: event.clientX, y: event.clientY });
  });

  const listen: [EventTarget, string, EventListener][] = [
    [doc, 'input', onInput],
    [doc, 'change', onInput],
    [doc, 'scroll', onScroll],
    [win, 'resize', onResize],
    [doc, 'mousemove', onMouseMove as EventListener],
    [doc, 'mousedown', onClick as EventListener],
  ];
  for (const [target, type, fn] of listen) target.addEventListener(type, fn, { capture: true, passive: true });

  return () => {
    stopWatching();
    observer.disconnect();
    for (const [target, type, fn] of listen) target.removeEventListener(type, fn, { capture: true });
    scrollThrottles.forEach((t) => t.cancel());
    onResize.cancel();
    onPointerMove.cancel();
  };
}

function isField(el: Element): boolean {
  return el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT';
}

function isCheckable(el: Element): boolean {
  return el.tagName === 'INPUT' && ((el as HTMLInputElement).type === 'checkbox' || (el as HTMLInputElement).type === 'radio');
}

function viewportOf(win: Window) {
  return { width: win.innerWidth, height: win.innerHeight };
}

function documentOrder(a: Node, b: Node): number {
  if (a === b) return 0;
  return a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING ? -1 : 1;
}
