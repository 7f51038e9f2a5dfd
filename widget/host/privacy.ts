import { checkSelector } from './check-selector.js';
import { REDACTED } from '../protocol/messages.js';

export { REDACTED };

/**
 * What never leaves the customer's device. Every value the host sends (snapshot, mutations,
 * attribute changes, input events, console messages, network URLs) passes through here first.
 */
export const MASK = '••••••••';

/** Text inside these elements is replaced before it is sent. */
export const MASK_TEXT_SELECTOR = '[data-coview-mask]';
export const MASK_TEXT_CLASS = 'coview-mask';
/** These elements are sent as an empty box of the same size. */
export const BLOCK_SELECTOR = '[data-coview-block]';
export const BLOCK_CLASS = 'coview-block';
/** In private-by-default mode, only these elements (and what is inside them) are shown. */
export const ALLOW_SELECTOR = '[data-coview-allow]';

/** Attributes that carry words a person reads: masked like text inside masked regions. */
export const TEXT_ATTRIBUTES: ReadonlySet<string> = new Set(['title', 'alt', 'placeholder', 'aria-label', 'aria-description', 'aria-valuetext', 'aria-roledescription', 'aria-placeholder', 'label']);

/**
 * Inside masked regions (and everywhere in private mode outside data-coview-allow) only these
 * attributes pass: they shape layout and carry no words or identifiers of the customer's. Text
 * attributes are masked word by word, field values by the field rules; everything else (href,
 * src, srcset, data-*, name, for, content, other aria-*, …) is dropped. `id` and `class` are the
 * page's own styling hooks and pass, unless they look like data (see `looksLikeData`). rrweb's
 * own markers (rr_width, _cssText, …) describe layout and styles.
 */
export const MASKED_ATTRIBUTES: ReadonlySet<string> = new Set([
  'id', 'class', 'style', 'lang', 'charset', 'width', 'height', 'type', 'role', 'dir', 'hidden', 'colspan', 'rowspan', 'span', 'cols', 'rows', 'size', 'align', 'valign',
  'disabled', 'readonly', 'open', 'tabindex', 'draggable', 'aria-hidden', 'aria-expanded', 'aria-disabled', 'aria-level', 'aria-modal',
  // SVG geometry (icons): shapes and paint, no text.
  'viewbox', 'xmlns', 'preserveaspectratio', 'fill', 'stroke', 'stroke-width', 'stroke-linecap', 'stroke-linejoin', 'fill-rule', 'clip-rule', 'opacity',
  'd', 'x', 'y', 'x1', 'y1', 'x2', 'y2', 'cx', 'cy', 'r', 'rx', 'ry', 'points', 'transform',
  'rr_width', 'rr_height', '_csstext', 'rr_open_mode', 'rr_scrollleft', 'rr_scrolltop',
  // The site's own privacy markers: they say where a region is masked, nothing of what is in it.
  'data-coview-mask', 'data-coview-block', 'data-coview-allow',
]);

/** Attributes whose value is a URL (or a list of them): on the wire they go through `wireUrl`. */
export const URL_ATTRIBUTES: ReadonlySet<string> = new Set(['href', 'src', 'xlink:href', 'background', 'poster', 'data', 'cite', 'longdesc', 'action', 'formaction', 'ping', 'manifest', 'codebase', 'usemap']);

const RENDERING_META = /^(viewport|color-scheme|theme-color|supported-color-schemes)$/i;

// Fields whose content is a secret by what the browser autofills into them.
const SECRET_AUTOCOMPLETE = /\b(cc-number|cc-csc|cc-exp|one-time-code|current-password|new-password)\b/i;

// A password field toggled to type=text ("show password") must stay masked.
const onceSecret = new WeakSet<Element>();

const FIELD_TAGS = new Set(['input', 'textarea', 'select']);

// ---------------------------------------------------------------------------------------------
// The one rule. Every path that serializes, watches, serves or acts on a node asks `decide`.

export type Decision = 'show' | 'mask' | 'block';

/**
 * The little of a DOM node the rule reads, so it is a pure function that unit tests can run on
 * plain objects: elements have `closest`, shadow roots a `host`, documents a `defaultView`
 * (whose `frameElement` is the <iframe> a same-origin frame's document hangs off).
 */
export interface RuleNode {
  readonly nodeType: number;
  readonly parentNode: RuleNode | null;
  closest?(selector: string): RuleNode | null;
  getRootNode?(): RuleNode;
  readonly host?: RuleNode | null;
  readonly defaultView?: { readonly frameElement: RuleNode | null } | null;
}

