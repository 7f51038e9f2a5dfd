/**
 * The structure a person sees: elements with their id/class/title/data-* attributes and their
 * non-blank text, without scripts and without Coview's own UI. Text in a masked region counts as
 * "(masked)" and a blocked element as empty, on both sides: that is what the agent is meant to
 * see. Self-contained (no closures), so it can be sent into any page as source text and run there.
 */
export function domSignature(doc: Document): string {
  const out: string[] = [];
  const walk = (node: Node) => {
    if (node.nodeType === 3) {
      // A stylesheet's text is compared by how the page looks (pixels), not by its spelling: the
      // agent gets the rules the browser parsed (`{fill:#fff}` arrives as `{ fill: rgb(255, 255, 255); }`).
      if (node.parentElement?.tagName.toLowerCase() === 'style') return;
      const text = (node.textContent ?? '').trim();
      if (text) out.push(node.parentElement?.closest('[data-coview-mask]') ? '(masked)' : JSON.stringify(text));
      return;
    }
    if (node.nodeType !== 1) return;
    const el = node as Element;
    const tag = el.tagName.toLowerCase();
    // The mirror's own picture of a canvas (its fallback content on the agent's side) is Coview's too.
    if (tag === 'script' || tag === 'noscript' || el.hasAttribute('data-coview-widget') || el.hasAttribute('data-coview-canvas')) return;
    // The agent marks what is under the customer's pointer with a `:hover` class: not the page's own,
    // and an element that had no class then has an empty one.
    const ownClass = (value: string) => value.replace(/(^|\s):hover(?=\s|$)/g, '').trim();
    const attrs = [...el.attributes]
      .filter((a) => (['id', 'class', 'title'].includes(a.name) || a.name.startsWith('data-')) && a.name !== 'data-coview-focus')
      .filter((a) => a.name !== 'class' || ownClass(a.value) !== '')
      .map((a) => `${a.name}=${JSON.stringify(a.name === 'class' ? ownClass(a.value) : a.value)}`)
      .sort();
    out.push(`<${[tag, ...attrs].join(' ')}>`);
    if (!el.hasAttribute('data-coview-block')) el.childNodes.forEach(walk);
    out.push(`</${tag}>`);
  };
  walk(doc.body);
  return out.join('');
}

/** Where two signatures part ways, with some context: a readable failure message. */
export function firstDifference(expected: string, actual: string): string {
  let i = 0;
  while (i < expected.length && expected[i] === actual[i]) i++;
  const from = Math.max(0, i - 120);
  return `at ${i}: customer …${expected.slice(from, i + 120)}… agent …${actual.slice(from, i + 120)}…`;
}
