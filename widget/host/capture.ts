import { IGNORED_NODE, serializeNodeWithId, slimDOMDefaults } from 'rrweb-snapshot';
import { digestDocument, digestDocumentNow, NodeKind, type AddedNode, type Digest, type AttributeChange, type FlatNode, type HostMessage, type SerializedNode, type TextChange } from '../protocol/index.js';
import { watchCanvases, watchMedia } from './media.js';
import { NodeIds } from './node-ids.js';
import { patch } from './patch.js';
import { BLOCK_CLASS, createPrivacy, looksLikeData, MASK_TEXT_CLASS, MASKED_ATTRIBUTES, maskText, wireCss, type Decision, type Privacy } from './privacy.js';
import { repairVarShorthands, watchStyles } from './styles.js';
import { throttle } from './throttle.js';
import { watchFieldValues } from './value-watch.js';

export interface CaptureOptions {
  /** Where messages go (the data channel). */
  emit: (message: HostMessage) => void;
  /** Nodes that are never captured: the widget's own UI. */
  ignore?: (node: Node) => boolean;
  /** Reports a failure inside capture without ever throwing into the host page. */
  onError?: (error: unknown) => void;
  document?: Document;
  /** Longest stretch of snapshot work in one task; the page stays responsive in between. */
  sliceMs?: number;
  /**
   * At most this many nodes per snapshot part, the first part being the document node alone
   * (tests use tiny parts: they must end anywhere).
   */
  sliceNodes?: number;
  /** How often the structure digest is sent while the page is quiet (0: never). */
  digestIntervalMs?: number;
  /** The site's privacy rules (default: the built-in ones only). */
  privacy?: Privacy;
  /** Node ids shared with the control executor (default: fresh ones). */
  mirror?: NodeIds;
}

const SCROLL_INTERVAL_MS = 50;
const POINTER_INTERVAL_MS = 40;
const SLICE_MS = 12;
/** Changes wait at most this long for an animation frame (background tabs get none). */
const FLUSH_FALLBACK_MS = 100;
/** The digest after a snapshot, and then while the page is quiet at most this often. */
const DIGEST_AFTER_SNAPSHOT_MS = 500;
const DIGEST_INTERVAL_MS = 5_000;


/** A node waiting to be serialized by the snapshot walk, with what it inherits from its parent. */
/**
 * One node still to serialize in the snapshot walk. `sheetText`: a text node of a <style> whose
 * whole sheet already went as its `_cssText`, so the text itself need not be sent again.
 */
interface WalkItem { node: Node; parentId: number | null; isShadow: boolean; needsMask: boolean; sheetText?: boolean }

/** The capture's view of the page, shared by its parts (styles, media, the snapshot walk). */
export interface CaptureContext {
  mirror: NodeIds;
  emit: (message: HostMessage) => void;
  safe: <A extends unknown[]>(fn: (...args: A) => void) => (...args: A) => void;
  /** The id the agent knows `node` by, or -1. */
  idOf: (node: Node | null) => number;
  /** The site's one privacy rule (privacy.ts `decide`): nothing is watched or sent that it does not show. */
  decide: (node: Node) => Decision;
}

/** Stops capturing (rrweb's `record()` shape), plus what tests and benchmarks need to observe it. */
export type StopCapture = (() => void) & {
  /** Sends pending changes now instead of at the next animation frame. */
  flush(): void;
  /** Settles once the last snapshot part has been handed to `emit`. */
  snapshotSent: Promise<void>;
  /** The structure digest of what has been sent, now, in one go (tests compare it with the view's). */
  digest(): Digest;
};

/**
 * Captures the page: a full snapshot (serialized in slices, so a 100k-node page never freezes it),
 * then every change, coalesced per animation frame. Reaches into open shadow roots and same-origin
 * iframes. Returns the function that stops capturing (rrweb's `record()` shape).
 */
