import type { HostMessage, PageInfo, Size } from '../protocol/index.js';

/**
 * The whole session as the agent received it: every decoded host message with the time it
 * arrived. Snapshots are keyframes: any moment is rebuilt from the snapshot before it plus the
 * changes after that snapshot, like a video's I-frames and deltas.
 */
export interface TimelineEntry {
  /** Milliseconds since the epoch, on the agent's clock. */
  t: number;
  message: HostMessage;
}

export type MarkerKind = 'error' | 'click' | 'page';
/**
 * A moment worth finding again. `label` is the customer page's own words (its title, an error's
 * text, a request), never the agent's language: the join page words the rest (a click's `at`).
 */
export interface Marker {
  index: number;
  t: number;
  kind: MarkerKind;
  label: string;
  at?: { x: number; y: number };
}

export type ConsoleMessage = Extract<HostMessage, { type: 'console' }>;
export type NetworkMessage = Extract<HostMessage, { type: 'network' }>;

export class Timeline {
  readonly entries: TimelineEntry[] = [];
  readonly markers: Marker[] = [];
  /** Indexes into `entries`, for the panels. */
  readonly console: number[] = [];
  readonly network: number[] = [];
  private readonly keyframes: number[] = [];
  /** The latest page info and viewport the host sent. */
  page: PageInfo | null = null;
  viewport: Size | null = null;

  get length(): number {
    return this.entries.length;
  }

  get start(): number {
    return this.entries[0]?.t ?? 0;
  }

  get end(): number {
    return this.entries.at(-1)?.t ?? 0;
  }

  /** The first index a viewer can show (the first snapshot), or -1 before any. */
  get firstShowable(): number {
    return this.keyframes[0] ?? -1;
  }

  push(message: HostMessage, t: number): number {
    // Clocks can step back (NTP); a timeline must not.
    const time = Math.max(t, this.end);
    const index = this.entries.push({ t: time, message }) - 1;
    const mark = (kind: MarkerKind, label: string, at?: Marker['at']) => this.markers.push({ index, t: time, kind, label, ...(at ? { at } : {}) });
    switch (message.type) {
      case 'hello':
        this.page = message.page;
        if (message.page.viewport) this.viewport = message.page.viewport;
        break;
      case 'snapshot':
        this.keyframes.push(index);
        this.viewport = message.viewport;
        mark('page', this.page ? this.page.title || this.page.url : '');
        break;
      case 'viewport':
        this.viewport = { width: message.width, height: message.height };
        break;
      case 'click':
        mark('click', '', { x: Math.round(message.x), y: Math.round(message.y) });
        break;
      case 'console':
        this.console.push(index);
        if (message.level !== 'warn') mark('error', message.text.slice(0, 200));
        break;
      case 'network':
        this.network.push(index);
        if (isFailed(message)) mark('error', `${message.method} ${message.url.slice(0, 160)} ${message.status ?? message.error ?? ''}`.trim());
        break;
    }
    return index;
  }

  /** The last index whose time is at or before `t`, or -1. */
  indexAt(t: number): number {
    let lo = 0;
    let hi = this.entries.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.entries[mid]!.t <= t) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  /** The snapshot at or before `index`, or -1. */
  keyframeAt(index: number): number {
    let found = -1;
    for (const k of this.keyframes) {
      if (k > index) break;
      found = k;
    }
    return found;
  }

  /**
   * The messages that take a viewer from showing `from` (-1: nothing yet) to showing `to`.
   * Forward within one page: only the changes in between. Otherwise: the snapshot before `to`
   * (the viewer rebuilds on it) and every change after it. Click ripples are moments, not state:
   * they are never replayed.
   */
  plan(from: number, to: number): HostMessage[] {
    const keyframe = this.keyframeAt(to);
    if (keyframe < 0) return [];
    const first = from >= keyframe && from <= to ? from + 1 : keyframe;
    const out: HostMessage[] = [];
    for (let i = first; i <= to; i++) {
      const message = this.entries[i]!.message;
      if (REPLAYED.has(message.type)) out.push(message);
    }
    return out;
  }
}

// State, not moments: everything that changes what the page looks like, including the files the
// customer's browser sent (an exported recording opened offline needs them).
const REPLAYED = new Set<HostMessage['type']>(['snapshot', 'mutation', 'input', 'scroll', 'viewport', 'pointer', 'stylesheet', 'adopted-styles', 'canvas', 'media', 'focus', 'selection', 'asset']);

export function isFailed(message: NetworkMessage): boolean {
  return message.error !== undefined || (message.status !== null && message.status >= 400);
}

/** What the player draws on: the viewer. `apply` follows live (and may be frozen); `show` always draws. */
export interface Screen {
  apply(message: HostMessage): void;
  show(messages: HostMessage[]): void;
}

/**
 * Follows the live session or shows any earlier moment of it. While the agent looks back, live
 * messages keep being recorded; "return to live" catches the view up from where it is.
 */
export class TimelinePlayer {
  readonly timeline = new Timeline();
  private following = true;
  /** The index on screen while not following. */
  private shown = -1;
  private readonly listeners = new Set<() => void>();

  constructor(
    private readonly screen: Screen,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** True while the view follows the newest message. */
  get live(): boolean {
    return this.following;
  }

  /** The index on screen. */
  get position(): number {
    return this.following ? this.timeline.length - 1 : this.shown;
  }

  /** Every decoded host message, first. */
  record(message: HostMessage): void {
    this.timeline.push(message, this.now());
    this.changed();
  }

  /** A recorded message the viewer should show: shown at once unless the agent is looking back. */
  onLive(message: HostMessage): void {
    if (this.following) this.screen.apply(message);
  }

  seek(index: number): void {
    const last = this.timeline.length - 1;
    const target = Math.min(Math.max(index, this.timeline.firstShowable), last);
    if (target < 0) return;
    this.draw(this.timeline.plan(this.position, target));
    this.following = false;
    this.shown = target;
    this.changed();
  }

  /** Seeks to the last moment at or before `t` (epoch ms). */
  seekTime(t: number): void {
    this.seek(this.timeline.indexAt(t));
  }

  goLive(): void {
    if (this.following) return;
    this.draw(this.timeline.plan(this.shown, this.timeline.length - 1));
    this.following = true;
    this.changed();
  }

  /** Fills the (empty) timeline from a recording and shows its last moment. */
  load(entries: TimelineEntry[]): void {
    for (const { message, t } of entries) this.timeline.push(message, t);
    this.following = false;
    this.shown = -1;
    this.seek(this.timeline.length - 1);
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private draw(messages: HostMessage[]): void {
    try {
      this.screen.show(messages);
    } catch (error) {
      // Every message was decoded already; a DOM that refuses one change must not stop the agent scrubbing.
      console.warn('[coview] could not show that moment:', error);
    }
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }
}
