import { patch } from './patch.js';

const NOTED = Symbol.for('coview.cssSources');

/**
 * The source text of CSSOM rules that use var(), for the one case the CSSOM cannot serialize (see
 * repairVarShorthands in styles.ts). Noted from the moment the widget loads, because CSS-in-JS
 * libraries insert their rules when the page starts, long before anyone shares: the page's own
 * insertRule/replaceSync runs first and unchanged, and only texts that contain "var(" are kept,
 * in weak maps that go with the rules and sheets.
 */
interface Noted {
  rules: WeakMap<CSSRule, string>;
  sheets: WeakMap<CSSStyleSheet, string>;
  installed: boolean;
}
/**
 * Kept on the page rather than in this module: widget.js (the loader) notes from page load and
 * widget-core.js, loaded on demand with its own copy of this module, reads what was noted.
 */
const noted: Noted = ((globalThis as { [NOTED]?: Noted })[NOTED] ??= { rules: new WeakMap(), sheets: new WeakMap(), installed: false });
const ruleSources = noted.rules;
const sheetSources = noted.sheets;

export function noteCssSources(): void {
  if (noted.installed || typeof CSSStyleSheet === 'undefined') return;
  noted.installed = true;
  const noteInserted = (original: (rule: string, index?: number) => number) =>
    function (this: CSSStyleSheet | CSSGroupingRule, rule: string, index?: number): number {
      const at = original.call(this, rule, index);
      try {
        if (typeof rule === 'string' && rule.includes('var(')) ruleSources.set(this.cssRules[at]!, rule);
      } catch {
        // Noting is best effort; the page's call has already succeeded.
      }
      return at;
    };
  patch(CSSStyleSheet.prototype, 'insertRule', noteInserted as never);
  if (typeof CSSGroupingRule !== 'undefined') patch(CSSGroupingRule.prototype, 'insertRule', noteInserted as never);
  const noteSheet = <R>(original: (text: string) => R) =>
    function (this: CSSStyleSheet, text: string): R {
      const result = original.call(this, text);
      if (typeof text === 'string' && text.includes('var(')) sheetSources.set(this, text);
      return result;
    };
  patch(CSSStyleSheet.prototype, 'replaceSync', noteSheet as never);
  patch(CSSStyleSheet.prototype, 'replace', noteSheet as never);
}

/** The declarations of `rule` as the page wrote them, or null when its source is unknown. */
export function cssSourceOf(rule: CSSStyleRule): string | null {
  const inserted = ruleSources.get(rule);
  if (inserted !== undefined) return blockBody(inserted, 0);
  const sheet = rule.parentStyleSheet;
  const owner = sheet?.ownerNode;
  const text = (sheet && sheetSources.get(sheet)) ?? (owner?.nodeName === 'STYLE' ? owner.textContent : null);
  return text ? findBlock(text, rule.selectorText) : null;
}

/** The body of the last block in `css` whose selector is `selector` (whitespace aside) and that uses var(). */
function findBlock(css: string, selector: string): string | null {
  const wanted = selector.replace(/\s+/g, '');
  let found: string | null = null;
  let preludeStart = 0;
  for (let i = 0; i < css.length; i++) {
    const c = css[i];
    if (c === '{') {
      const prelude = css.slice(preludeStart, i).replace(/\/\*[\s\S]*?\*\//g, '').replace(/\s+/g, '');
      const body = blockBody(css, i);
      if (prelude === wanted && body?.includes('var(')) found = body;
      preludeStart = i + 1;
    } else if (c === '}' || c === ';') {
      preludeStart = i + 1;
    }
  }
  return found;
}

/** The text between the `{` at or after `from` and its matching `}`. */
function blockBody(css: string, from: number): string | null {
  const open = css.indexOf('{', from);
  if (open < 0) return null;
  let depth = 0;
  for (let i = open; i < css.length; i++) {
    if (css[i] === '{') depth++;
    else if (css[i] === '}' && --depth === 0) return css.slice(open + 1, i).trim();
  }
  return null;
}
