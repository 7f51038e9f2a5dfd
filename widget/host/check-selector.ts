import { CoviewError } from '../protocol/errors.js';

/**
 * Throws ERR_BAD_OPTIONS naming the option when a selector is not valid CSS. On its own (not in
 * privacy.ts) so the loader, widget.js, refuses a bad one before anything starts, as the full
 * widget does, without carrying the privacy rules.
 */
export function checkSelector(selector: string | undefined, option: string): string | undefined {
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
