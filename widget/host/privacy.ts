/**
 * What never leaves the customer's device. Every value the host sends (snapshot, mutations,
 * input events) passes through here first.
 */
export const MASK = '••••••••';

/** Text inside these elements is replaced before it is sent. */
export const MASK_TEXT_SELECTOR = '[data-coview-mask]';
export const MASK_TEXT_CLASS = 'coview-mask';
/** These elements are sent as an empty box of the same size. */
export const BLOCK_SELECTOR = '[data-coview-block]';
export const BLOCK_CLASS = 'coview-block';

// Fields whose content is a secret by what the browser autofills into them.
const SECRET_AUTOCOMPLETE = /\b(cc-number|cc-csc|cc-exp|one-time-code|current-password|new-password)\b/i;

// A password field toggled to type=text ("show password") must stay masked.
const onceSecret = new WeakSet<Element>();

export function isSecretField(el: Element): boolean {
  if (onceSecret.has(el)) return true;
  const tag = el.tagName.toLowerCase();
  if (tag !== 'input' && tag !== 'textarea' && tag !== 'select') return false;
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
