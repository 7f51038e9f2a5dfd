import type { HostMessage, PageInfo, Size } from '../protocol/index.js';
import { compactState } from './keyframe.js';

/**
 * The session as the agent received it: decoded host messages with the time each arrived.
 * Snapshots are keyframes: any moment is rebuilt from the snapshot before it plus the changes
 * after that snapshot, like a video's I-frames and deltas.
 *
 * Memory is bounded, however long the session: the last `fullDetailMs` are kept as they came;
 * older history is thinned to keyframes made on this side (keyframe.ts) and the console and
 * network entries. Every `stepMs` the oldest stretch of full detail is folded into one keyframe
 * at the window's new start; the thinned part keeps at most `keyframes` of them, spread over it
 * (the more history, the further apart), and its `logEntries` newest console and network entries.
 */
export interface HistoryOptions {
  /** Default 60 minutes. */
  fullDetailMs?: number;
  /** Default 12. */
  keyframes?: number;
  /** Default 1,000. */
  logEntries?: number;
  /** Default 5 minutes, or a sixth of a shorter `fullDetailMs`. */
  stepMs?: number;
}
export const DEFAULT_HISTORY: Required<HistoryOptions> = { fullDetailMs: 60 * 60_000, keyframes: 12, logEntries: 1_000, stepMs: 5 * 60_000 };

