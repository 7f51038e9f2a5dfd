/**
 * What rrweb-snapshot's `adaptCssForReplay` does to the customer's CSS before the agent's mirror
 * uses it, without postcss (~18 KiB gzip of join.js): every style rule with a `:hover` selector
 * gets a copy with `.\:hover`, the class the mirror puts on the element under the customer's
 * pointer, and `min-/max-device-width/height` in at-rules become `min-/max-width/height`, so the
 * mirror's iframe answers them at the customer's size. scripts/build.mjs puts this in place of
 * rrweb's postcss call; the output is rrweb's, character for character (tests/unit/agent/adapt-css.test.ts).
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

/** Where the selector ends: before the whitespace and comments that close the prelude. */
function endOfSelector(prelude: string): number {
  let end = prelude.length;
  for (;;) {
    while (end > 0 && WHITESPACE.has(prelude[end - 1]!)) end--;
    if (!prelude.startsWith('*/', end - 2)) return end;
    const opening = prelude.lastIndexOf('/*', end - 3);
    if (opening === -1) return end;
    end = opening;
  }
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

function withoutComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?(\*\/|$)/g, '');
}
