import { readFileSync } from 'node:fs';
import { adaptCssForReplay } from 'rrweb-snapshot';
import { describe, expect, it } from 'vitest';
import { adaptCss } from '../../../widget/agent/adapt-css.js';

/** rrweb's own, with postcss (Node loads the package as published): what adaptCss must match. */
const rrweb = (css: string) => adaptCssForReplay(css, { stylesWithHoverClass: new Map() });

const modules = new URL('../../../node_modules/', import.meta.url);
/** Real stylesheets the corpus pages use: hundreds of :hover rules, media queries, comments. */
const sheets = [
  'swagger-ui-dist/swagger-ui.css',
  'jquery-ui-dist/jquery-ui.css',
  'jquery-ui-dist/jquery-ui.min.css',
  'reveal.js/dist/reveal.css',
  'reveal.js/dist/theme/black.css',
].map((path) => ({ path, css: readFileSync(new URL(path, modules), 'utf8') }));

const cases = {
  'a plain hover rule': 'a:hover { color: red }',
  'a list, only some with :hover': 'a, b:hover, c:focus:hover{x:y}',
  'commas inside :is() and strings': ':is(a, b):hover, [title="a,b:hover"] { x: y }',
  ':hover inside :not()': 'li:not(:hover) > a { x: y }',
  'nested in @media and @supports': '@media (max-width: 10px) { @supports (display: grid) { .x:hover .y { x: y } } }',
  'device media queries': '@media screen and (max-device-width: 480px) and (min-device-height: 2px) { a { x: y } }',
  'an @import with a device query': '@import url("x.css") (max-device-width: 100px);\na:hover{x:y}',
  'comments around and inside': '/* a:hover, b */ a:hover /* c, d:hover */ { x: y } /* } */ b:hover{}',
  'several comments before and after a selector': '/* x */ /* y */\n a:hover, b /* z */ /* w */ {x:y} /**/c:hover{}',
  'escaped characters': '.a\\:b:hover, .c\\{:hover { x: "}" }',
  'CSS nesting': '.card { color: red; &:hover { color: blue } .t:hover & { x: y } }',
  'keyframes and font-face': '@keyframes k { from { x: 0 } 50% { x: 1 } } @font-face { font-family: f; src: url(a:hover.woff) }',
  'no :hover at all': 'a { color: red } @media print { b { x: y } }',
  'whitespace kept': '\n\ta:hover\n\n{x:y}\n  b:hover  ,  c  {x:y}',
  'url() with a brace in a declaration': 'a:hover { background: url("data:x{}") } b:hover{x:y}',
  'empty input': '',
};

describe('adaptCss: rrweb-snapshot’s adaptCssForReplay without postcss', () => {
  it.each(Object.entries(cases))('matches rrweb on %s', (_name, css) => {
    expect(adaptCss(css)).toBe(rrweb(css));
  });

  it.each(sheets)('matches rrweb on $path', ({ css }) => {
    const adapted = adaptCss(css);
    expect(adapted).toBe(rrweb(css));
    // The comparison is about something: the sheet has hover rules, and they were copied.
    expect(adapted.length).toBeGreaterThan(css.length);
  });

  it('copies each :hover selector with the class the mirror sets', () => {
    expect(adaptCss('a:hover, b { x: y }')).toBe('a:hover, b,\na.\\:hover { x: y }');
    expect(adaptCss('@media (max-device-width: 1px) {}')).toBe('@media (max-width: 1px) {}');
  });
});