/** Selectors of one site's rules (see `rulesOf`). */
export interface Rules {
  /** An element matching this, and everything under it (shadow trees and frames included), is blocked. */
  readonly block: string;
  /** … is masked. */
  readonly mask: string;
  /** Private mode: only what is under an element matching this is shown; null when not private. */
  readonly allow: string | null;
  /** Media (pictures, canvases, players): blocked when masked, and in private mode outside allowed regions. */
  readonly media: string;
  /** Frames: blocked in private mode outside allowed regions; masked like any element otherwise. */
  readonly frames: string;
}

const MEDIA = 'img, picture, video, audio, canvas, image, object, embed';
const FRAMES = 'iframe, frame';

/** The built-in rules only (data-coview-mask / -block and their classes). */
export const BUILT_IN_RULES: Rules = { block: `${BLOCK_SELECTOR}, .${BLOCK_CLASS}`, mask: `${MASK_TEXT_SELECTOR}, .${MASK_TEXT_CLASS}`, allow: null, media: MEDIA, frames: FRAMES };

/** The element a node's rule starts from, or its root when it has none (a document, a shadow root's text). */
function boundaryOf(node: RuleNode): { el: RuleNode | null; root: RuleNode | null } {
  if (node.nodeType === 1) return { el: node, root: null };
  if (node.nodeType === 9 || node.nodeType === 11) return { el: null, root: node };
  const parent = node.parentNode;
  if (!parent) return { el: null, root: null };
  return parent.nodeType === 1 ? { el: parent, root: null } : { el: null, root: parent };
}

/** Where the rule continues above a tree: a shadow root's host, a frame document's <iframe>. */
function aboveRoot(root: RuleNode): RuleNode | null {
  if (root.nodeType === 11) return root.host ?? null;
  if (root.nodeType === 9) {
    try {
      return root.defaultView?.frameElement ?? null;
    } catch {
      return null; // a cross-origin parent: the rule stops at this document
    }
  }
  return null;
}

/**
 * Whether `node` is shown, masked or blocked under `rules`. A shadow root's host counts as its
 * parent, and so does a same-origin frame document's <iframe>: a masked host masks its shadow
 * trees and its frames' documents, a blocked one blocks them, whatever attaches or loads later.
 * Block wins over mask, mask over allow. Media are blocked wherever they would be masked.
 */
export function decide(node: RuleNode | null | undefined, rules: Rules): Decision {
  if (!node) return 'show';
  // The element of each tree on the way up, innermost first.
  const chain: RuleNode[] = [];
  let current: RuleNode | null = node;
  while (current && chain.length < 64) {
    const { el, root } = boundaryOf(current);
    if (el) {
      if (el.closest!(rules.block)) return 'block';
      chain.push(el);
      current = aboveRoot(el.getRootNode ? el.getRootNode() : el);
    } else {
      current = root ? aboveRoot(root) : null;
    }
  }
  const privateMode = rules.allow !== null;
  let masked = false;
  let allowed = !privateMode;
  // Outermost tree first: what is masked or allowed above a media element decides it. Media and
  // frames are looked for only where something would be hidden (the common case stays two lookups).
  for (let i = chain.length - 1; i >= 0; i--) {
    const el = chain[i]!;
    const maskedHere: boolean = masked || el.closest!(rules.mask) !== null;
    const allowedHere: boolean = allowed || el.closest!(rules.allow!) !== null;
    if (maskedHere || !allowedHere) {
      const media = el.closest!(rules.media);
      if (media && (masked || media.closest!(rules.mask) || !(allowed || (privateMode && media.closest!(rules.allow!))))) return 'block';
      if (!allowed) {
        const frame = el.closest!(rules.frames);
        if (frame && !frame.closest!(rules.allow!)) return 'block';
      }
    }
    masked = maskedHere;
    allowed = allowedHere;
  }
  return masked || !allowed ? 'mask' : 'show';
}

/** The rules of a site's options (selectors already checked). */
export function rulesOf(options: PrivacyOptions): Rules {
  return {
    block: [BUILT_IN_RULES.block, options.blockSelector].filter(Boolean).join(', '),
    mask: [BUILT_IN_RULES.mask, options.maskSelector].filter(Boolean).join(', '),
    allow: options.privateByDefault === true ? ALLOW_SELECTOR : null,
    media: MEDIA,
    frames: FRAMES,
  };
}

/** A secret by its kind alone (password, card, one-time code, hidden), whatever the site's options. */
export function isSecretField(el: Element): boolean {
  if (onceSecret.has(el)) return true;
  const tag = el.tagName.toLowerCase();
  if (!FIELD_TAGS.has(tag)) return false;
  const type = (el.getAttribute('type') ?? '').toLowerCase();
  const secret =
    type === 'password' ||
    type === 'hidden' ||
    SECRET_AUTOCOMPLETE.test(el.getAttribute('autocomplete') ?? '') ||
    decide(el as unknown as RuleNode, BUILT_IN_RULES) !== 'show';
  if (secret) onceSecret.add(el);
  return secret;
}