export function startCapture(options: CaptureOptions): StopCapture {
  const topDoc = options.document ?? document;
  const topWin = topDoc.defaultView ?? window;
  const ignore = options.ignore ?? (() => false);
  const sliceMs = options.sliceMs ?? SLICE_MS;
  const sliceNodes = options.sliceNodes ?? Infinity;
  const digestIntervalMs = options.digestIntervalMs ?? DIGEST_INTERVAL_MS;
  const mirror = options.mirror ?? new NodeIds();
  const privacy = options.privacy ?? createPrivacy();
  // rrweb's own first pass; the walk and scrubTree then apply `privacy.decide` to every node.
  const maskSelector = privacy.maskSelector;
  // Nodes sent as a placeholder: none of their later attribute changes may follow them.
  const sentBlocked = new WeakSet<Node>();
  // What the agent last got for each field, so polls and setter hooks send only real changes.
  const lastSent = new WeakMap<Element, string>();
  const fieldKey = (el: Element): string => {
    const field = el as HTMLInputElement;
    return `${privacy.fieldValue(el, field.value ?? '')}\u0000${isCheckable(el) && privacy.showsChecked(el) ? field.checked : ''}`;
  };
  const cleanups: (() => void)[] = [];
  let stopped = false;
  // Nodes serialized during the current mutation flush: their attributes and text are already current.
  // (Null outside a flush: the snapshot walk has no use for it, and 100k entries cost the collector.)
  let freshNodes: WeakSet<Node> | null = null;
  // Roots whose changes we observe: the document, open shadow roots, same-origin iframe documents.
  const roots = new Set<Node>();

  const safe =
    <A extends unknown[]>(fn: (...args: A) => void) =>
    (...args: A) => {
      if (stopped) return;
      try {
        fn(...args);
      } catch (error) {
        options.onError?.(error);
      }
    };

  const idOf = (node: Node | null): number => {
    if (!node) return -1;
    const id = mirror.getId(node);
    // A node is known only while its id still maps to it (ids of skipped nodes are -2).
    return id >= 0 && mirror.getNode(id) === node ? id : -1;
  };

  // Stylesheets' url()s go through the one URL redaction, like every attribute.
  const emit = (m: HostMessage) => {
    if (stopped) return;
    const base = topDoc.baseURI || topDoc.URL;
    if (m.type === 'stylesheet') m = { ...m, cssText: wireCss(m.cssText, base) };
    else if (m.type === 'sheet') m = { ...m, cssText: wireCss(m.cssText, base) };
    options.emit(m);
  };
  const ctx: CaptureContext = { mirror, emit, safe, idOf, decide: (node) => privacy.decide(node) };
  const styles = watchStyles(ctx);
  const canvases = watchCanvases(ctx);
  const media = watchMedia(ctx);
  cleanups.push(styles.stop, canvases.stop, media.stop);

  // One options object per document and mode, reused for every node: the snapshot walk calls
  // serializeNodeWithId once per node, and a fresh object each time is measurable on big pages.
  const optionsCache = new WeakMap<Document, Record<'tree' | 'shallow' | 'shallowMasked', ReturnType<typeof baseOptions> & { skipChild: boolean; needsMask?: boolean }>>();
  const serializeOptions = (doc: Document, mode: 'tree' | 'shallow' | 'shallowMasked') => {
    let cached = optionsCache.get(doc);
    if (!cached) {
      const base = baseOptions(doc);
      cached = { tree: { ...base, skipChild: false }, shallow: { ...base, skipChild: true, needsMask: false }, shallowMasked: { ...base, skipChild: true, needsMask: true } };
      optionsCache.set(doc, cached);
    }
    return cached[mode];
  };
  const baseOptions = (doc: Document) => ({
    doc,
    mirror: mirror.asRrwebMirror(),
    blockClass: BLOCK_CLASS,
    blockSelector: privacy.blockSelector,
    maskTextClass: MASK_TEXT_CLASS,
    maskTextSelector: maskSelector,
    maskTextFn: (text: string, el: HTMLElement | null) => privacy.text(el, text),
    maskInputOptions: { input: true, textarea: true },
    maskInputFn: (text: string, el: HTMLElement) => privacy.fieldValue(el, text),
    slimDOMOptions: SLIM_DOM,
    inlineStylesheet: true,
    recordCanvas: true,
    dataURLOptions: { type: 'image/webp', quality: 0.7 },
    onSerialize: (n: Node) => {
      freshNodes?.add(n);
      noticeNode(n);
    },
    // A <link> that loads after it was sent: its rules follow as a stylesheet message.
    onStylesheetLoad: safe((link: HTMLLinkElement) => styles.sendSheetOf(link)),
  });

  /** What every newly serialized node may need: observing its shadow root, its frame, its canvas. */
  const noticeNode = (n: Node) => {
    if (n.nodeType !== Node.ELEMENT_NODE) return;
    const el = n as Element;
    const tag = el.tagName;
    if (!el.shadowRoot && tag !== 'IFRAME' && tag !== 'CANVAS' && tag !== 'VIDEO' && tag !== 'AUDIO') return;
    // A blocked element is a placeholder: its shadow trees, frame, pixels and playback stay home.
    if (el.shadowRoot) privacy.noteRoot(el.shadowRoot);
    if (privacy.isBlocked(el)) return;
    if (el.shadowRoot) {
      observeRoot(el.shadowRoot);
      // Sent again (added, or moved: the agent builds a new copy), its shadow root's adopted
      // sheets must follow the change that carries it; the snapshot sends them all at its end.
      if (!snapshotting) resendAdopted.push(el.shadowRoot);
    }
    if (tag === 'IFRAME') watchFrame(el as HTMLIFrameElement);
    else if (tag === 'CANVAS') canvases.add(el as HTMLCanvasElement);
    else if (tag === 'VIDEO' || tag === 'AUDIO') media.add(el as HTMLMediaElement);
  };

  /**
   * The site's one rule on a serialized node, whatever rrweb-snapshot decided on its own (it does
   * not see across shadow or frame boundaries): a blocked element becomes a same-size empty box,
   * masked text is masked, attributes are redacted or allow-listed. Returns the decision, which
   * the node's children inherit; remembers what was sent blocked.
   */
  const scrubValue = (node: SerializedNode, inherited?: Decision): Decision => {
    const el = mirror.getNode(node.id);
    if (!el) return inherited ?? 'show';
    if (node.type === NodeKind.Text) {
      const decision = inherited ?? privacy.decide(el);
      const parentTag = el.parentNode?.nodeName;
      if (parentTag === 'STYLE') node.textContent = wireCss(node.textContent ?? '', el.ownerDocument?.baseURI ?? '');
      else if (decision !== 'show' && node.textContent) node.textContent = maskText(node.textContent);
      return decision;
    }
    if (node.type !== NodeKind.Element || el.nodeType !== Node.ELEMENT_NODE) return node.type === NodeKind.Document ? privacy.decide(el) : (inherited ?? privacy.decide(el));
    const element = el as Element;
    // For an element, `inherited` is its own decision when the caller already has it (the walk).
    const decision = inherited ?? privacy.decide(element);
    if (!node.attributes) node.attributes = {};
    if (decision === 'block' && !('rr_width' in node.attributes)) {
      const rect = element.getBoundingClientRect();
      const cls = node.attributes.class;
      node.attributes = { ...(typeof cls === 'string' && !looksLikeData(cls) ? { class: cls } : {}), rr_width: `${rect.width}px`, rr_height: `${rect.height}px` };
    }
    const attributes = node.attributes;
    if ('rr_width' in attributes) sentBlocked.add(element);
    // A <style> or <link> inlined by rrweb: its var() shorthands survive (see repairVarShorthands).
    const sheet = (element as HTMLStyleElement).sheet;
    if (typeof attributes._cssText === 'string' && sheet) attributes._cssText = repairVarShorthands(attributes._cssText, sheet);
    for (const [name, value] of Object.entries(attributes)) {
      // rrweb keeps the raw `value` attribute when the live value is empty: it goes through the rules too.
      const allowed = typeof value === 'string' ? privacy.attribute(element, name, value, decision) : decision === 'show' || MASKED_ATTRIBUTES.has(name.toLowerCase()) ? value : null;
      if (allowed === null) delete attributes[name];
      else attributes[name] = allowed;
    }
    if (element.tagName === 'OPTION' && attributes.selected && element.parentElement && privacy.isMaskedField(element.closest('select') ?? element)) delete attributes.selected;
    if (isField(element)) lastSent.set(element, fieldKey(element));
    sentDecisions.set(element, decision);
    return decision;
  };
  // What each element was sent as: a later change that moves it to another decision resends it.
  const sentDecisions = new WeakMap<Element, Decision>();

  /** Serializes a subtree at once (for changes), minus ignored nodes and secrets. */
  const serializeTree = (node: Node): SerializedNode | null => {
    const doc = node.nodeType === Node.DOCUMENT_NODE ? (node as Document) : node.ownerDocument!;
    const out = serializeNodeWithId(node, serializeOptions(doc, 'tree')) as SerializedNode | null;
    if (out?.type === NodeKind.Document) describeDoctype(out, doc);
    if (out) scrubTree(out);
    return out;
  };

  /** `inherited`: a text node's parent's decision (elements and documents ask the rule themselves). */
  const scrubTree = (node: SerializedNode, inherited?: Decision) => {
    const decision = scrubValue(node, inherited);
    if (!node.childNodes) return;
    if (node.attributes?.rr_width !== undefined) {
      // Made a placeholder by the rule: its children were serialized, but are never sent.
      for (const child of node.childNodes) {
        const dom = mirror.getNode(child.id);
        if (dom) mirror.removeNodeFromMap(dom);
      }
      node.childNodes = [];
      return;
    }
    node.childNodes = node.childNodes.filter((child) => {
      const dom = mirror.getNode(child.id);
      if (dom && ignore(dom)) {
        mirror.removeNodeFromMap(dom);
        return false;
      }
      return true;
    });
    node.childNodes.forEach((child) => scrubTree(child, child.type === NodeKind.Text ? decision : undefined));
  };

  // 1. Full snapshot, in slices. Changes made meanwhile queue up and are sent right after it,
  // computed from the page as it is then, so nothing is lost or sent twice.
  let snapshotting = true;
  const takeSnapshot = async () => {
    const emitted = new Set<number>();
    type Item = WalkItem;
    const stack: Item[] = [{ node: topDoc, parentId: null, isShadow: false, needsMask: false }];
    let part: FlatNode[] = [];
    let firstPart = true;
    while (stack.length > 0) {
      const deadline = performance.now() + sliceMs;
      // With parts counted in nodes (tests), the first one is the document node alone: the
      // boundary that once left agents with an empty mirror is crossed on every such snapshot.
      let budget = firstPart && sliceNodes !== Infinity ? 1 : sliceNodes;
      // A <style>'s text nodes go in the same part as the <style>: rrweb rebuilds the element's
      // text from its `_cssText` only over the children it is given, and without them it adds a
      // text of its own, which the later part's text would then duplicate (two @font-face rules
      // for one family, one never loaded).
      const sheetTextNext = () => stack.at(-1)?.sheetText === true;
      while (stack.length > 0 && ((budget-- > 0 && performance.now() < deadline) || sheetTextNext())) {
        const item = stack.pop()!;
        const { node } = item;
        if (ignore(node)) continue;
        // A node moved into the part not yet walked would be met twice; its move is sent as a change.
        const known = idOf(node);
        if (known >= 0 && emitted.has(known)) continue;
        const doc = node.nodeType === Node.DOCUMENT_NODE ? (node as Document) : node.ownerDocument!;
        // The one rule decides for elements and documents (a frame's document asks its <iframe>); text inherits.
        const ownDecision = node.nodeType === Node.ELEMENT_NODE || node.nodeType === Node.DOCUMENT_NODE ? privacy.decide(node) : item.needsMask ? 'mask' : 'show';
        const serialized = serializeNodeWithId(node, serializeOptions(doc, ownDecision !== 'show' ? 'shallowMasked' : 'shallow')) as SerializedNode | null;
        if (!serialized) continue;
        delete serialized.childNodes;
        // As rrweb's own snapshot does: the sheet's text travels once, in `_cssText`.
        if (item.sheetText && serialized.type === NodeKind.Text) serialized.textContent = '';
        if (serialized.type === NodeKind.Document) describeDoctype(serialized, node as Document);
        if (item.isShadow) serialized.isShadow = true;
        const needsMask = scrubValue(serialized, ownDecision) !== 'show';
        emitted.add(serialized.id);
        part.push({ parentId: item.parentId, node: serialized });
        pushChildren(stack, node, serialized, needsMask);
      }
      if (stopped) return;
      if (stack.length > 0) {
        // The first part carries the viewport, so the agent can show the top of the page at once.
        ctx.emit({ type: 'snapshot-part', nodes: part, done: false, ...(firstPart ? { viewport: viewportOf(topWin), scroll: { x: topWin.scrollX, y: topWin.scrollY } } : {}) });
        firstPart = false;
        part = [];
        await yieldToPage();
        if (stopped) return;
      }
    }
    const hover = hoveredId();
    ctx.emit({ type: 'snapshot-part', nodes: part, done: true, viewport: viewportOf(topWin), scroll: { x: topWin.scrollX, y: topWin.scrollY }, ...(hover >= 0 ? { hover } : {}) });
    styles.sendAdopted(topDoc);
    roots.forEach((root) => root !== topDoc && styles.sendAdopted(root as Document | ShadowRoot));
    snapshotting = false;
    // Frames that loaded a new document while the walk was elsewhere: their documents follow now.
    framesLoadedMeanwhile.forEach((frame) => sendFrameDocument(frame));
    framesLoadedMeanwhile.clear();
    scheduleFlush();
    scheduleDigest(DIGEST_AFTER_SNAPSHOT_MS);
  };

  /** The element under the customer's pointer now (the deepest one that is :hover), or -1. */
  const hoveredId = (): number => {
    const chain = topDoc.querySelectorAll(':hover');
    for (let i = chain.length - 1; i >= 0; i--) {
      const id = idOf(chain[i]!);
      if (id >= 0) return id;
    }
    return -1;
  };

  // 1b. The structure digest: the agent compares it with its view and resyncs on a mismatch. It
  // is walked in slices while the page is quiet; a change during the walk means "try later".
  let mutationCount = 0;
  let digestTimer: ReturnType<typeof setTimeout> | undefined;
  const scheduleDigest = (delayMs: number) => {
    clearTimeout(digestTimer);
    // Never into the host page: a failed walk is reported, and the next one is scheduled anyway.
    if (digestIntervalMs > 0) digestTimer = setTimeout(() => void sendDigest().catch((error) => (options.onError?.(error), scheduleDigest(digestIntervalMs))), delayMs);
  };
  const sendDigest = async () => {
    if (stopped) return;
    if (snapshotting) return scheduleDigest(digestIntervalMs);
    flushNow();
    const startedAt = performance.now();
    const before = mutationCount;
    // Frames count with the document they were sent with (none: blocked, cross-origin, never
    // sent). A frame between two documents (reloading, its load event not yet here) is not quiet.
    let framesSettled = true;
    const sentFrameDocumentOf = (frame: Node): Node | null => {
      const sent = sentFrameDocuments.get(frame as HTMLIFrameElement);
      const now = readableFrameDocument(frame as HTMLIFrameElement);
      if (sent && now && now !== sent) framesSettled = false;
      return sent && idOf(sent) >= 0 ? sent : null;
    };
    const steps = digestDocument<Node>(topDoc, idOf, sentFrameDocumentOf);
    let work = 0;
    for (;;) {
      const sliceStart = performance.now();
      let step = steps.next();
      while (!step.done && performance.now() - sliceStart < sliceMs) step = steps.next();
      work += performance.now() - sliceStart;
      if (step.done) {
        if (framesSettled && mutationCount === before && pending.length === 0 && !flushScheduled && !snapshotting) ctx.emit({ type: 'digest', ...step.value });
        break;
      }
      await yieldToPage();
      if (stopped) return;
      // The page changed under the walk: what it counted is neither before nor after. Later.
      if (mutationCount !== before || snapshotting) break;
    }
    // A big page costs more to walk: never more than ~2% of the customer's main thread.
    scheduleDigest(Math.max(digestIntervalMs, 50 * work, performance.now() - startedAt));
  };

  const pushChildren = (stack: WalkItem[], node: Node, serialized: SerializedNode, needsMask: boolean) => {
    if (serialized.type !== NodeKind.Document && serialized.type !== NodeKind.Element) return;
    const el = node as Element;
    // Blocked elements (a placeholder) and textareas (their value is the content) keep no children.
    // (rrweb marks a blocked element's placeholder with its size, rr_width/rr_height.)
    if (serialized.type === NodeKind.Element && (serialized.attributes?.rr_width !== undefined || (serialized.tagName === 'textarea' && serialized.attributes?.value !== undefined))) return;
    const children: { node: Node; isShadow: boolean }[] = [];
    node.childNodes.forEach((child) => children.push({ node: child, isShadow: false }));
    if (serialized.type === NodeKind.Element && el.shadowRoot) el.shadowRoot.childNodes.forEach((child) => children.push({ node: child, isShadow: true }));
    if (serialized.type === NodeKind.Element && serialized.tagName === 'iframe') {
      const frameDoc = readableFrameDocument(el as HTMLIFrameElement);
      if (frameDoc) {
        children.push({ node: frameDoc, isShadow: false });
        sentFrameDocuments.set(el as HTMLIFrameElement, frameDoc);
      }
    }
    const sheetText = serialized.type === NodeKind.Element && serialized.tagName === 'style' && typeof serialized.attributes?._cssText === 'string';
    // Reverse onto the stack so children come off it in document order.
    for (let i = children.length - 1; i >= 0; i--) {
      const child = children[i]!;
      const item: WalkItem = { node: child.node, parentId: serialized.id, isShadow: child.isShadow, needsMask };
      if (sheetText && child.node.nodeType === Node.TEXT_NODE) item.sheetText = true;
      stack.push(item);
    }
  };

  // 2. DOM mutations, turned into id-addressed removes/adds/attribute/text changes.
  let pending: MutationRecord[] = [];
  let flushScheduled = false;
  const scheduleFlush = () => {
    if (flushScheduled || snapshotting) return;
    flushScheduled = true;
    // One batch per frame: a burst of changes from one render goes out as one message.
    const raf = topWin.requestAnimationFrame?.(() => flushNow());
    const timer = setTimeout(() => flushNow(), FLUSH_FALLBACK_MS);
    flushCancel = () => {
      if (raf !== undefined) topWin.cancelAnimationFrame(raf);
      clearTimeout(timer);
    };
  };
  let flushCancel = () => {};
  const flushNow = safe(() => {
    flushCancel();
    flushScheduled = false;
    const records = pending.concat(observer.takeRecords());
    pending = [];
    if (records.length) flush(records);
  });
  /** Before an input or scroll message: the nodes it names must already exist on the agent. */
  const flushBeforeEvent = () => {
    if (!snapshotting) flushNow();
  };

  const flush = (records: MutationRecord[]) => {
    freshNodes = new WeakSet();
    try {
      flushRecords(records, freshNodes);
    } finally {
      freshNodes = null;
    }
  };

  const flushRecords = (records: MutationRecord[], freshNodes: WeakSet<Node>) => {
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

    const adds: AddedNode[] = [];
    // Attribute changes first: an element whose decision changed is resent whole, with what was
    // added inside it in this batch (which then has an id, and is not sent a second time below).
    const attributes: AttributeChange[] = [];
    const changed: [Element, Set<string>, Decision][] = [];
    const swapped: Element[] = [];
    attributeTargets.forEach((names, el) => {
      const id = idOf(el);
      if (id < 0 || freshNodes.has(el) || sentBlocked.has(el)) return;
      const decision = privacy.decide(el);
      // Inside something blocked since (a frame's document whose <iframe> became blocked): nothing follows.
      if (decision === 'block' && el.parentNode && privacy.isBlocked(el.parentNode)) return;
      if (decision !== (sentDecisions.get(el) ?? decision)) {
        // Newly blocked, masked or shown (a class or attribute change): the agent's copy is
        // swapped for one serialized under the rule as it is now.
        removes.push(id);
        forgetFrameDocuments(el);
        mirror.removeNodeFromMap(el);
        swapped.push(el);
        return;
      }
      changed.push([el, names, decision]);
    });
    // Serialized only once every swapped element is forgotten, so none is placed beside another's old copy.
    for (const el of swapped.sort(byDepth)) {
      if (idOf(el) >= 0) continue; // inside another swapped element: already in its copy
      const parentId = parentIdOf(el);
      const serialized = parentId >= 0 ? serializeTree(el) : null;
      if (serialized) adds.push({ parentId, nextId: nextKnownSiblingId(el), node: serialized });
    }
    // Then the plain changes, of elements still known (one inside a resent element is in its copy).
    for (const [el, names, decision] of changed) {
      const id = idOf(el);
      if (id < 0) continue;
      for (const name of names) {
        const change = attributeForWire(el, name, decision);
        if (change) attributes.push({ id, name, value: change.value });
      }
    }

    // Ancestors before descendants: a new subtree is sent once, from its topmost new node.
    for (const node of [...candidates].sort(byDepth)) {
      if (!node.isConnected || !roots.has(node.getRootNode()) || ignore(node) || idOf(node) >= 0) continue;
      const parentId = parentIdOf(node);
      if (parentId < 0 || parentId === IGNORED_NODE) continue;
      // A blocked element is sent empty: nothing added inside it later follows either (nor inside
      // its shadow roots or its frame's document: the rule crosses those boundaries).
      if (node.parentNode && privacy.isBlocked(node.parentNode)) continue;
      const serialized = serializeTree(node);
      if (!serialized) continue;
      adds.push({ parentId, nextId: nextKnownSiblingId(node), node: serialized });
    }

    const texts: TextChange[] = [];
    textTargets.forEach((node) => {
      const id = idOf(node);
      if (id < 0 || freshNodes.has(node)) return;
      const decision = privacy.decide(node);
      if (decision === 'block') return;
      const text = node.textContent ?? '';
      const parentStyle = node.parentNode?.nodeName === 'STYLE';
      texts.push({ id, value: parentStyle ? wireCss(text, node.ownerDocument?.baseURI ?? '') : decision === 'show' ? text : maskText(text) });
    });

    if (removes.length || adds.length || attributes.length || texts.length) {
      ctx.emit({ type: 'mutation', removes, adds, attributes, texts });
    }
    sendAdoptedOfSent();
  };
  const resendAdopted: ShadowRoot[] = [];
  const sendAdoptedOfSent = () => resendAdopted.splice(0).forEach((root) => styles.sendAdopted(root));

  /** A shadow root's children hang off its host; a frame's document off its <iframe>. */
  const parentIdOf = (node: Node): number => {
    const parent = node.parentNode;
    if (parent && parent.nodeType === Node.DOCUMENT_FRAGMENT_NODE && (parent as ShadowRoot).host) return idOf((parent as ShadowRoot).host);
    return idOf(parent);
  };

  const nextKnownSiblingId = (node: Node): number | null => {
    for (let next = node.nextSibling; next; next = next.nextSibling) {
      const id = idOf(next);
      if (id >= 0) return id;
    }
    return null;
  };

  /**
   * An attribute change as it may be sent: `{ value: null }` is a removal; undefined means the
   * rule drops this attribute, so the agent never had it and hears nothing of it now either.
   * URLs are made absolute against the redacted address, inside privacy.attribute (see wireUrl).
   */
  const attributeForWire = (el: Element, name: string, decision: Decision): { value: string | null } | undefined => {
    const value = el.getAttribute(name);
    if (value === null) return { value: null };
    const allowed = privacy.attribute(el, name, value, decision);
    return allowed === null ? undefined : { value: allowed };
  };

  /** Frame documents under `el` (its own, its descendants'): forgotten with it, so nothing in them follows. */
  const forgetFrameDocuments = (el: Element) => {
    const frames = el.tagName === 'IFRAME' ? [el] : Array.from(el.getElementsByTagName('iframe'));
    for (const frame of frames) {
      const doc = readableFrameDocument(frame as HTMLIFrameElement);
      if (doc) mirror.removeNodeFromMap(doc);
    }
  };

  const observer = new MutationObserver(
    safe((records: MutationRecord[]) => {
      mutationCount++;
      pending.push(...records);
      scheduleFlush();
    }),
  );
  const observeRoot = (root: Node) => {
    if (roots.has(root)) return;
    roots.add(root);
    privacy.noteRoot(root as Document | ShadowRoot);
    observer.observe(root, { childList: true, subtree: true, attributes: true, characterData: true });
  };

  // Shadow roots attached after their host was sent produce no mutation of their own.
  cleanups.push(
    patch(topWin.Element.prototype, 'attachShadow', (original) =>
      function (this: Element, init: ShadowRootInit) {
        const root = (original as (init: ShadowRootInit) => ShadowRoot).call(this, init);
        // Every root, closed ones and those under blocked hosts too: values typed into them are known to the redactor.
        safe(() => privacy.noteRoot(root))();
        if (init.mode === 'open' && idOf(this) >= 0 && !privacy.isBlocked(this)) safe(() => observeRoot(root))();
        return root;
      },
    ),
  );

  // 3. Same-origin frames: their documents are captured like the page's own, as children of the
  // <iframe>; a frame that (re)loads sends its new document.
  const watchedFrames = new WeakSet<HTMLIFrameElement>();
  const framesLoadedMeanwhile = new Set<HTMLIFrameElement>();
  // The document each frame was last sent with: forgotten when the frame loads another.
  const sentFrameDocuments = new WeakMap<HTMLIFrameElement, Document>();
  const watchFrame = (frame: HTMLIFrameElement) => {
    if (watchedFrames.has(frame)) return;
    watchedFrames.add(frame);
    const frameDoc = readableFrameDocument(frame);
    if (frameDoc) watchDocument(frameDoc);
    const onLoad = safe(() => {
      // During the snapshot the walk may or may not have met the new document yet: decide after it.
      if (snapshotting) return void framesLoadedMeanwhile.add(frame);
      flushBeforeEvent();
      sendFrameDocument(frame);
    });
    frame.addEventListener('load', onLoad);
    cleanups.push(() => frame.removeEventListener('load', onLoad));
  };
  /** A frame's current document, unless the agent has it already (or the frame is blocked). */
  const sendFrameDocument = (frame: HTMLIFrameElement) => {
    const frameId = idOf(frame);
    const doc = readableFrameDocument(frame);
    const previous = sentFrameDocuments.get(frame);
    if (frameId < 0 || sentBlocked.has(frame) || privacy.isBlocked(frame) || (doc && idOf(doc) >= 0)) return;
    if (!doc) {
      // Now cross-origin (or gone): the agent forgets the document it had, and so do we.
      const previousId = previous ? idOf(previous) : -1;
      if (previous) mirror.removeNodeFromMap(previous);
      sentFrameDocuments.delete(frame);
      if (previousId >= 0) ctx.emit({ type: 'mutation', removes: [previousId], adds: [], attributes: [], texts: [] });
      return;
    }
    if (previous) mirror.removeNodeFromMap(previous);
    sentFrameDocuments.set(frame, doc);
    watchDocument(doc);
    const node = serializeTree(doc);
    if (node) ctx.emit({ type: 'mutation', removes: [], adds: [{ parentId: frameId, nextId: null, node }], attributes: [], texts: [] });
    sendAdoptedOfSent();
  };

  // 4. Form state, scroll, focus, selection, per document (the page's and each frame's).
  const watchDocument = (doc: Document) => {
    observeRoot(doc);
    const listen: [EventTarget, string, EventListener][] = [
      [doc, 'input', onInput],
      [doc, 'change', onInput],
      [doc, 'scroll', onScroll],
      [doc, 'focusin', onFocus],
      [doc, 'focusout', onFocus],
      [doc, 'selectionchange', onSelection],
    ];
    for (const [target, type, fn] of listen) target.addEventListener(type, fn, { capture: true, passive: true });
    cleanups.push(() => {
      for (const [target, type, fn] of listen) target.removeEventListener(type, fn, { capture: true });
    });
    // Values set by script with no input event (React/Vue controlled inputs, formatters).
    cleanups.push(watchFieldValues(doc, safe((el) => sendField(el))));
  };

  // Events, not attributes: typing changes the `value` property only.
  const onInput = safe((event: Event) => {
    const el = event.target as Element | null;
    if (!el || !isField(el) || ignore(el)) return;
    flushBeforeEvent();
    sendField(el);
    // Checking one radio unchecks its group without events for the others.
    if (el.tagName === 'INPUT' && (el as HTMLInputElement).type === 'radio' && (el as HTMLInputElement).name) {
      el.ownerDocument.querySelectorAll<HTMLInputElement>(`input[type="radio"][name="${CSS.escape((el as HTMLInputElement).name)}"]`).forEach((other) => other !== el && sendField(other));
    }
  });

  const sendField = (el: HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement) => {
    const id = idOf(el);
    if (id < 0 || ignore(el)) return;
    const key = fieldKey(el);
    if (lastSent.get(el) === key) return;
    lastSent.set(el, key);
    const checked = isCheckable(el) && privacy.showsChecked(el) ? { checked: (el as HTMLInputElement).checked } : {};
    ctx.emit({ type: 'input', id, value: privacy.fieldValue(el, el.value), ...checked });
  };

  // Scroll of a document or of any scrollable element, one throttle per target. Weak: an element
  // that scrolled once and left the page must not stay in memory for the rest of the session.
  const scrollThrottles = new WeakMap<Node, ReturnType<typeof throttle<[]>>>();
  const onScroll = safe((event: Event) => {
    const raw = event.target as Node | Window;
    const target: Node = 'document' in raw && (raw as Window).document ? (raw as Window).document : (raw as Node);
    if (ignore(target)) return;
    let send = scrollThrottles.get(target);
    if (!send) {
      send = throttle(
        safe(() => {
          const id = idOf(target);
          if (id < 0) return;
          if (target.nodeType === Node.DOCUMENT_NODE) {
            const win = (target as Document).defaultView;
            ctx.emit({ type: 'scroll', id, x: win?.scrollX ?? 0, y: win?.scrollY ?? 0 });
          } else {
            ctx.emit({ type: 'scroll', id, x: (target as Element).scrollLeft, y: (target as Element).scrollTop });
          }
        }),
        SCROLL_INTERVAL_MS,
      );
      scrollThrottles.set(target, send);
    }
    send();
  });

  const onFocus = safe((event: Event) => {
    const focusEvent = event as FocusEvent;
    const target = focusEvent.type === 'focusin' ? (focusEvent.target as Node) : null;
    if (target && ignore(target)) return;
    ctx.emit({ type: 'focus', id: target && !privacy.isBlocked(target) ? idOf(target) : null });
  });

  const onSelection = throttle(
    safe(() => {
      const selection = topDoc.getSelection();
      const ranges = [];
      for (let i = 0; selection && i < Math.min(selection.rangeCount, 10); i++) {
        const range = selection.getRangeAt(i);
        const start = idOf(range.startContainer);
        const end = idOf(range.endContainer);
        if (start < 0 || end < 0 || range.collapsed) continue;
        // Masked text is shown masked, so the offsets into it would not line up: skip it.
        if (privacy.isMasked(range.startContainer) || privacy.isMasked(range.endContainer)) continue;
        ranges.push({ start, startOffset: range.startOffset, end, endOffset: range.endOffset });
      }
      ctx.emit({ type: 'selection', ranges });
    }),
    100,
  );

  // 5. Viewport and the customer's pointer (viewport coordinates, like the agent's view).
  const onResize = throttle(
    safe(() => ctx.emit({ type: 'viewport', ...viewportOf(topWin) })),
    100,
  );
  const onPointerMove = throttle(
    safe((x: number, y: number, target: EventTarget | null) => {
      const hover = target instanceof topWin.Node ? idOf(target) : -1;
      ctx.emit({ type: 'pointer', x, y, ...(hover >= 0 ? { hover } : {}) });
    }),
    POINTER_INTERVAL_MS,
  );
  const onMouseMove = (event: MouseEvent) => onPointerMove(event.clientX, event.clientY, event.composedPath?.()[0] ?? event.target);
  const onClick = safe((event: MouseEvent) => {
    if (event.target instanceof Node && ignore(event.target)) return;
    ctx.emit({ type: 'click', x: event.clientX, y: event.clientY });
  });

  const topListeners: [EventTarget, string, EventListener][] = [
    [topWin, 'resize', onResize],
    [topDoc, 'mousemove', onMouseMove as EventListener],
    [topDoc, 'mousedown', onClick as EventListener],
  ];
  for (const [target, type, fn] of topListeners) target.addEventListener(type, fn, { capture: true, passive: true });

  watchDocument(topDoc);
  const snapshotSent = takeSnapshot().catch((error) => options.onError?.(error));

  const stop = () => {
    if (stopped) return;
    flushNow();
    stopped = true;
    flushCancel();
    clearTimeout(digestTimer);
    observer.disconnect();
    for (const [target, type, fn] of topListeners) target.removeEventListener(type, fn, { capture: true });
    for (const cleanup of cleanups) {
      try {
        cleanup();
      } catch {
        // Restoring the page's own functions must never fail loudly.
      }
    }
    // A scroll throttle still waiting fires once more into `emit`, which is closed now.
    onResize.cancel();
    onPointerMove.cancel();
    onSelection.cancel();
  };
  const digestNow = (): Digest => {
    flushBeforeEvent();
    return digestDocumentNow<Node>(topDoc, idOf, frameDocumentOf);
  };
  return Object.assign(stop, { flush: () => flushBeforeEvent(), snapshotSent, digest: digestNow });
}

