import { CoviewError, type HostMessage, type SerializedNode } from '../protocol/index.js';

type SnapshotPart = Extract<HostMessage, { type: 'snapshot-part' }>;
type Snapshot = Extract<HostMessage, { type: 'snapshot' }>;

/**
 * Puts a snapshot sent in parts back into one tree. Parts arrive in document order, so every
 * node's parent has been seen before it; a part naming an unknown parent means the stream is
 * broken, and the whole snapshot is refused rather than shown with holes.
 */
export class SnapshotAssembler {
  private root: SerializedNode | null = null;
  private byId = new Map<number, SerializedNode>();
  private broken: CoviewError | null = null;

  /** Returns the whole snapshot once its last part is in; throws if the parts did not fit together. */
  add(part: SnapshotPart): Snapshot | null {
    for (const { parentId, node } of part.nodes) {
      if (this.broken && parentId !== null) continue;
      if (parentId === null) {
        // A new root starts a new snapshot: one cut short (the customer restarted capture) is dropped.
        this.reset();
        this.root = node;
      } else {
        const parent = this.byId.get(parentId);
        if (!parent) {
          this.broken = new CoviewError('ERR_MALFORMED_MESSAGE', `A snapshot node named parent ${parentId}, which was not sent before it.`);
          break;
        }
        (parent.childNodes ??= []).push(node);
      }
      node.childNodes ??= [];
      this.byId.set(node.id, node);
    }
    if (!part.done) return null;
    const root = this.root;
    const broken = this.broken;
    this.reset();
    if (broken) throw broken;
    if (!root) throw new CoviewError('ERR_MALFORMED_MESSAGE', 'A snapshot ended without any content.');
    return {
      type: 'snapshot',
      node: root,
      viewport: part.viewport ?? { width: 1280, height: 720 },
      scroll: part.scroll ?? { x: 0, y: 0 },
      ...(part.hover !== undefined ? { hover: part.hover } : {}),
    };
  }

  reset(): void {
    this.root = null;
    this.byId = new Map();
    this.broken = null;
  }
}
