import { describe, expect, it } from 'vitest';
import { decide, rulesOf, type RuleNode } from '../../../widget/host/privacy.js';

/**
 * The one rule on plain objects: elements with tag, id, classes and attributes, shadow roots with
 * a host, documents whose defaultView.frameElement is their <iframe>. The selector matcher knows
 * what the rules use: comma lists of `tag`, `.class`, `#id`, `[attr]` and their compounds.
 */
class FakeNode implements RuleNode {
  parentNode: FakeNode | null = null;
  childNodes: FakeNode[] = [];
  host?: FakeNode;
  defaultView?: { frameElement: FakeNode | null };
  constructor(
    readonly nodeType: number,
    readonly tag = '',
    readonly attrs: Record<string, string> = {},
  ) {}
  append(...children: FakeNode[]): this {
    for (const child of children) {
      child.parentNode = this;
      this.childNodes.push(child);
    }
    return this;
  }
  getRootNode(): FakeNode {
    return this.parentNode ? this.parentNode.getRootNode() : this;
  }
  matches(selector: string): boolean {
    return selector.split(',').some((one) => {
      const parts = one.trim().match(/^[a-z0-9-]+|\.[\w-]+|#[\w-]+|\[[\w-]+\]/gi) ?? [];
      return parts.every((part) => {
        if (part.startsWith('.')) return (this.attrs.class ?? '').split(/\s+/).includes(part.slice(1));
        if (part.startsWith('#')) return this.attrs.id === part.slice(1);
        if (part.startsWith('[')) return part.slice(1, -1) in this.attrs;
        return this.tag === part.toLowerCase();
      });
    });
  }
  closest(selector: string): FakeNode | null {
    if (this.nodeType !== 1) return null;
    return this.matches(selector) ? this : (this.parentNode?.closest(selector) ?? null);
  }
}

const el = (tag: string, attrs: Record<string, string> = {}, ...children: FakeNode[]) => new FakeNode(1, tag, attrs).append(...children);
const text = () => new FakeNode(3);
const shadow = (host: FakeNode, ...children: FakeNode[]) => {
  const root = new FakeNode(11).append(...children);
  root.host = host;
  return root;
};
const doc = (frameElement: FakeNode | null, ...children: FakeNode[]) => {
  const d = new FakeNode(9).append(...children);
  d.defaultView = { frameElement };
  return d;
};

const plain = rulesOf({});
const site = rulesOf({ maskSelector: '.pii', blockSelector: '#chart' });
const privateRules = rulesOf({ privateByDefault: true });

describe('decide: one rule for every node, across shadow roots and frames', () => {
  it('shows plain content, masks under data-coview-mask and the site selector, blocks under data-coview-block and the site selector', () => {
    const shown = text();
    const masked = text();
    const bySelector = text();
    const blocked = text();
    const blockedBySelector = el('span');
    doc(null, el('html', {}, el('body', {}, el('p', {}, shown), el('section', { 'data-coview-mask': '' }, el('p', {}, masked)), el('p', { class: 'x pii' }, bySelector), el('div', { 'data-coview-block': '' }, blocked), el('div', { id: 'chart' }, blockedBySelector))));
    expect(decide(shown, site)).toBe('show');
    expect(decide(masked, site)).toBe('mask');
    expect(decide(bySelector, site)).toBe('mask');
    expect(decide(bySelector, plain)).toBe('show');
    expect(decide(blocked, site)).toBe('block');
    expect(decide(blockedBySelector, site)).toBe('block');
    expect(decide(null, site)).toBe('show');
  });

  it('a shadow root’s host is its parent: a masked host masks its shadow tree, a blocked one blocks it, nested roots too', () => {
    const maskedHost = el('x-card', { 'data-coview-mask': '' });
    const inShadow = text();
    const field = el('input');
    const directText = text();
    shadow(maskedHost, el('p', {}, inShadow), field, directText);
    const blockedHost = el('x-chart', { class: 'coview-block' });
    const inner = el('x-inner');
    const deep = text();
    shadow(blockedHost, inner);
    shadow(inner, el('span', {}, deep));
    doc(null, el('body', {}, maskedHost, blockedHost));
    expect(decide(inShadow, plain)).toBe('mask');
    expect(decide(field, plain)).toBe('mask');
    // Text right under a shadow root has no parent element: the root's host decides.
    expect(decide(directText, plain)).toBe('mask');
    expect(decide(shadowRootOf(field), plain)).toBe('mask');
    expect(decide(deep, plain)).toBe('block');
    expect(decide(shadowRootOf(inner), plain)).toBe('block');
  });

  it('a frame document’s parent is its <iframe>: masked regions mask frames, blocked ones block whatever loads in them', () => {
    const maskedFrame = el('iframe');
    const blockedFrame = el('iframe');
    doc(null, el('body', {}, el('section', { 'data-coview-mask': '' }, maskedFrame), el('div', { id: 'chart' }, blockedFrame)));
    const inMasked = text();
    const frameDoc = doc(maskedFrame, el('html', {}, el('body', {}, el('p', {}, inMasked))));
    const inBlocked = el('p');
    const nested = el('iframe');
    doc(blockedFrame, el('body', {}, inBlocked, nested));
    const deep = text();
    doc(nested, el('body', {}, el('b', {}, deep)));
    expect(decide(maskedFrame, site)).toBe('mask');
    expect(decide(frameDoc, site)).toBe('mask');
    expect(decide(inMasked, site)).toBe('mask');
    expect(decide(inBlocked, site)).toBe('block');
    expect(decide(deep, site)).toBe('block');
  });

  it('media are blocked where they would be masked: under a masked element, a masked shadow host or a masked frame', () => {
    const img = el('img');
    const canvas = el('canvas');
    const host = el('x-avatar', { class: 'pii' });
    const shadowImg = el('img');
    shadow(host, shadowImg);
    const frame = el('iframe');
    doc(null, el('body', {}, el('p', { 'data-coview-mask': '' }, img, canvas), host, el('div', { 'data-coview-mask': '' }, frame)));
    const frameCanvas = el('canvas');
    doc(frame, el('body', {}, frameCanvas));
    const shown = el('img');
    doc(null, el('body', {}, shown));
    expect(decide(img, site)).toBe('block');
    expect(decide(canvas, site)).toBe('block');
    expect(decide(shadowImg, site)).toBe('block');
    expect(decide(frameCanvas, site)).toBe('block');
    expect(decide(shown, site)).toBe('show');
    // A frame in a masked region is masked, not blocked: its document is sent, masked.
    expect(decide(frame, site)).toBe('mask');
  });

  it('private by default: only data-coview-allow regions are shown, across shadow roots and frames; media and frames outside them are blocked', () => {
    const outside = text();
    const inside = text();
    const allowed = el('section', { 'data-coview-allow': '' }, el('p', {}, inside));
    const allowedHost = el('x-help');
    const inAllowedShadow = text();
    shadow(allowedHost, el('p', {}, inAllowedShadow));
    const photo = el('img');
    const allowedPhoto = el('img');
    const frame = el('iframe');
    const allowedFrame = el('iframe');
    const maskedInAllowed = text();
    doc(null, el('body', {}, el('p', {}, outside), photo, frame, allowed.append(allowedHost, allowedPhoto, allowedFrame, el('p', { 'data-coview-mask': '' }, maskedInAllowed))));
    const inFrame = text();
    doc(allowedFrame, el('body', {}, el('p', {}, inFrame)));
    const allowInsideBlockedFrame = text();
    doc(frame, el('body', {}, el('div', { 'data-coview-allow': '' }, allowInsideBlockedFrame)));
    expect(decide(outside, privateRules)).toBe('mask');
    expect(decide(inside, privateRules)).toBe('show');
    expect(decide(inAllowedShadow, privateRules)).toBe('show');
    expect(decide(photo, privateRules)).toBe('block');
    expect(decide(allowedPhoto, privateRules)).toBe('show');
    expect(decide(frame, privateRules)).toBe('block');
    expect(decide(allowInsideBlockedFrame, privateRules)).toBe('block');
    expect(decide(inFrame, privateRules)).toBe('show');
    expect(decide(maskedInAllowed, privateRules)).toBe('mask');
  });

  it('block wins over mask and allow, at any depth', () => {
    const t = text();
    const host = el('x-a', { 'data-coview-allow': '', 'data-coview-mask': '' });
    shadow(host, el('div', { 'data-coview-block': '' }, el('p', {}, t)));
    doc(null, el('body', {}, host));
    expect(decide(t, privateRules)).toBe('block');
  });
});

function shadowRootOf(node: FakeNode): FakeNode {
  return node.getRootNode();
}
