import { describe, expect, it } from 'vitest';
import { compactState } from '../../../widget/agent/keyframe.js';
import { NodeKind, type HostMessage, type SerializedNode } from '../../../widget/protocol/index.js';

const el = (id: number, tagName: string, childNodes: SerializedNode[] = [], extra: Partial<SerializedNode> = {}): SerializedNode => ({ id, type: NodeKind.Element, tagName, attributes: {}, childNodes, ...extra });
const txt = (id: number, textContent: string): SerializedNode => ({ id, type: NodeKind.Text, textContent });
const doc = (id: number, childNodes: SerializedNode[]): SerializedNode => ({ id, type: NodeKind.Document, childNodes });
const mutation = (change: Partial<Extract<HostMessage, { type: 'mutation' }>>): HostMessage => ({ type: 'mutation', removes: [], adds: [], attributes: [], texts: [], ...change });

function page(): HostMessage {
  return {
    type: 'snapshot',
    node: doc(1, [
      el(2, 'html', [
        el(3, 'body', [
          el(4, 'p', [txt(5, 'a')], { attributes: { title: 'old' } }),
          el(6, 'ul', [el(7, 'li'), el(8, 'li')]),
          el(9, 'iframe', [doc(20, [el(21, 'body')])]),
          el(10, 'x-card', [el(11, 'span', [], { isShadow: true }), el(12, 'b')], { isShadowHost: true }),
        ]),
      ]),
    ]),
    viewport: { width: 800, height: 600 },
    scroll: { x: 0, y: 0 },
  };
}

describe('a keyframe made on the agent side (compactState)', () => {
  it('folds removes, adds before a sibling or last, moves, attributes, texts, frame documents and shadow children into the snapshot', () => {
    const [snapshot, ...rest] = compactState([
      page(),
      mutation({ removes: [7], adds: [{ parentId: 6, nextId: 8, node: el(13, 'li', [txt(14, 'new')]) }] }),
      mutation({ adds: [{ parentId: 6, nextId: null, node: el(15, 'li') }], attributes: [{ id: 4, name: 'class', value: 'x' }, { id: 4, name: 'title', value: null }], texts: [{ id: 5, value: 'b' }] }),
      // Node 8 sent again at the end (it moved): the newer copy wins.
      mutation({ adds: [{ parentId: 6, nextId: null, node: el(8, 'li', [], { attributes: { moved: '' } }) }] }),
      // The frame loaded another document; a shadow child goes in before the light one.
      mutation({ adds: [{ parentId: 9, nextId: null, node: doc(30, [el(31, 'main')]) }, { parentId: 10, nextId: 12, node: el(16, 'i', [], { isShadow: true }) }] }),
      // A change under a node that is not there is skipped, as the viewer skips it.
      mutation({ adds: [{ parentId: 999, nextId: null, node: el(17, 'li') }], texts: [{ id: 21, value: 'gone with its document' }] }),
    ]);
    expect(rest).toEqual([]);
    expect(snapshot).toMatchObject({ type: 'snapshot', viewport: { width: 800, height: 600 }, scroll: { x: 0, y: 0 } });
    const body = (snapshot as Extract<HostMessage, { type: 'snapshot' }>).node.childNodes![0]!.childNodes![0]!;
    expect(body.childNodes!.map((n) => n.id)).toEqual([4, 6, 9, 10]);
    const [p, ul, frame, card] = body.childNodes!;
    expect(p).toEqual(el(4, 'p', [txt(5, 'b')], { attributes: { class: 'x' } }));
    expect(ul!.childNodes).toEqual([el(13, 'li', [txt(14, 'new')]), el(15, 'li'), el(8, 'li', [], { attributes: { moved: '' } })]);
    expect(frame!.childNodes).toEqual([doc(30, [el(31, 'main')])]);
    expect(card!.childNodes!.map((n) => [n.id, n.isShadow ?? false])).toEqual([
      [11, true],
      [16, true],
      [12, false],
    ]);
  });

  it('keeps the last state of each thing, in the order the last ones came, and drops state of nodes that left', () => {
    const asset = (hash: string): HostMessage => ({ type: 'asset', url: 'https://shop/a.png', hash, mime: 'image/png', base64: hash });
    const out = compactState([
      page(),
      { type: 'input', id: 8, value: 'first' },
      { type: 'scroll', id: 1, x: 0, y: 10 },
      asset('h1'),
      { type: 'canvas', id: 7, dataUrl: 'data:image/webp;base64,AA' },
      { type: 'focus', id: 8 },
      { type: 'click', x: 1, y: 2 },
      { type: 'console', level: 'error', text: 'not state' },
      mutation({ removes: [7] }),
      { type: 'scroll', id: 1, x: 0, y: 99 },
      { type: 'input', id: 8, value: 'second' },
      asset('h2'),
      { type: 'selection', ranges: [{ start: 5, startOffset: 0, end: 7, endOffset: 0 }] },
      { type: 'viewport', width: 390, height: 844 },
    ]);
    expect(out.slice(1)).toEqual([
      { type: 'focus', id: 8 },
      { type: 'scroll', id: 1, x: 0, y: 99 },
      { type: 'input', id: 8, value: 'second' },
      asset('h2'),
      { type: 'viewport', width: 390, height: 844 },
    ]);
  });

  it('keeps every numbered sheet at its last text, also one no root adopts now (it is sent once; a root may name it again)', () => {
    const sheet = (n: number, cssText: string): HostMessage => ({ type: 'sheet', sheet: n, cssText });
    const out = compactState([
      page(),
      sheet(1, 'b { color: red }'),
      { type: 'adopted-sheets', id: 10, sheets: [1] },
      sheet(2, 'light theme'),
      { type: 'adopted-sheets', id: 1, sheets: [2] },
      sheet(3, 'dark theme'),
      { type: 'adopted-sheets', id: 1, sheets: [3] },
      sheet(1, 'b { color: blue }'),
    ]);
    expect(out.slice(1)).toEqual([{ type: 'adopted-sheets', id: 10, sheets: [1] }, sheet(2, 'light theme'), sheet(3, 'dark theme'), { type: 'adopted-sheets', id: 1, sheets: [3] }, sheet(1, 'b { color: blue }')]);
  });

  it('never changes the messages it folds (the timeline keeps them), and a later snapshot starts over', () => {
    const messages: HostMessage[] = [page(), mutation({ adds: [{ parentId: 6, nextId: null, node: el(13, 'li') }], attributes: [{ id: 13, name: 'class', value: 'on' }] })];
    const before = structuredClone(messages);
    compactState(messages);
    expect(messages).toEqual(before);
    const fresh: HostMessage = { type: 'snapshot', node: doc(1, [txt(2, 'next page')]), viewport: { width: 1, height: 1 }, scroll: { x: 0, y: 0 } };
    expect(compactState([...messages, { type: 'input', id: 8, value: 'x' }, fresh])).toEqual([fresh]);
    expect(compactState([{ type: 'input', id: 8, value: 'x' }])).toEqual([]);
  });
});
