import type { Mirror } from 'rrweb-snapshot';

/**
 * The ids the customer's page and the agent share for every captured node: what rrweb-snapshot's
 * Mirror does, with plain Maps. rrweb's Mirror keeps each node's whole serialized form in a
 * WeakMap; on a 100k-node page that is 100k ephemerons for the garbage collector to trace, and
 * it showed up as 100–400 ms collector pauses on the customer's page. Ids are all capture needs.
 *
 * Strong references are fine here: a node leaves when its removal is seen (removeNodeFromMap),
 * and everything goes when capture stops or restarts (reset).
 */
export class NodeIds {
  private ids = new Map<Node, number>();
  private nodes = new Map<number, Node>();

  getId(node: Node | null | undefined): number {
    return node ? (this.ids.get(node) ?? -1) : -1;
  }

  getNode(id: number): Node | null {
    return this.nodes.get(id) ?? null;
  }

  hasNode(node: Node): boolean {
    return this.ids.has(node);
  }

  add(node: Node, meta: { id: number }): void {
    this.ids.set(node, meta.id);
    // Nodes rrweb leaves out (scripts, comments) all share id -2: they are remembered, not addressable.
    if (meta.id >= 0) this.nodes.set(meta.id, node);
  }

  /** Forgets a node and everything under it, shadow roots included. */
  removeNodeFromMap(node: Node): void {
    const id = this.ids.get(node);
    if (id !== undefined) {
      this.ids.delete(node);
      if (this.nodes.get(id) === node) this.nodes.delete(id);
    }
    node.childNodes?.forEach((child) => this.removeNodeFromMap(child));
    const shadow = (node as Element).shadowRoot;
    if (shadow) this.removeNodeFromMap(shadow);
  }

  reset(): void {
    this.ids = new Map();
    this.nodes = new Map();
  }

  /** For rrweb-snapshot's serializer, which only ever calls getId, hasNode and add. */
  asRrwebMirror(): Mirror {
    return this as unknown as Mirror;
  }
}