/**
 * The value of a form field as it may be sent. Hidden inputs send nothing at all; other secrets
 * send a constant mask, so not even the length leaks, while the agent can still see that
 * something was typed.
 */
export function fieldValueForWire(el: Element, value: string): string {
  if (!isSecretField(el)) return value;
  if ((el.getAttribute('type') ?? '').toLowerCase() === 'hidden') return '';
  return value === '' ? '' : MASK;
}

/** Masks text word by word: the agent sees where text is, never what it says or how long each word is. */
export function maskText(text: string): string {
  return text.replace(/\S+/g, '•••');
}

/** An id or class that carries data rather than a styling hook (an e-mail, a long number, a token). */
export function looksLikeData(value: string): boolean {
  return /@|\d{5,}/.test(value) || redactText(value) !== value;
}

/**
 * A URL as it goes on the wire, from any attribute, stylesheet, asset request or message:
 * resolved against the *redacted* address of its document (so `#main` never carries the page's
 * `?reset_token=…`), then redacted (`redactUrl`) for its role (see `UrlRole`). data: URLs are
 * content, not addresses.
 */
export function wireUrl(raw: string, base: string, role: UrlRole): string {
  const value = raw.trim();
  if (value === '' || /^data:/i.test(value)) return raw;
  // A pure function of its three inputs, met thousands of times per snapshot with the same few
  // (a page's links share its base, its images a handful of paths): the redaction's regexes were
  // a quarter of a 5k-node snapshot's time on a throttled phone before this cache.
  const key = `${role}\n${base}\n${value}`;
  const known = wireUrlCache.get(key);
  if (known !== undefined) return known;
  let wired: string;
  try {
    wired = redactUrl(new URL(value, redactUrl(base)).href, { role });
  } catch {
    wired = redactUrl(value, { role });
  }
  // Bounded: a page that makes up new URLs forever (cache-busting queries) only refills it. Long
  // values (data: URLs of inline images, kilobytes each) are seldom repeated: kept, they would fill memory.
  if (key.length > WIRE_URL_CACHE_KEY_CHARS) return wired;
  if (wireUrlCache.size >= WIRE_URL_CACHE_ENTRIES) wireUrlCache.clear();
  wireUrlCache.set(key, wired);
  return wired;
}
const WIRE_URL_CACHE_ENTRIES = 4096;
const WIRE_URL_CACHE_KEY_CHARS = 4096;
const wireUrlCache = new Map<string, string>();

/** Elements that make the browser fetch a file by an address in their attributes. */
const LOADING_ELEMENTS = 'img, video, audio, source, track, iframe, embed, object, input[type=image], link[href], script[src]';

/**
 * Every absolute URL `el` may load: its current source, `src`, `poster`, `href` and `srcset`
 * candidates (a picture's `<source>` sets too: the browser may pick any of them).
 */
export function sourcesOf(el: Element, doc: Document): string[] {
  const base = doc.baseURI || doc.URL;
  const sources: string[] = [];
  const add = (raw: string | null | undefined) => {
    if (!raw?.trim()) return;
    try {
      sources.push(new URL(raw.trim(), base).href);
    } catch {
      // Not a URL: the browser could not load it either.
    }
  };
  add((el as HTMLImageElement).currentSrc);
  for (const name of ['src', 'poster', 'href']) add(el.getAttribute(name));
  const sets = [el.getAttribute('srcset')];
  if (el.tagName === 'IMG' && el.parentElement?.tagName === 'PICTURE') {
    for (const source of Array.from(el.parentElement.children)) if (source.tagName === 'SOURCE') sets.push(source.getAttribute('srcset'));
  }
  for (const set of sets) for (const candidate of (set ?? '').split(',')) add(candidate.trim().split(/\s+/)[0]);
  return sources;
}

/** Every URL in a srcset ("a.png 1x, b.png 2x") through `wireUrl`. */
export function wireSrcset(srcset: string, base: string, role: UrlRole): string {
  return srcset
    .split(',')
    .map((candidate) => candidate.replace(/^(\s*)(\S+)/, (_m, space: string, url: string) => space + wireUrl(url, base, role)))
    .join(',');
}

/**
 * Every url(…) in CSS through `wireUrl`. A stylesheet's URLs are files the agent's browser
 * fetches (fonts, backgrounds): the resource role, unless the caller says otherwise.
 */
