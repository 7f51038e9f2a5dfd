import { NodeKind, type HostMessage, type SerializedNode } from '../protocol/index.js';

/**
 * A keyframe made on the agent's side: the page at one moment as a snapshot plus the least state
 * that shows it (each field's value, each element's scroll, each sheet, canvas and file as last
 * sent). Replaying `compactState(messages)` draws what replaying `messages` draws; the timeline
 * uses it to thin old history without asking the customer's page for anything.
 *
 * Changes fold into a copy of the snapshot's tree exactly as the viewer applies them (viewer.ts:
 * removes, then adds before `nextId` or last, then attributes, then texts; a node sent again
 * replaces its older copy; a document added under a frame replaces the frame's document).
 */

type Mutation = Extract<HostMessage, { type: 'mutation' }>;
type Snapshot = Extract<HostMessage, { type: 'snapshot' }>;

interface Place {
  node: SerializedNode;
  parent: SerializedNode | null;
}

class FoldedTree {
  private readonly places = new Map<number, Place>();

  constructor(readonly root: SerializedNode) {
    this.index(root, null);
  }

  has(id: number): boolean {
    return this.places.has(id);
  }

  apply(change: Mutation): void {
    for (const id of change.removes) this.remove(id);
    for (const add of change.adds) this.insert(add.parentId, add.nextId, add.node);
    for (const { id, name, value } of change.attributes) {
      const node = this.places.get(id)?.node;
      if (node?.type !== NodeKind.Element) continue;
      const attributes = (node.attributes ??= {});
      if (value === null) delete attributes[name];
      else attributes[name] = value;
    }
    for (const { id, value } of change.texts) {
      const node = this.places.get(id)?.node;
      if (node) node.textContent = value;
    }
  }

  private insert(parentId: number, nextId: number | null, sent: SerializedNode): void {
    const parent = this.places.get(parentId)?.node;
    if (!parent) return; // the viewer skips it too (and asks for a resync)
    // A copy: the message stays in the timeline as it came.
    const node = structuredClone(sent);
    const children = (parent.childNodes ??= []);
    if (node.type === NodeKind.Document) {
      for (const old of children.splice(0)) this.forget(old);
      children.push(node);
      return this.index(node, parent);
    }
    if (this.places.has(node.id)) this.remove(node.id);
    const at = nextId === null ? -1 : children.findIndex((child) => child.id === nextId);
    if (at < 0) children.push(node);
    else children.splice(at, 0, node);
    this.index(node, parent);
  }

  private remove(id: number): void {
    const place = this.places.get(id);
    if (!place) return;
    const siblings = place.parent?.childNodes;
    const at = siblings?.indexOf(place.node) ?? -1;
    if (at >= 0) siblings!.splice(at, 1);
    this.forget(place.node);
  }

  private index(node: SerializedNode, parent: SerializedNode | null): void {
    this.places.set(node.id, { node, parent });
    for (const child of node.childNodes ?? []) this.index(child, node);
  }

  private forget(node: SerializedNode): void {
    if (this.places.get(node.id)?.node === node) this.places.delete(node.id);
    for (const child of node.childNodes ?? []) this.forget(child);
  }
}

/** Messages that set one thing's state: only the last one per key matters. */
function stateKey(message: HostMessage): string | null {
  switch (message.type) {
    case 'input':
    case 'scroll':
    case 'stylesheet':
    case 'adopted-sheets':
    case 'adopted-styles':
    case 'canvas':
    case 'media':
      return `${message.type}:${message.id}`;
    case 'sheet':
      return `sheet:${message.sheet}`;
    case 'asset':
      return `asset:${message.url}`;
    case 'viewport':
    case 'pointer':
    case 'focus':
    case 'selection':
      return message.type;
    default:
      return null;
  }
}

/** The nodes a state message names: it is dropped once one of them has left the page. */
function namedNodes(message: HostMessage): number[] {
  switch (message.type) {
    case 'input':
    case 'scroll':
    case 'stylesheet':
    case 'adopted-sheets':
    case 'adopted-styles':
    case 'canvas':
    case 'media':
      return [message.id];
    case 'focus':
      return message.id === null ? [] : [message.id];
    case 'selection':
      return message.ranges.flatMap((range) => [range.start, range.end]);
    default:
      return [];
  }
}

/**
 * `messages` as the timeline replays them (a snapshot first, then changes and state), folded into
 * a snapshot and the state after it. Without a snapshot first there is nothing to fold: [].
 */
export function compactState(messages: readonly HostMessage[]): HostMessage[] {
  let snapshot: Snapshot | null = null;
  let tree: FoldedTree | null = null;
  const state = new Map<string, HostMessage>();
  for (const message of messages) {
    if (message.type === 'snapshot') {
      snapshot = message;
      tree = new FoldedTree(structuredClone(message.node));
      state.clear();
      continue;
    }
    if (!tree) continue;
    if (message.type === 'mutation') {
      tree.apply(message);
      continue;
    }
    const key = stateKey(message);
    if (key === null) continue;
    // Last one wins, in the order the last ones came.
    state.delete(key);
    state.set(key, message);
  }
  if (!snapshot || !tree) return [];
  const live = [...state.values()].filter((message) => namedNodes(message).every((id) => tree.has(id)));
  // Every numbered sheet stays, adopted now or not: the customer sends its text once per capture,
  // and a root that adopts it again later (a theme toggled back, a component mounted again) only names it.
  return [{ ...snapshot, node: tree.root }, ...live];
}
