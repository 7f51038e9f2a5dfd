import { describe, expect, it } from 'vitest';
import { digestDocument, digestDocumentNow, type Digest } from '../../../widget/protocol/index.js';

/** A tiny DOM: enough for the walk (nodeType, nodeName, childNodes, shadowRoot, a frame's document). */
interface FakeNode {
  id: number;
  nodeType: number;
  nodeName: string;
  childNodes: FakeNode[];
  shadowRoot?: FakeNode | null;
  frameDocument?: FakeNode;
}
const el = (id: number, children: FakeNode[] = [], name = 'DIV'): FakeNode => ({ id, nodeType: 1, nodeName: name, childNodes: children });
const text = (id: number): FakeNode => ({ id, nodeType: 3, nodeName: '#text', childNodes: [] });
const doc = (id: number, children: FakeNode[]): FakeNode => ({ id, nodeType: 9, nodeName: '#document', childNodes: children });
const digest = (root: FakeNode): Digest => digestDocumentNow(root, (n) => n.id, (frame) => frame.frameDocument ?? null);

describe('structure digest', () => {
  const page = () => doc(1, [el(2, [el(3, [text(4)]), el(5, [text(6), el(7)])])]);

  it('is the same for the same structure, and counts every node with an id', () => {
    expect(digest(page())).toEqual(digest(page()));
    expect(digest(page()).count).toBe(7);
  });

  it('changes when a node is missing, moved to another parent, or put in another order', () => {
    const base = digest(page());
    const missing = page();
    missing.childNodes[0]!.childNodes[1]!.childNodes.pop();
    const moved = page();
    const seven = moved.childNodes[0]!.childNodes[1]!.childNodes.pop()!;
    moved.childNodes[0]!.childNodes[0]!.childNodes.push(seven);
    const reordered = page();
    reordered.childNodes[0]!.childNodes.reverse();
    for (const other of [missing, moved, reordered]) expect(digest(other)).not.toEqual(base);
    expect(digest(moved).count).toBe(base.count);
  });

  it('leaves out nodes without an id and everything under them (the widget, the viewer\'s own marks)', () => {
    const withWidget = page();
    withWidget.childNodes[0]!.childNodes.push(el(-1, [el(99), text(100)]));
    expect(digest(withWidget)).toEqual(digest(page()));
  });

  it('goes into open shadow roots and frame documents', () => {
    const shadowed = page();
    const host = shadowed.childNodes[0]!.childNodes[0]!;
    host.shadowRoot = { id: -1, nodeType: 11, nodeName: '#document-fragment', childNodes: [el(20, [text(21)])] };
    const framed = page();
    const frame = el(30, [], 'IFRAME');
    frame.frameDocument = doc(31, [el(32)]);
    framed.childNodes[0]!.childNodes.push(frame);
    expect(digest(shadowed).count).toBe(9);
    expect(digest(framed).count).toBe(10);
    expect(digest(shadowed)).not.toEqual(digest(page()));
  });

  it('gives the same result walked in slices as in one go', () => {
    const big = doc(1, [el(2, Array.from({ length: 50 }, (_, i) => el(10 + i, [text(100 + i)])))]);
    const steps = digestDocument(big, (n) => n.id, () => null, 7);
    let yields = 0;
    let step = steps.next();
    while (!step.done) {
      yields++;
      step = steps.next();
    }
    expect(yields).toBeGreaterThan(10);
    expect(step.value).toEqual(digest(big));
  });
});
