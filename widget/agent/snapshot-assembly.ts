import { CoviewError, type HostMessage, type SerializedNode } from '../protocol/index.js';
import { REPLAYED } from './timeline.js';

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
        this.clearTree();
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
    this.clearTree();
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

  /**
   * What the timeline records for `message`, in order. The timeline replays from each whole
   * snapshot, so page state that came while its parts did (a sheet, a field's value) is held and
   * goes in right after it, not before it where time travel would never replay it. Moments
   * (console, network, clicks) go in at once, at their own time. A snapshot cut short (a new one,
   * a broken one, the end) takes the state that came during it along: its ids and sheet numbers
   * mean nothing without it. Throws, like `add`, if the parts did not fit together.
   */
  forRecord(message: HostMessage): HostMessage[] {
    if (message.type === 'snapshot-part') {
      if (message.nodes.some((node) => node.parentId === null)) this.meanwhile = [];
      let whole: Snapshot | null;
      try {
        whole = this.add(message);
      } catch (error) {
        this.meanwhile = [];
        throw error;
      }
      return whole ? [whole, ...this.meanwhile.splice(0)] : [];
    }
    if (this.root !== null && REPLAYED.has(message.type) && message.type !== 'snapshot') {
      this.meanwhile.push(message);
      return [];
    }
    return [message];
  }
  private meanwhile: HostMessage[] = [];

  /** Forgets the snapshot arriving and what came during it (a new channel). */
  reset(): void {
    this.clearTree();
    this.meanwhile = [];
  }

  private clearTree(): void {
    this.root = null;
    this.byId = new Map();
    this.broken = null;
  }
}
