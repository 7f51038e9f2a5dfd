import { CoviewError } from '../protocol/errors.js';

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
export const TEXT_ATTRIBUTES: ReadonlySet<string> = new Set(['title', 'alt', 'placeholder', 'aria-label', 'aria-description', 'aria-valuetext', 'label']);

// Fields whose content is a secret by what the browser autofills into them.
const SECRET_AUTOCOMPLETE = /\b(cc-number|cc-csc|cc-exp|one-time-code|current-password|new-password)\b/i;

// A password field toggled to type=text ("show password") must stay masked.
const onceSecret = new WeakSet<Element>();

const FIELD_TAGS = new Set(['input', 'textarea', 'select']);

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
    el.closest(`${MASK_TEXT_SELECTOR}, .${MASK_TEXT_CLASS}`) !== null;
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
  /** Selectors for rrweb-snapshot (block check is `matches`, mask check is `closest`). */
  readonly blockSelector: string;
  readonly maskSelector: string;
  /** True when text in or under `node` must be masked. */
  isMasked(node: Node): boolean;
  /** True when `el` is replaced by a placeholder (or sits inside one). */
  isBlocked(el: Element): boolean;
  /** True when a field's value must never be sent as typed. */
  isMaskedField(el: Element): boolean;
  fieldValue(el: Element, value: string): string;
  /** Whether a checkbox/radio's checked state may be sent. */
  showsChecked(el: Element): boolean;
  text(node: Node | null, text: string): string;
  /** An attribute's value as it may be sent (value/title/alt/placeholder/aria-label inside masked regions). */
  attribute(el: Element, name: string, value: string): string;
  /** Values the customer typed into masked fields right now: never repeated in a console message. */
  secretValues(doc: Document): string[];
}

const MEDIA = 'img, picture, video, audio, canvas, svg image, iframe, object, embed';

/** Throws ERR_BAD_OPTIONS naming the option when a selector is not valid CSS. */
function checkSelector(selector: string | undefined, option: string): string | undefined {
  if (selector === undefined || selector === null) return undefined;
  if (typeof selector !== 'string' || selector.trim() === '') {
    throw new CoviewError('ERR_BAD_OPTIONS', `Coview option ${option} should be a CSS selector string.`);
  }
  try {
    // A detached fragment parses the selector without touching the page.
    if (typeof document !== 'undefined') document.createDocumentFragment().querySelector(selector);
  } catch (cause) {
    throw new CoviewError('ERR_BAD_OPTIONS', `Coview option ${option} is not a valid CSS selector: ${JSON.stringify(selector).slice(0, 120)}.`, { cause });
  }
  return selector;
}

/** Builds the rules from options, rejecting bad selectors before anything is captured. */
export function createPrivacy(options: PrivacyOptions = {}): Privacy {
  const userMask = checkSelector(options.maskSelector, 'maskSelector');
  const userBlock = checkSelector(options.blockSelector, 'blockSelector');
  const privateMode = options.privateByDefault === true;
  const maskAllInputs = options.maskAllInputs === true;

  const maskSelector = [MASK_TEXT_SELECTOR, `.${MASK_TEXT_CLASS}`, userMask].filter(Boolean).join(', ');
  // Private mode blocks media outside allowed regions: a photo or a scanned ID is content too.
  const privateMedia = privateMode ? MEDIA.split(', ').map((m) => `${m}:not(${ALLOW_SELECTOR} *):not(${ALLOW_SELECTOR})`).join(', ') : undefined;
  const blockSelector = [BLOCK_SELECTOR, `.${BLOCK_CLASS}`, userBlock, privateMedia].filter(Boolean).join(', ');

  const elementOf = (node: Node): Element | null => (node.nodeType === 1 ? (node as Element) : node.parentElement);

  const isMasked = (node: Node): boolean => {
    const el = elementOf(node);
    if (!el) return false;
    if (el.closest(maskSelector)) return true;
    return privateMode && !el.closest(ALLOW_SELECTOR);
  };

  const isBlocked = (el: Element): boolean => el.closest(blockSelector) !== null;

  const isMaskedField = (el: Element): boolean => {
    if (isSecretField(el)) return true;
    if (!FIELD_TAGS.has(el.tagName.toLowerCase())) return false;
    if (maskAllInputs) return !isCheckable(el);
    return isMasked(el);
  };

  const privacy: Privacy = {
    options: { ...options },
    blockSelector,
    maskSelector,
    isMasked,
    isBlocked,
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
    attribute(el, name, value) {
      const lower = name.toLowerCase();
      if (lower === 'value' && FIELD_TAGS.has(el.tagName.toLowerCase())) return privacy.fieldValue(el, value);
      if (!isMasked(el)) return value;
      if (lower === 'value') return value === '' ? '' : MASK;
      if (TEXT_ATTRIBUTES.has(lower)) return maskText(value);
      return value;
    },
    secretValues(doc) {
      const out: string[] = [];
      for (const tag of FIELD_TAGS) {
        for (const el of doc.getElementsByTagName(tag)) {
          const value = (el as HTMLInputElement).value;
          if (value && value.length >= 3 && isMaskedField(el)) out.push(value);
        }
      }
      return out;
    },
  };
  return privacy;
}