// Meta refresh/CSP/cookies never leave: they mean nothing in a mirror and one could navigate it.
const SLIM_DOM = slimDOMDefaults({ script: true, comment: true, headFavicon: true, headMetaSocial: true, headMetaRobots: true, headMetaVerification: true, headMetaHttpEquiv: true });

/**
 * A document node carries its doctype (name and ids) and always its mode: the agent writes that
 * doctype into its empty document so the HTML parser picks the same mode (quirks, limited quirks
 * or standards) as the customer's did, whichever part its nodes arrive in.
 */
function describeDoctype(serialized: SerializedNode, doc: Document): void {
  serialized.compatMode = doc.compatMode;
  const doctype = doc.doctype;
  if (!doctype) return;
  serialized.name = doctype.name;
  if (doctype.publicId) serialized.publicId = doctype.publicId;
  if (doctype.systemId) serialized.systemId = doctype.systemId;
}

function isField(el: Element): el is HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement {
  return el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT';
}

function isCheckable(el: Element): boolean {
  return el.tagName === 'INPUT' && ((el as HTMLInputElement).type === 'checkbox' || (el as HTMLInputElement).type === 'radio');
}

const frameDocumentOf = (frame: Node): Node | null => readableFrameDocument(frame as HTMLIFrameElement);

/** The document inside a same-origin frame, once it has one; null for cross-origin frames. */
export function readableFrameDocument(frame: HTMLIFrameElement): Document | null {
  try {
    const doc = frame.contentDocument;
    return doc && doc.documentElement ? doc : null;
  } catch {
    return null;
  }
}

/**
 * Lets the page run between two slices of snapshot work: a macrotask, unclamped unlike setTimeout.
 * One channel for every yield: entangling a new MessageChannel per slice was a tenth of a
 * snapshot's main-thread time on a throttled phone.
 */
function yieldToPage(): Promise<void> {
  if (!yieldChannel) {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => yieldWaiters.shift()?.();
    yieldChannel = channel;
  }
  const channel = yieldChannel;
  return new Promise((resolve) => {
    yieldWaiters.push(resolve);
    channel.port2.postMessage(null);
  });
}
let yieldChannel: MessageChannel | undefined;
const yieldWaiters: (() => void)[] = [];

function viewportOf(win: Window) {
  return { width: win.innerWidth, height: win.innerHeight };
}

function depth(node: Node): number {
  let d = 0;
  for (let n: Node | null = node; n; n = n.parentNode) d++;
  return d;
}

function byDepth(a: Node, b: Node): number {
  return depth(a) - depth(b);
}