/** Where an entry went after thinning: `exact` false when it was thinned away (the index is the moment shown instead). */
export type Remap = (oldIndex: number) => { index: number; exact: boolean };
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
  entries: TimelineEntry[] = [];
  markers: Marker[] = [];
  /** Indexes into `entries`, for the panels. */
  console: number[] = [];
  network: number[] = [];
  private keyframes: number[] = [];
  /** The latest page info and viewport the host sent. */
  page: PageInfo | null = null;
  viewport: Size | null = null;
  /** Called after a thinning pass moved entries (a player remaps the moment it shows). */
  onThinned: ((remap: Remap) => void) | null = null;
  private readonly history: Required<HistoryOptions>;
  /** The first entry kept at full detail: before it, thinned history. */
  private fullFrom = 0;
  /**
   * Where the full-detail window began at the last thinning. Not the stamp of its first entry: after
   * a quiet gap that keyframe carries the time of the last change before the gap, long before the cut.
   */
  private windowStart = -Infinity;
  /** Keyframes made here, not sent: no "page" marker (nothing happened on the page then). */
  private readonly made = new WeakSet<HostMessage>();

  constructor(history: HistoryOptions = {}) {
    // A short window thins in smaller steps (a sixth of it), so it never holds much more than asked.
    const stepMs = history.stepMs ?? Math.min(DEFAULT_HISTORY.stepMs, (history.fullDetailMs ?? DEFAULT_HISTORY.fullDetailMs) / 6);
    this.history = { ...DEFAULT_HISTORY, ...history, stepMs };
  }

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
    switch (message.type) {
      case 'hello':
        this.page = message.page;
        if (message.page.viewport) this.viewport = message.page.viewport;
        break;
      case 'snapshot':
        this.viewport = message.viewport;
        break;
      case 'viewport':
        this.viewport = { width: message.width, height: message.height };
        break;
    }
    const index = this.entries.push({ t: time, message }) - 1;
    this.index(index);
    const windowStart = Math.max(this.windowStart, this.entries[this.fullFrom]?.t ?? time);
    if (time - windowStart > this.history.fullDetailMs + this.history.stepMs) this.thin(time - this.history.fullDetailMs);
    return this.entries.length - 1;
  }

  /** Files entry `index` in the lists the panels, the bar and `plan` read. */
  private index(index: number): void {
    const { t, message } = this.entries[index]!;
    const mark = (kind: MarkerKind, label: string, at?: Marker['at']) => this.markers.push({ index, t, kind, label, ...(at ? { at } : {}) });
    switch (message.type) {
      case 'snapshot':
        this.keyframes.push(index);
        if (!this.made.has(message)) mark('page', this.page ? this.page.title || this.page.url : '');
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
  }

  /**
   * Folds the full detail up to `cutT` into a keyframe at the window's new start, keeps the
   * picture at the old start as a keyframe of the thinned part, and drops the rest but the
   * console and network entries.
   */
  private thin(cutT: number): void {
    const { entries } = this;
    const cut = this.indexAt(cutT);
    this.windowStart = cutT;
    if (cut < this.fullFrom) return;
    const isLog = (entry: TimelineEntry) => entry.message.type === 'console' || entry.message.type === 'network';
    const made = (messages: HostMessage[], t: number): TimelineEntry[] => {
      if (messages[0]) this.made.add(messages[0]);
      return messages.map((message) => ({ t, message }));
    };
    // The old start as the agent first saw it: its snapshot and the state that came before the page first changed.
    let settled = -1;
    for (let i = this.fullFrom; i <= cut && settled < 0; i++) if (entries[i]!.message.type === 'snapshot') settled = i;
    let oldStart: TimelineEntry[] = [];
    if (settled >= 0) {
      while (settled < cut && entries[settled + 1]!.message.type !== 'mutation' && entries[settled + 1]!.message.type !== 'snapshot') settled++;
      oldStart = made(compactState(this.plan(-1, settled)), entries[settled]!.t);
    }
    const logs = entries.slice(this.fullFrom, cut + 1).filter(isLog);
    const before = logs.findIndex((entry) => entry.t > (oldStart[0]?.t ?? Infinity));
    const thinned = [...entries.slice(0, this.fullFrom), ...(before < 0 ? [...logs, ...oldStart] : [...logs.slice(0, before), ...oldStart, ...logs.slice(before)])];
    const base = made(compactState(this.plan(-1, cut)), entries[cut]!.t);
    const kept = this.bound(thinned);
    const rest = entries.slice(cut + 1);
    const oldEntries = entries;
    this.entries = [...kept, ...base, ...rest];
    this.fullFrom = kept.length;
    this.reindex();
    const shift = this.fullFrom + base.length - (cut + 1);
    this.onThinned?.((oldIndex) => (oldIndex > cut ? { index: oldIndex + shift, exact: true } : { index: this.indexAt(oldEntries[oldIndex]?.t ?? -Infinity), exact: false }));
  }

  /** The thinned part within its limits: the keyframes furthest apart, and the newest log entries. */
  private bound(thinned: TimelineEntry[]): TimelineEntry[] {
    const isLog = (entry: TimelineEntry) => entry.message.type === 'console' || entry.message.type === 'network';
    // A keyframe is its snapshot and the state entries after it.
    const groups: { from: number; to: number; t: number }[] = [];
    thinned.forEach((entry, i) => {
      if (entry.message.type === 'snapshot') groups.push({ from: i, to: i + 1, t: entry.t });
      else if (!isLog(entry) && groups.length > 0) groups.at(-1)!.to = i + 1;
    });
    const drop = new Set<number>();
    // Drop the keyframe whose neighbours are closest together (never the first): what is left stays spread out.
    while (groups.length > this.history.keyframes) {
      let best = 1;
      for (let g = 2; g < groups.length; g++) {
        const gap = (groups[g + 1]?.t ?? this.end) - groups[g - 1]!.t;
        if (gap < (groups[best + 1]?.t ?? this.end) - groups[best - 1]!.t) best = g;
      }
      const [gone] = groups.splice(best, 1);
      for (let i = gone!.from; i < gone!.to; i++) drop.add(i);
    }
    let logs = thinned.filter(isLog).length;
    return thinned.filter((entry, i) => {
      if (drop.has(i)) return false;
      if (isLog(entry) && logs > this.history.logEntries) {
        logs--;
        return false;
      }
      return true;
    });
  }

  private reindex(): void {
    this.markers = [];
    this.console = [];
    this.network = [];
    this.keyframes = [];
    for (let i = 0; i < this.entries.length; i++) this.index(i);
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
export const REPLAYED: ReadonlySet<HostMessage['type']> = new Set<HostMessage['type']>(['snapshot', 'mutation', 'input', 'scroll', 'viewport', 'pointer', 'stylesheet', 'sheet', 'adopted-sheets', 'adopted-styles', 'canvas', 'media', 'focus', 'selection', 'asset']);

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
  readonly timeline: Timeline;
  private following = true;
  /** The index on screen while not following. */
  private shown = -1;
  /** The moment on screen was thinned away: the next move rebuilds from a keyframe. */
  private stale = false;
  private readonly listeners = new Set<() => void>();

  constructor(
    private readonly screen: Screen,
    private readonly now: () => number = () => Date.now(),
    history: HistoryOptions = {},
  ) {
    this.timeline = new Timeline(history);
    this.timeline.onThinned = (remap) => {
      if (this.following) return;
      const { index, exact } = remap(this.shown);
      this.shown = index;
      if (!exact) this.stale = true;
    };
  }

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
    this.draw(this.timeline.plan(this.from(), target));
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
    this.draw(this.timeline.plan(this.from(), this.timeline.length - 1));
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

  /** Where the screen is, for `plan`: -1 (rebuild) when that moment was thinned away. */
  private from(): number {
    if (!this.stale) return this.position;
    this.stale = false;
    return -1;
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