function isCheckable(el: Element): boolean {
  const type = (el.getAttribute('type') ?? '').toLowerCase();
  return el.tagName.toLowerCase() === 'input' && (type === 'checkbox' || type === 'radio');
}

// ---------------------------------------------------------------------------------------------
// Redaction for what the devtools panel forwards (console messages, stacks, network URLs).
// Pure functions on strings: no DOM, unit-tested in tests/unit/host/privacy.test.ts.

export const REDACTED = '[redacted]';

export interface RedactUrlOptions {
  /** Query parameter names whose values may be shown (e.g. ['page', 'sort']). Default: none. */
  keepParams?: readonly string[];
  /** Set false to show query strings as they are (the default redacts every value). */
  redactQuery?: boolean;
}

/**
 * A URL as the agent may see it: credentials and fragment values dropped, every query value
 * replaced (parameter names stay, so the agent still sees the shape of the request).
 * Relative and malformed URLs are handled as text, never thrown on.
 */
export function redactUrl(url: string, options: RedactUrlOptions = {}): string {
  if (options.redactQuery === false) return stripCredentials(url);
  const keep = new Set(options.keepParams ?? []);
  const hashAt = url.indexOf('#');
  const beforeHash = hashAt >= 0 ? url.slice(0, hashAt) : url;
  const hash = hashAt >= 0 ? url.slice(hashAt + 1) : null;
  const queryAt = beforeHash.indexOf('?');
  const base = stripCredentials(queryAt >= 0 ? beforeHash.slice(0, queryAt) : beforeHash);
  let out = base;
  if (queryAt >= 0) out += `?${redactPairs(beforeHash.slice(queryAt + 1), keep)}`;
  // Fragments carry OAuth tokens (#access_token=…); a plain anchor (#section-2) stays readable.
  if (hash !== null) out += `#${hash.includes('=') ? redactPairs(hash, keep) : hash}`;
  return out;
}

function redactPairs(query: string, keep: Set<string>): string {
  if (query === '') return '';
  return query
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const name = eq >= 0 ? pair.slice(0, eq) : pair;
      if (eq < 0) return keep.has(safeDecode(name)) ? pair : REDACTED;
      return keep.has(safeDecode(name)) ? pair : `${name}=${REDACTED}`;
    })
    .join('&');
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
const BEARER = /\b(Bearer|Basic|Token)\s+[\w\-.~+/=]{8,}/gi;
const KEY_VALUE = /\b((?:pass(?:word|wd)?|pwd|secret|token|api[_-]?key|apikey|auth(?:orization)?|session(?:id)?|cookie|otp|cvv|cvc|csc|ssn|pin)["']?\s*[:=]\s*)("[^"]*"|'[^']*'|[^\s,;&}"']+)/gi;
const EMAIL = /\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b/g;
const DIGIT_RUN = /\b(?:\d[ -]?){12,18}\d\b/g;

/**
 * A console message, error message or stack as the agent may see it: values typed into masked
 * fields, card numbers (Luhn-checked), JWTs, bearer tokens, `password=…`-style pairs, e-mail
 * addresses and URL query values are replaced by [redacted].
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
  out = out.replace(KEY_VALUE, (_m, key: string) => `${key}${REDACTED}`);
  out = out.replace(EMAIL, REDACTED);
  out = out.replace(DIGIT_RUN, (run) => (luhn(run.replace(/\D/g, '')) ? REDACTED : run));
  return out;
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
