import { describe, expect, it } from 'vitest';
import { isActiveUrl, REMOVED_TAG, sanitizeAttribute, sanitizeCss, sanitizeHostMessage, sanitizeNode } from '../../../widget/agent/sanitize.js';
import { NodeKind, type HostMessage, type SerializedNode } from '../../../widget/protocol/index.js';

const el = (id: number, tagName: string, attributes: SerializedNode['attributes'] = {}, childNodes: SerializedNode[] = []): SerializedNode => ({
  id,
  type: NodeKind.Element,
  tagName,
  attributes,
  childNodes,
});
const text = (id: number, textContent: string, isStyle?: boolean): SerializedNode => ({ id, type: NodeKind.Text, textContent, ...(isStyle ? { isStyle } : {}) });

/** Every tag and attribute left in a tree, for assertions. */
function flatten(node: SerializedNode): string {
  const parts: string[] = [];
  const walk = (n: SerializedNode) => {
    if (n.type === NodeKind.Element) parts.push(`<${n.tagName} ${JSON.stringify(n.attributes ?? {})}>`);
    if (n.type === NodeKind.Text) parts.push(n.textContent ?? '');
    n.childNodes?.forEach(walk);
  };
  walk(node);
  return parts.join('\n');
}

describe('sanitize: nothing from the customer’s page can run or navigate in the agent’s view', () => {
  const hostile = el(1, 'html', {}, [
    el(2, 'head', {}, [
      el(3, 'meta', { 'http-equiv': 'refresh', content: '0;url=https://evil.example/' }),
      el(4, 'base', { href: 'https://evil.example/' }),
      el(5, 'script', {}, [text(6, 'top.__pwned = 1')]),
      el(7, 'link', { rel: 'prefetch', href: '/x.js' }),
      el(8, 'link', { rel: 'stylesheet', href: '/site.css' }),
      el(9, 'style', {}, [text(10, 'body { background: url("javascript:top.__pwned=1") }', true)]),
    ]),
    el(11, 'body', { onload: 'top.__pwned=1', style: 'background:url(javascript:top.__pwned=1)' }, [
      el(12, 'a', { href: ' java\tscript:top.__pwned=1', id: 'link' }, [text(13, 'click me')]),
      el(14, 'img', { src: 'x', onerror: 'top.__pwned=1', OnLoAd: 'top.__pwned=1', srcset: 'a.png 1x, javascript:alert(1) 2x' }),
      el(15, 'iframe', { srcdoc: '<script>top.__pwned=1</script>', src: 'https://evil.example/' }),
      el(16, 'form', { action: 'javascript:top.__pwned=1' }, [el(17, 'button', { formaction: 'javascript:top.__pwned=1' })]),
      el(18, 'object', { data: 'javascript:top.__pwned=1' }, [el(19, 'param', { name: 'x' })]),
      el(20, 'embed', { src: 'data:text/html,<script>top.__pwned=1</script>' }),
      { ...el(21, 'svg', {}, [{ ...el(22, 'script', {}, [text(23, 'top.__pwned=1')]), isSVG: true }, { ...el(24, 'a', { 'xlink:href': 'javascript:top.__pwned=1' }), isSVG: true }, { ...el(25, 'set', { attributeName: 'href', to: 'javascript:top.__pwned=1' }), isSVG: true }]), isSVG: true },
      el(26, 'p', { title: 'plain', 'data-x': 'ok' }, [text(27, 'harmless')]),
    ]),
  ]);

  const clean = sanitizeNode(structuredClone(hostile));
  const flat = flatten(clean);

  it('removes every vector', () => {
    expect(flat).not.toMatch(/javascript|__pwned|srcdoc|http-equiv|onerror|onload|formaction|action/i);
    for (const tag of ['script', 'base', 'object', 'embed', 'param', 'set']) expect(flat).not.toContain(`<${tag} `);
    expect(flat).not.toContain('evil.example');
  });

  it('keeps ids of replaced nodes, so later changes that name them still line up', () => {
    const head = clean.childNodes![0]!;
    expect(head.childNodes!.map((n) => [n.id, n.tagName])).toEqual([
      [3, REMOVED_TAG],
      [4, REMOVED_TAG],
      [5, REMOVED_TAG],
      [7, REMOVED_TAG],
      [8, 'link'],
      [9, 'style'],
    ]);
  });

  it('leaves ordinary content alone', () => {
    expect(flat).toContain('<p {"title":"plain","data-x":"ok"}>');
    expect(flat).toContain('harmless');
    expect(flat).toContain('<link {"rel":"stylesheet","href":"/site.css"}>');
    expect(flat).toContain('<a {"id":"link"}>');
  });

  it('cleans attribute changes and added nodes in mutations, and CSS in text changes', () => {
    const message: HostMessage = {
      type: 'mutation',
      removes: [],
      adds: [{ parentId: 11, nextId: null, node: el(30, 'script', {}, [text(31, 'top.__pwned=1')]) }],
      attributes: [
        { id: 12, name: 'href', value: 'JavaScript:top.__pwned=1' },
        { id: 12, name: 'onclick', value: 'top.__pwned=1' },
        { id: 12, name: 'title', value: 'fine' },
        { id: 12, name: 'href', value: null },
      ],
      texts: [{ id: 10, value: 'a { background: url(javascript:top.__pwned=1) }' }],
    };
    const out = sanitizeHostMessage(message) as Extract<HostMessage, { type: 'mutation' }>;
    expect(out.adds[0]!.node.tagName).toBe(REMOVED_TAG);
    expect(out.attributes).toEqual([
      { id: 12, name: 'title', value: 'fine' },
      { id: 12, name: 'href', value: null },
    ]);
    expect(out.texts[0]!.value).not.toContain('javascript');
  });

  it('drops invalid tag and attribute names instead of letting the rebuild throw', () => {
    const out = sanitizeNode(el(1, 'div', { 'a b': 'x', '"><img': 'y', ok: 'z' }, [el(2, 'img src=x onerror=alert(1)'), { ...el(3, 'div'), isCustom: true }]));
    expect(out.attributes).toEqual({ ok: 'z' });
    expect(out.childNodes![0]!.tagName).toBe(REMOVED_TAG);
    expect(out.childNodes![1]!.isCustom).toBeUndefined();
  });

  it('recognises active URLs however they are spelled', () => {
    for (const url of ['javascript:x', ' JAVASCRIPT:x', 'java\nscript:x', '\u0001javascript:x', 'vbscript:x', 'data:text/html,x', 'data:image/svg+xml,x']) expect(isActiveUrl(url), url).toBe(true);
    for (const url of ['https://x', '/a/javascript:b', 'data:image/png;base64,AAA', '#top']) expect(isActiveUrl(url), url).toBe(false);
    expect(sanitizeAttribute('a', 'href', 'https://shop.example/')).toBe('https://shop.example/');
    expect(sanitizeCss('a{color:red}')).toBe('a{color:red}');
    expect(sanitizeCss('a{width:expression(alert(1))}')).not.toContain('expression(');
  });
});
