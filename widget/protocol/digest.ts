/**
 * A cheap fingerprint of a mirrored page's structure, computed the same way on both sides: the
 * customer's page over the nodes it has sent (those with an id), the agent's view over the nodes
 * it built. Equal digests mean the same nodes under the same parents in the same order; text,
 * attributes and values are not part of it (they are sent as they change and cost nothing to
 * resend).
 *
 * Each node contributes a mix of (its id, its parent's id, the id of the sent sibling before it),
 * and the contributions are summed: the sum does not depend on the walk's order, so the host can
 * walk in slices and the agent in one go. Nodes without an id (the widget's own UI, scripts, the
 * viewer's own marks) and everything under them are left out on both sides.
 */
export interface Digest {
  count: number;
  hash: number;
}

/** The minimal DOM the walk needs (both sides pass real nodes). */
interface WalkNode {
  readonly nodeType: number;
  readonly childNodes: ArrayLike<WalkNode>;
}

const ELEMENT = 1;

/**
 * Walks `doc` and its open shadow roots and readable frame documents, yielding after every
 * `sliceNodes` nodes so a caller can spread the work over tasks; returns the digest.
 */
export function* digestDocument<N extends WalkNode>(
  doc: N,
  idOf: (node: N) => number,
  frameDocument: (frame: N) => N | null,
  sliceNodes = 2_000,
): Generator<void, Digest, void> {
  let count = 0;
  let hash = 0;
  let sinceYield = 0;
  const rootId = idOf(doc);
  if (rootId < 0) return { count, hash };
  count = 1;
  hash = mix(rootId, -1, -1);
  // Each entry: a list of sibling nodes and the id of the node they hang off.
  const stack: { nodes: ArrayLike<N>; parentId: number }[] = [{ nodes: doc.childNodes as ArrayLike<N>, parentId: rootId }];
  while (stack.length > 0) {
    const { nodes, parentId } = stack.pop()!;
    let previous = -1;
    for (let i = 0; i < nodes.length; i++) {
      const node = nodes[i]!;
      const id = idOf(node);
      if (id < 0) continue;
      count++;
      hash = (hash + mix(id, parentId, previous)) | 0;
      previous = id;
      if (node.childNodes.length > 0) stack.push({ nodes: node.childNodes as ArrayLike<N>, parentId: id });
      if (node.nodeType === ELEMENT) {
        const shadow = (node as unknown as { shadowRoot?: N | null }).shadowRoot;
        if (shadow) stack.push({ nodes: shadow.childNodes as ArrayLike<N>, parentId: id });
        if ((node as unknown as { nodeName: string }).nodeName === 'IFRAME') {
          const inner = frameDocument(node);
          const innerId = inner ? idOf(inner) : -1;
          if (inner && innerId >= 0) {
            count++;
            hash = (hash + mix(innerId, id, -1)) | 0;
            stack.push({ nodes: inner.childNodes as ArrayLike<N>, parentId: innerId });
          }
        }
      }
      if (++sinceYield >= sliceNodes) {
        sinceYield = 0;
        yield;
      }
    }
  }
  return { count, hash: hash >>> 0 };
}

/** A 32-bit mix of three ids (murmur3's finalizer over a simple combination). */
function mix(id: number, parent: number, previous: number): number {
  let h = Math.imul(id ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(parent + 0x7f4a7c15, 0xc2b2ae35) ^ Math.imul(previous + 0x165667b1, 0x27d4eb2f);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h;
}

/** The same walk in one go (the agent's view, and tests). */
export function digestDocumentNow<N extends WalkNode>(doc: N, idOf: (node: N) => number, frameDocument: (frame: N) => N | null): Digest {
  const steps = digestDocument(doc, idOf, frameDocument, Infinity);
  for (let step = steps.next(); ; step = steps.next()) if (step.done) return step.value;
}
