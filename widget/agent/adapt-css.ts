/**
 * What rrweb-snapshot's `adaptCssForReplay` does to the customer's CSS before the agent's mirror
 * uses it, without postcss (~18 KiB gzip of join.js): every style rule with a `:hover` selector
 * gets a copy with `.\:hover`, the class the mirror puts on the element under the customer's
 * pointer, and `min-/max-device-width/height` in at-rules become `min-/max-width/height`, so the
 * mirror's iframe answers them at the customer's size. scripts/build.mjs puts this in place of
 * rrweb's postcss call; on CSS postcss can parse the output is rrweb's, character for character
 * (tests/unit/agent/adapt-css.test.ts). On CSS it cannot (an unclosed block or string), rrweb
 * returns the sheet unchanged; this adapts what it can, as the browser's own parser would read it.
 *
 * One pass over the text: comments, strings and escapes are skipped, and each rule's prelude (the
 * text before its `{`, or before `;` for an at-rule statement such as `@import`) is rewritten.
 */
const DEVICE_MEDIA = /(max|min)-device-(width|height)/g;
const WHITESPACE = new Set([' ', '\t', '\n', '\r', '\f']);
const HAS_DEVICE_MEDIA = /(max|min)-device-(width|height)/;

export function adaptCss(css: string): string {
  let out = '';
  let preludeStart = 0; // where the current prelude (selector or at-rule) began
  let preludeHasText = false; // anything but whitespace and comments since preludeStart
  let copied = 0; // how much of `css` is in `out`
  for (let i = 0; i < css.length; i++) {
    const char = css[i]!;
    if (char === '/' && css[i + 1] === '*') {
      const end = css.indexOf('*/', i + 2);
      i = end === -1 ? css.length : end + 1;
      // A comment before a rule is not part of its prelude (postcss keeps it as a node of its own).
      if (!preludeHasText) preludeStart = i + 1;
    } else if ((char === 'u' || char === 'U') && isUnquotedUrl(css, i)) {
      // An unquoted url(…) is one token up to its `)`: a `/*` or a brace in it is part of the address.
      i = endOfUnquotedUrl(css, i);
      preludeHasText = true;
    } else if (char === '{' && CUSTOM_PROPERTY.test(withoutComments(css.slice(preludeStart, i)))) {
      // A custom property's value may hold braces (`--mixin: { … }`): a value, not a rule; the declaration goes on to its `;`.
      i = endOfBlock(css, i);
    } else if (char === '{' || char === ';' || char === '}') {
      if (char !== '}') {
        const prelude = css.slice(preludeStart, i);
        const adapted = adaptPrelude(prelude, char === '{');
        if (adapted !== prelude) {
          out += css.slice(copied, preludeStart) + adapted;
          copied = i;
        }
      }
      preludeStart = i + 1;
      preludeHasText = false;
    } else {
      if (!WHITESPACE.has(char)) preludeHasText = true;
      if (char === '\\') i++;
      else if (char === '"' || char === "'") i = endOfString(css, i);
    }
  }
  return copied === 0 ? css : out + css.slice(copied);
}

/** A declaration of a custom property, up to its value: `--name:`. */
const CUSTOM_PROPERTY = /^\s*--[^:{};]*:/;
const IDENTIFIER_CHAR = /[\w\-\\\u0080-\uffff]/;

/** `url(` starts at `i` (not the end of a longer name) and the address in it is not quoted. */
function isUnquotedUrl(css: string, i: number): boolean {
  if (css.slice(i, i + 4).toLowerCase() !== 'url(' || (i > 0 && IDENTIFIER_CHAR.test(css[i - 1]!))) return false;
  let j = i + 4;
  while (WHITESPACE.has(css[j] ?? '')) j++;
  return css[j] !== '"' && css[j] !== "'";
}

/** The index of the `)` that closes the unquoted url( at `i` (or the end of the text). */
function endOfUnquotedUrl(css: string, i: number): number {
  for (let j = i + 4; j < css.length; j++) {
    if (css[j] === '\\') j++;
    else if (css[j] === ')') return j;
  }
  return css.length;
}