export function wireCss(css: string, base: string, role: UrlRole = 'resource'): string {
  if (!css.includes('url(')) return css;
  // url(#gradient) names something in the same document (SVG paint servers, filters): kept as it is.
  return css.replace(/url\(\s*(['"]?)([^'")]*)\1\s*\)/gi, (match, quote: string, url: string) => (url.trim().startsWith('#') ? match : `url(${quote}${wireUrl(url, base, role)}${quote})`));
}

/**
 * The role of a URL attribute: whether the agent's browser fetches it to draw the page
 * (resource) or it is an address that only says where something is (link). `decision` is the
 * element's: inside masked regions and private mode every URL is a link (strict).
 */
export function urlRoleOf(tag: string, name: string, rel: string, decision: Decision): UrlRole {
  if (decision !== 'show') return 'link';
  const t = tag.toLowerCase();
  const n = name.toLowerCase();
  if (n === 'srcset' || n === 'imagesrcset' || n === 'poster' || n === 'background' || n === 'style' || n === '_csstext') return 'resource';
  if (n === 'src') return RESOURCE_SRC_TAGS.has(t) ? 'resource' : 'link';
  if (t === 'link' && n === 'href') return /\b(stylesheet|icon|apple-touch-icon|mask-icon)\b/i.test(rel) ? 'resource' : 'link';
  // SVG <image href> / <feImage href> draw a picture.
  if ((t === 'image' || t === 'feimage') && (n === 'href' || n === 'xlink:href')) return 'resource';
  return 'link';
}

/** Elements whose `src` is a file the agent's browser loads to draw the page (frames and scripts load nothing there). */
const RESOURCE_SRC_TAGS: ReadonlySet<string> = new Set(['img', 'source', 'video', 'audio', 'track', 'input', 'image']);

/** The site owner's privacy options (`Coview.start(options)` or the script tag's data attributes). */
export interface PrivacyOptions {
  /** CSS selector: text, field values and text attributes of matching elements (and inside them) are masked. */
  maskSelector?: string;
  /** CSS selector: matching elements are sent as an empty box of the same size. */
  blockSelector?: string;
  /** Masks the value of every input, textarea and select (checkbox and radio state stays visible). */
  maskAllInputs?: boolean;
  /** Shows only elements marked `data-coview-allow` (and their subtrees); everything else is masked, media blocked. */
  privateByDefault?: boolean;
}

/** One site's privacy rules, ready for capture, control and the devtools redaction. */
export interface Privacy {
  readonly options: Readonly<PrivacyOptions>;
  readonly rules: Rules;
  /** Selectors for rrweb-snapshot (block check is `matches`, mask check is `closest`). */
  readonly blockSelector: string;
  readonly maskSelector: string;
  /** The one rule (`decide`) under this site's options. */
  decide(node: Node | null | undefined): Decision;
  /** True when text in or under `node` must be masked (or is not sent at all). */
  isMasked(node: Node): boolean;
  /** True when `el` is replaced by a placeholder (or sits inside one, across shadow and frame boundaries). */
  isBlocked(el: Node): boolean;
  /**
   * True when a file the page loaded (`url`, absolute) was asked for by an element of `doc` that
   * the rule does not show: its address is then the masked region's content (a picture named
   * after the customer), so the Network panel must not show it either.
   */
  loadedPrivately(url: string, doc: Document): boolean;
  /** True when a field's value must never be sent as typed. */
  isMaskedField(el: Element): boolean;
  fieldValue(el: Element, value: string): string;
  /** Whether a checkbox/radio's checked state may be sent. */
  showsChecked(el: Element): boolean;
  text(node: Node | null, text: string): string;
  /**
   * An attribute's value as it may be sent, or null when it must not be: URLs redacted, and
   * inside masked regions only `MASKED_ATTRIBUTES` pass (text attributes masked).
   */
  attribute(el: Element, name: string, value: string, decision?: Decision): string | null;
  /** A URL as it may be sent (see `wireUrl`), relative to `doc`'s address; an address (link) unless said otherwise. */
  url(url: string, doc: Document, role?: UrlRole): string;
  /** Remembers a document or shadow root, so values typed into its masked fields are known to `secretValues`. */
  noteRoot(root: Document | ShadowRoot): void;
  /** Values the customer typed into masked fields right now, in `doc` and every root noted: never repeated in a console message. */
  secretValues(doc: Document): string[];
}

/** Builds the rules from options, rejecting bad selectors before anything is captured. */
export function createPrivacy(options: PrivacyOptions = {}): Privacy {
  const userMask = checkSelector(options.maskSelector, 'maskSelector');
  const userBlock = checkSelector(options.blockSelector, 'blockSelector');
  const privateMode = options.privateByDefault === true;
  const maskAllInputs = options.maskAllInputs === true;
  const rules = rulesOf({ ...options, maskSelector: userMask, blockSelector: userBlock });

  const maskSelector = rules.mask;
  // For rrweb-snapshot's own per-element check (within one tree): the snapshot walk and every
  // other path then ask `decide`, which also crosses shadow and frame boundaries.
  const privateMedia = privateMode ? `${MEDIA}, ${FRAMES}`.split(', ').map((m) => `${m}:not(${ALLOW_SELECTOR} *):not(${ALLOW_SELECTOR})`).join(', ') : undefined;
  const blockSelector = [rules.block, privateMedia].filter(Boolean).join(', ');

  const decideNode = (node: Node | null | undefined): Decision => decide(node as unknown as RuleNode | null, rules);
  const isMasked = (node: Node): boolean => decideNode(node) !== 'show';
  const isBlocked = (node: Node): boolean => decideNode(node) === 'block';

  const isMaskedField = (el: Element): boolean => {
    if (isSecretField(el)) return true;
    if (!FIELD_TAGS.has(el.tagName.toLowerCase())) return false;
    if (maskAllInputs) return !isCheckable(el) || isMasked(el);
    return isMasked(el);
  };

  const roots = new Set<Document | ShadowRoot>();
  let lastDiscovery = -Infinity;
  const urlOf = (url: string, doc: Document, role: UrlRole = 'link') => wireUrl(url, doc.baseURI || doc.URL, role);

  const privacy: Privacy = {
    options: { ...options },
    rules,
    blockSelector,
    maskSelector,
    decide: decideNode,
    isMasked,
    isBlocked,
    loadedPrivately(url, doc) {
      for (const el of doc.querySelectorAll(LOADING_ELEMENTS)) {
        if (sourcesOf(el, doc).includes(url) && decideNode(el) !== 'show') return true;
      }
      return false;
    },
    isMaskedField,
    fieldValue(el, value) {
      if (isSecretField(el)) return fieldValueForWire(el, value);
      // A checkbox's value attribute is a constant of the page, not something typed.
      if (isCheckable(el)) return isMasked(el) ? '' : value;
      if (!isMaskedField(el)) return value;
      return value === '' ? '' : MASK;
    },
    showsChecked: (el) => !isSecretField(el) && !isMasked(el),
    text: (node, text) => (node && isMasked(node) ? maskText(text) : text),
    attribute(el, name, value, decision) {
      const lower = name.toLowerCase();
      const tag = el.tagName.toLowerCase();
      if (lower === 'value' && FIELD_TAGS.has(tag)) return privacy.fieldValue(el, value);
      // The frame's HTML source, rules not applied: its document is captured on its own. A CSP
      // nonce is a secret of the page's; a <meta>'s content (csrf-token, api keys…) only for the
      // few names that shape rendering.
      if (lower === 'srcdoc' || lower === 'nonce') return null;
      if (tag === 'meta' && lower === 'content' && !RENDERING_META.test(el.getAttribute('name') ?? '')) return null;
      const d = decision ?? decideNode(el);
      if (d !== 'show') {
        if (lower === 'value') return value === '' ? '' : MASK;
        if (TEXT_ATTRIBUTES.has(lower)) return maskText(value);
        // A stylesheet is the page's, not the customer's: it keeps its address (redacted below).
        const stylesheet = tag === 'link' && /\bstylesheet\b/i.test(el.getAttribute('rel') ?? '') && (lower === 'href' || lower === 'rel' || lower === 'media');
        if (!MASKED_ATTRIBUTES.has(lower) && !stylesheet) return null;
        if ((lower === 'id' || lower === 'class') && looksLikeData(value)) return null;
        // A background picture is media: blocked here like an <img>.
        if (lower === 'style') return value.replace(/url\([^)]*\)/gi, 'none');
      }
      const isUrl = URL_ATTRIBUTES.has(lower);
      const isSrcset = lower === 'srcset' || lower === 'imagesrcset';
      const isCss = lower === 'style' || lower === '_csstext';
      if (!isUrl && !isSrcset && !isCss) return value;
      const doc = el.ownerDocument;
      const base = doc.baseURI || doc.URL;
      // A stylesheet rrweb inlined is the page's CSS, like a <style>'s text: its url()s are files.
      const role = lower === '_csstext' ? 'resource' : urlRoleOf(tag, lower, tag === 'link' ? (el.getAttribute('rel') ?? '') : '', d);
      // Same-document SVG references (<use href="#icon">, xlink:href="#path") stay as they are, as rrweb keeps them.
      if (isUrl) return (tag === 'use' || lower === 'xlink:href') && value.startsWith('#') ? value : wireUrl(value, base, role);
      if (isSrcset) return wireSrcset(value, base, role);
      return wireCss(value, base, role);
    },
    url: urlOf,
    noteRoot(root) {
      roots.add(root);
    },
    secretValues(doc) {
      const out = new Set<string>();
      const seen = new Set<Document | ShadowRoot>();
      const visit = (root: Document | ShadowRoot) => {
        if (seen.has(root)) return;
        seen.add(root);
        for (const el of root.querySelectorAll('input, textarea, select')) {
          const value = (el as HTMLInputElement).value;
          if (value && value.length >= 3 && isMaskedField(el)) out.add(value);
        }
        // Same-origin frames: their fields too, whether or not capture watches them.
        for (const frame of root.querySelectorAll('iframe')) {
          try {
            const inner = (frame as HTMLIFrameElement).contentDocument;
            if (inner) visit(inner);
          } catch {
            // cross-origin: not ours to read, and capture never sends it either
          }
        }
      };
      // Shadow roots that were there before capture started, under blocked hosts too (capture
      // never walks those): found by a full walk, at most every 2 s; later ones are noted as attached.
      const now = Date.now();
      if (now - lastDiscovery > 2_000) {
        lastDiscovery = now;
        discoverRoots(doc, roots);
      }
      visit(doc);
      for (const root of roots) {
        if (root.isConnected) visit(root);
        else roots.delete(root);
      }
      return [...out];
    },
  };
  return privacy;
}

/** Every open shadow root in `root`, nested ones and those in same-origin frames included. */
function discoverRoots(root: Document | ShadowRoot, into: Set<Document | ShadowRoot>): void {
  for (const el of root.querySelectorAll('*')) {
    if (el.shadowRoot) {
      into.add(el.shadowRoot);
      discoverRoots(el.shadowRoot, into);
    }
    if (el.tagName === 'IFRAME') {
      try {
        const inner = (el as HTMLIFrameElement).contentDocument;
        if (inner) discoverRoots(inner, into);
      } catch {
        // cross-origin
      }
    }
  }
}

function isCheckable(el: Element): boolean {
  const type = (el.getAttribute('type') ?? '').toLowerCase();
  return el.tagName.toLowerCase() === 'input' && (type === 'checkbox' || type === 'radio');
}

// ---------------------------------------------------------------------------------------------
// Redaction for what the devtools panel forwards (console messages, stacks, network URLs).
// Pure functions on strings: no DOM, unit-tested in tests/unit/host/privacy.test.ts.

/**
 * What a URL is to the agent. A `link` is an address it reads (the page's URL, a link's or a
 * form's target, a network row, a URL in console text): every query value is redacted. A
 * `resource` is a file the agent's browser fetches to draw the page (pictures, stylesheets,
 * fonts, CSS url()): only what looks secret is redacted — a value under a secret-like key
 * (`isSecretParam`) or a secret-shaped value (`looksSecretValue`) — so `?w=640`, `?v=3` and
 * `?family=Roboto` still load. A resource changed by redaction comes over the asset channel.
 */
export type UrlRole = 'link' | 'resource';

export interface RedactUrlOptions {
  /** Query parameter names whose values may be shown (e.g. ['page', 'sort']). Default: none. */
  keepParams?: readonly string[];
  /** Set false to show query strings as they are (the default redacts every value). */
  redactQuery?: boolean;
  /** Default `link`: every query value redacted. */
  role?: UrlRole;
}

/**
 * A URL as the agent may see it: credentials dropped, secret path segments and query and
 * fragment values replaced — all of them for a link, the secret-looking ones for a resource
 * (parameter names stay, so the agent still sees the shape of the request).
 * Relative and malformed URLs are handled as text, never thrown on.
 */
export function redactUrl(url: string, options: RedactUrlOptions = {}): string {
  if (options.redactQuery === false) return stripCredentials(url);
  const keep = new Set(options.keepParams ?? []);
  const role = options.role ?? 'link';
  const hashAt = url.indexOf('#');
  const beforeHash = hashAt >= 0 ? url.slice(0, hashAt) : url;
  const hash = hashAt >= 0 ? url.slice(hashAt + 1) : null;
  const queryAt = beforeHash.indexOf('?');
  const base = redactPath(stripCredentials(queryAt >= 0 ? beforeHash.slice(0, queryAt) : beforeHash));
  let out = base;
  if (queryAt >= 0) out += `?${redactPairs(beforeHash.slice(queryAt + 1), keep, role)}`;
  // Fragments carry OAuth tokens (#access_token=…); a plain anchor (#section-2) stays readable.
  if (hash !== null) out += `#${hash.includes('=') ? redactPairs(hash, keep, role) : hash}`;
  return out;
}

/** Path segments that are e-mail addresses or tokens (reset links, magic links, API keys) become [redacted]. */
function redactPath(url: string): string {
  // An address, not a place: mailto:, tel:, sms: keep only their scheme.
  const opaque = url.match(/^(mailto|tel|sms|callto|facetime):/i);
  if (opaque) return `${opaque[0]}${REDACTED}`;
  const authorityEnd = url.match(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i)?.[0].length ?? 0;
  const path = url.slice(authorityEnd);
  if (path === '') return url;
  return url.slice(0, authorityEnd) + path.split('/').map((segment) => (isSecretSegment(segment) ? REDACTED : segment)).join('/');
}

function isSecretSegment(segment: string): boolean {
  if (segment.length < 6) return false;
  const decoded = safeDecode(segment);
  return EMAIL_ONE.test(decoded) || TOKEN_SHAPES.some((shape) => shape.test(decoded)) || OPAQUE_TOKEN_ONE.test(decoded);
}

function redactPairs(query: string, keep: Set<string>, role: UrlRole): string {
  if (query === '') return '';
  return query
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const name = eq >= 0 ? pair.slice(0, eq) : pair;
      const key = safeDecode(name);
      if (keep.has(key)) return pair;
      if (eq < 0) return role === 'resource' && !looksSecretValue(name) ? pair : REDACTED;
      if (role === 'resource' && !isSecretParam(key) && !looksSecretValue(pair.slice(eq + 1))) return pair;
      return `${name}=${REDACTED}`;
    })
    .join('&');
}

/**
 * A query key that names a secret or the customer: the text redactor's key judge
 * (`isSecretKey`: token, password, auth, session, sig/signature, credential…), plus words that in
 * a URL carry one (key, code, email, user…) and every signed-URL parameter (X-Amz-*, X-Goog-*).
 */
export function isSecretParam(key: string): boolean {
  if (isSecretKey(key) || /^x-(?:amz|goog)-/i.test(key)) return true;
  return keyWords(key).some((word) => URL_SECRET_WORDS.has(word));
}
const URL_SECRET_WORDS = new Set(['key', 'code', 'email', 'mail', 'user', 'username', 'uid', 'login', 'phone', 'tel', 'account', 'customer', 'ticket', 'policy', 'expires', 'hmac', 'state', 'verifier', 'assertion', 'saml']);

/** A long mix of letters and digits (base64 included), shorter than the text redactor's 32: a token, not a size or a version. */
const SHORT_OPAQUE_ONE = /^(?=.*\d)(?=.*[A-Za-z])[A-Za-z0-9_+=~-]{24,}$/;

/**
 * A query value (still URL-encoded) that is secret by its shape: what the text redactor would
 * redact (e-mails, JWTs, vendor keys, card numbers, IBANs, long tokens, secret `key=value`), a
 * long opaque token, or a nested URL with something secret in it (`/_next/image?url=…` keeps a
 * harmless one).
 */
export function looksSecretValue(raw: string): boolean {
  const value = safeDecode(raw);
  if (value === '') return false;
  if (/^(?:[a-z][a-z0-9+.-]*:)?\/\//i.test(value) || value.startsWith('/')) return redactUrl(value, { role: 'resource' }) !== value;
  return SHORT_OPAQUE_ONE.test(value) || redactText(value) !== value;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}

function stripCredentials(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#@]*@/i, '$1');
}

export interface RedactTextOptions {
  /** Exact strings that must not appear (values typed into masked fields: see Privacy.secretValues). */
  secrets?: readonly string[];
  keepParams?: readonly string[];
}

// Patterns for secrets that show up in logs and error messages.
const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>()]+/gi;
const JWT = /\beyJ[\w-]{5,}\.[\w-]{5,}\.[\w-]*/g;
const BEARER = /\b(Bearer|Basic|Token|Digest|Negotiate)\s+[\w\-.~+/=]{8,}/gi;
/** Known vendor key shapes: Stripe, GitHub, Slack, AWS access keys, Google, GitLab, SendGrid, npm, OpenAI-style. */
const TOKEN_SHAPES: readonly RegExp[] = [
  /\b(?:sk|rk|pk)_(?:live|test)_[0-9a-zA-Z]{8,}/,
  /\bgh[opusr]_[A-Za-z0-9]{20,}/,
  /\bgithub_pat_\w{20,}/,
  /\bxox[abposr]-[\w-]{10,}/,
  /\b(?:AKIA|ASIA|AGPA|AIDA|AROA)[0-9A-Z]{16}\b/,
  /\bAIza[0-9A-Za-z_-]{35}/,
  /\bglpat-[\w-]{20,}/,
  /\bSG\.[\w-]{16,}\.[\w-]{16,}/,
  /\bnpm_[A-Za-z0-9]{36}/,
  /\bsk-[A-Za-z0-9_-]{20,}/,
];
const TOKEN_SHAPES_GLOBAL = TOKEN_SHAPES.map((shape) => new RegExp(shape.source, 'g'));
/** A long run of letters and digits mixed (an opaque token in a path or a message). */
const OPAQUE_TOKEN = /(?<![\w-])(?=[\w-]*\d)(?=[\w-]*[A-Za-z])[A-Za-z0-9_-]{32,}(?![\w-])/g;
const OPAQUE_TOKEN_ONE = new RegExp(`^${OPAQUE_TOKEN.source}$`);
const EMAIL = /\b[\w.+-]+(?:@|%40)[\w-]+(?:\.[\w-]+)+\b/gi;
const EMAIL_ONE = /^[\w.+-]+@[\w-]+(?:\.[\w-]+)+$/;
const DIGIT_RUN = /\b(?:\d[ -]?){12,18}\d\b/g;
const IBAN = /\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b/g;
/** `key: value` / `key=value` / `"key": "value"`, whatever the key's case style; the key is judged by its words. */
const KEY_VALUE = /(["']?)([A-Za-z][\w.-]{0,63})\1(\s*[:=]\s*)("(?:[^"\\]|\\.)*"|'[^']*'|[^\s,;&}"'\]]+)/g;
const SECRET_WORDS = new Set(['password', 'passwd', 'passphrase', 'pwd', 'secret', 'token', 'apikey', 'auth', 'authorization', 'session', 'sessionid', 'cookie', 'otp', 'cvv', 'cvc', 'csc', 'ssn', 'pin', 'credential', 'credentials', 'signature', 'sig', 'csrf', 'xsrf', 'jwt', 'bearer', 'nonce', 'iban', 'mfa', 'totp']);
const SECRET_PAIRS = new Set(['api key', 'access key', 'private key', 'client secret', 'secret key', 'card number', 'security code', 'account number', 'refresh token', 'access token', 'id token']);

/** The words of a key in any case style: access_token, authToken, X-Api-Key, "newPassword", user.pwd. */
export function keyWords(key: string): string[] {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase()
    .split(/[\s_.-]+/)
    .filter(Boolean);
}

/** True when a key names a secret (its words, or two of them together, are on the list). */
export function isSecretKey(key: string): boolean {
  const words = keyWords(key);
  if (words.some((word) => SECRET_WORDS.has(word) || /^(?:pass(?:word|wd|code)|token|secret)/.test(word))) return true;
  for (let i = 0; i + 1 < words.length; i++) if (SECRET_PAIRS.has(`${words[i]} ${words[i + 1]}`)) return true;
  return SECRET_WORDS.has(words.join(''));
}

/**
 * A console message, error message or stack as the agent may see it: values typed into masked
 * fields, values of keys that name secrets (any case style, JSON, query and header-like),
 * known token shapes (JWT, bearer, vendor API keys, cloud access keys), long opaque tokens, card
 * numbers (Luhn-checked), IBANs (mod 97), e-mail addresses, and URL query values and secret path
 * segments are replaced by [redacted].
 */
export function redactText(text: string, options: RedactTextOptions = {}): string {
  let out = text;
  // Longest first, so a secret that contains another is replaced whole.
  for (const secret of [...(options.secrets ?? [])].filter((s) => s.length >= 3).sort((a, b) => b.length - a.length)) {
    out = out.split(secret).join(REDACTED);
  }
  out = out.replace(URL_IN_TEXT, (url) => redactUrl(url, { keepParams: options.keepParams }));
  out = out.replace(JWT, REDACTED);
  out = out.replace(BEARER, (_m, scheme: string) => `${scheme} ${REDACTED}`);
  for (const shape of TOKEN_SHAPES_GLOBAL) out = out.replace(shape, REDACTED);
  out = out.replace(KEY_VALUE, (match, quote: string, key: string, sep: string, value: string) => {
    if (!isSecretKey(key) || value === REDACTED || value.startsWith('//')) return match;
    const q = value.startsWith('"') ? '"' : value.startsWith("'") ? "'" : '';
    return `${quote}${key}${quote}${sep}${q}${REDACTED}${q}`;
  });
  out = out.replace(EMAIL, REDACTED);
  out = out.replace(OPAQUE_TOKEN, REDACTED);
  out = out.replace(DIGIT_RUN, (run) => (luhn(run.replace(/\D/g, '')) ? REDACTED : run));
  out = out.replace(IBAN, (iban) => (ibanValid(iban.replace(/ /g, '')) ? REDACTED : iban));
  return out;
}

/** IBANs pass the ISO 13616 mod-97 check. */
export function ibanValid(iban: string): boolean {
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{10,30}$/.test(iban)) return false;
  const moved = iban.slice(4) + iban.slice(0, 4);
  let rest = 0;
  for (const ch of moved) {
    const code = ch.charCodeAt(0);
    const digits = code >= 65 ? String(code - 55) : ch;
    for (const d of digits) rest = (rest * 10 + (d.charCodeAt(0) - 48)) % 97;
  }
  return rest === 1;
}

/** Card numbers pass the Luhn check; order numbers and timestamps mostly do not. */
export function luhn(digits: string): boolean {
  if (digits.length < 13 || digits.length > 19) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}
