import { describe, expect, it } from 'vitest';
import { SnapshotAssembler } from '../../../widget/agent/snapshot-assembly.js';
import { CoviewError, NodeKind, type FlatNode, type HostMessage, type SerializedNode } from '../../../widget/protocol/index.js';

const el = (id: number, tagName: string): SerializedNode => ({ id, type: NodeKind.Element, tagName, attributes: {} });
const text = (id: number, textContent: string): SerializedNode => ({ id, type: NodeKind.Text, textContent });

/** A page flattened the way capture sends it: document order, each node naming its parent. */
const flatPage: FlatNode[] = [
  { parentId: null, node: { id: 1, type: NodeKind.Document } },
  { parentId: 1, node: el(2, 'html') },
  { parentId: 2, node: el(3, 'body') },
  { parentId: 3, node: el(4, 'p') },
  { parentId: 4, node: text(5, 'first') },
  { parentId: 3, node: el(6, 'p') },
  { parentId: 6, node: text(7, 'second') },
];
/** A fresh copy each time: assembly links the nodes it is given into a tree. */
const page = (): FlatNode[] => structuredClone(flatPage);
describe('snapshot assembly', () => {
  it('rebuilds the tree in document order from parts of any size', () => {
    for (const size of [1, 2, 3, 7]) {
      const assembler = new SnapshotAssembler();
      let result = null;
      for (let i = 0; i < flatPage.length; i += size) {
        const nodes = page().slice(i, i + size);
        const done = i + size >= flatPage.length;
        result = assembler.add({ type: 'snapshot-part', nodes, done, ...(done ? { viewport: { width: 400, height: 300 }, scroll: { x: 0, y: 50 } } : {}) });
        if (!done) expect(result).toBeNull();
      }
      expect(result!.viewport).toEqual({ width: 400, height: 300 });
      expect(result!.scroll).toEqual({ x: 0, y: 50 });
      const body = result!.node.childNodes![0]!.childNodes![0]!;
      expect(body.childNodes!.map((p) => p.childNodes![0]!.textContent)).toEqual(['first', 'second']);
    }
  });

  it('refuses a part naming a parent it has not seen, and recovers on the next snapshot', () => {
    const assembler = new SnapshotAssembler();
    assembler.add({ type: 'snapshot-part', nodes: page().slice(0, 3), done: false });
    expect(() => assembler.add({ type: 'snapshot-part', nodes: [{ parentId: 99, node: text(8, 'orphan') }], done: true })).toThrow(CoviewError);
    const whole = assembler.add({ type: 'snapshot-part', nodes: page(), done: true });
    expect(whole?.node.id).toBe(1);
  });

  it('a new root starts over: a snapshot cut short by a restarted capture is dropped', () => {
    const assembler = new SnapshotAssembler();
    assembler.add({ type: 'snapshot-part', nodes: page().slice(0, 4), done: false });
    const restarted = page().map((n) => ({ parentId: n.parentId === null ? null : n.parentId + 100, node: { ...n.node, id: n.node.id + 100 } }));
    const whole = assembler.add({ type: 'snapshot-part', nodes: restarted, done: true });
    expect(whole?.node.id).toBe(101);
    expect(JSON.stringify(whole).includes('"id":4,')).toBe(false);
  });

  it('for the record, page state that came while the parts did follows the whole snapshot, where time travel replays from', () => {
    const assembler = new SnapshotAssembler();
    const sheet: HostMessage = { type: 'sheet', sheet: 1, cssText: ':host { color: red }' };
    const adopted: HostMessage = { type: 'adopted-sheets', id: 4, sheets: [1] };
    const later: HostMessage = { type: 'input', id: 4, value: 'x' };
    expect(assembler.forRecord({ type: 'snapshot-part', nodes: page().slice(0, 4), done: false })).toEqual([]);
    expect(assembler.forRecord(sheet)).toEqual([]);
    expect(assembler.forRecord(adopted)).toEqual([]);
    // A moment, not state: recorded at once, at its own time.
    const logged: HostMessage = { type: 'console', level: 'error', text: 'boom' };
    expect(assembler.forRecord(logged)).toEqual([logged]);
    const recorded = assembler.forRecord({ type: 'snapshot-part', nodes: page().slice(4), done: true });
    expect(recorded.map((m) => m.type)).toEqual(['snapshot', 'sheet', 'adopted-sheets']);
    expect(recorded.slice(1)).toEqual([sheet, adopted]);
    expect(assembler.forRecord(later)).toEqual([later]);

    // A snapshot cut short (by a new one, or the end) takes the state that came during it along.
    assembler.forRecord({ type: 'snapshot-part', nodes: page().slice(0, 2), done: false });
    assembler.forRecord(sheet);
    assembler.forRecord({ type: 'snapshot-part', nodes: page().slice(0, 2), done: false });
    assembler.forRecord(adopted);
    expect(assembler.forRecord({ type: 'end', reason: 'stopped' })).toEqual([{ type: 'end', reason: 'stopped' }]);
    expect(assembler.forRecord({ type: 'snapshot-part', nodes: page().slice(2), done: true }).map((m) => m.type)).toEqual(['snapshot', 'adopted-sheets']);
  });

  it('says so when a snapshot ends with no content', () => {
    expect(() => new SnapshotAssembler().add({ type: 'snapshot-part', nodes: [], done: true })).toThrow(/without any content/);
  });
});