/** The index of the `}` that closes the block opening at `start` (or the end of the text). */
function endOfBlock(css: string, start: number): number {
  let depth = 0;
  for (let i = start; i < css.length; i++) {
    const char = css[i];
    if (char === '\\') i++;
    else if (char === '"' || char === "'") i = endOfString(css, i);
    else if (char === '/' && css[i + 1] === '*') {
      const end = css.indexOf('*/', i + 2);
      i = end === -1 ? css.length : end + 1;
    } else if (char === '{') depth++;
    else if (char === '}' && --depth === 0) return i;
  }
  return css.length;
}

function adaptPrelude(prelude: string, opensBlock: boolean): string {
  const text = withoutComments(prelude).trim();
  if (text.startsWith('@')) return HAS_DEVICE_MEDIA.test(text) ? prelude.replace(DEVICE_MEDIA, '$1-$2') : prelude;
  if (!opensBlock || !text.includes(':hover')) return prelude;
  // As rrweb's postcss plugin: the selector, then each :hover selector again with the class. A
  // selector's own comments go (postcss rewrites it from its comment-free value); the space before `{` stays.
  const hovered = splitSelectors(text)
    .filter((selector) => selector.includes(':hover'))
    .map((selector) => ',\n' + selector.replace(/:hover/g, '.\\:hover'));
  // Whitespace before, and whitespace and comments after the selector (before `{`), stay as they were.
  const leading = prelude.slice(0, prelude.length - prelude.trimStart().length);
  const trailing = prelude.slice(endOfSelector(prelude));
  const selector = prelude.slice(leading.length, prelude.length - trailing.length);
  return leading + (selector.includes('/*') ? withoutComments(selector).trim() : selector) + hovered.join('') + trailing;
}

/** Where the selector ends: before the whitespace and comments that close the prelude (a `/*` in a string is text). */
function endOfSelector(prelude: string): number {
  let end = 0;
  for (let i = 0; i < prelude.length; i++) {
    const char = prelude[i]!;
    if (char === '/' && prelude[i + 1] === '*') {
      const close = prelude.indexOf('*/', i + 2);
      i = close === -1 ? prelude.length : close + 1;
    } else if (!WHITESPACE.has(char)) {
      if (char === '\\') i++;
      else if (char === '"' || char === "'") i = endOfString(prelude, i);
      end = Math.min(i + 1, prelude.length);
    }
  }
  return end;
}

/** The selectors of a list, split at top-level commas (not inside strings or parentheses), trimmed. */
function splitSelectors(list: string): string[] {
  const selectors: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < list.length; i++) {
    const char = list[i];
    if (char === '\\') i++;
    else if (char === '"' || char === "'") i = endOfString(list, i);
    else if (char === '(') depth++;
    else if (char === ')') depth = Math.max(0, depth - 1);
    else if (char === ',' && depth === 0) {
      selectors.push(list.slice(start, i).trim());
      start = i + 1;
    }
  }
  selectors.push(list.slice(start).trim());
  return selectors.filter((selector) => selector !== '');
}

/** The index of the quote closing the string that opens at `start` (or the end of the text). */
function endOfString(text: string, start: number): number {
  const quote = text[start];
  for (let i = start + 1; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === quote || text[i] === '\n') return i;
  }
  return text.length;
}

/** The text with its comments taken out (a `/*` inside a string is not one). */
function withoutComments(text: string): string {
  if (!text.includes('/*')) return text;
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (char === '/' && text[i + 1] === '*') {
      const close = text.indexOf('*/', i + 2);
      i = close === -1 ? text.length : close + 1;
    } else if (char === '"' || char === "'") {
      const end = endOfString(text, i);
      out += text.slice(i, end + 1);
      i = end;
    } else if (char === '\\') {
      out += text.slice(i, i + 2);
      i++;
    } else out += char;
  }
  return out;
}
