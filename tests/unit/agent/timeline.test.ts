import { describe, expect, it } from 'vitest';
import { Timeline, TimelinePlayer, type Screen } from '../../../widget/agent/timeline.js';
import { NodeKind, type HostMessage } from '../../../widget/protocol/index.js';

const page = { url: 'https://shop.example/', title: 'Shop', userAgent: 'UA', language: 'en' };
const snapshot = (label: string): HostMessage => ({
  type: 'snapshot',
  node: { id: 1, type: NodeKind.Document, childNodes: [{ id: 2, type: NodeKind.Text, textContent: label }] },
  viewport: { width: 800, height: 600 },
  scroll: { x: 0, y: 0 },
});
const text = (value: string): HostMessage => ({ type: 'mutation', removes: [], adds: [], attributes: [], texts: [{ id: 2, value }] });
const click: HostMessage = { type: 'click', x: 5, y: 6 };
const error: HostMessage = { type: 'console', level: 'uncaught', text: 'TypeError: boom' };
const failed: HostMessage = { type: 'network', kind: 'fetch', method: 'GET', url: 'https://api/x', status: 500, durationMs: 3, size: 0 };
const ok: HostMessage = { type: 'network', kind: 'img', method: 'GET', url: 'https://cdn/a.png', status: 200, durationMs: 3, size: 10 };

/** A screen that keeps what it would draw: the text node's value, as a viewer would show it. */
class FakeScreen implements Screen {
  shown = '';
  rebuilds = 0;
  applied: HostMessage[] = [];
  apply(message: HostMessage): void {
    this.applied.push(message);
    this.draw(message);
  }
  show(messages: HostMessage[]): void {
    messages.forEach((m) => this.draw(m));
  }
  private draw(message: HostMessage): void {
    if (message.type === 'snapshot') {
      this.rebuilds++;
      this.shown = message.node.childNodes![0]!.textContent!;
    }
    if (message.type === 'mutation') this.shown = message.texts[0]!.value;
  }
}

/** A page "A" at t=100 changing to A1, A2, then a new page "B" at t=400 changing to B1. */
function session(): { player: TimelinePlayer; screen: FakeScreen; tick: (t: number) => void } {
  const screen = new FakeScreen();
  let now = 0;
  const player = new TimelinePlayer(screen, () => now);
  const feed: [number, HostMessage][] = [
    [90, { type: 'hello', v: 1, page }],
    [100, snapshot('A')],
    [150, text('A1')],
    [200, click],
    [210, text('A2')],
    [300, error],
    [310, failed],
    [320, ok],
    [400, snapshot('B')],
    [450, text('B1')],
  ];
  for (const [t, message] of feed) {
    now = t;
    player.record(message);
    player.onLive(message);
  }
  return { player, screen, tick: (t) => (now = t) };
}

describe('timeline', () => {
  it('marks errors, failed requests, clicks and page changes, and lists console and network entries', () => {
    const { player } = session();
    const { markers, console: consoleEntries, network } = player.timeline;
    expect(markers.map((m) => [m.kind, m.t])).toEqual([
      ['page', 100],
      ['click', 200],
      ['error', 300],
      ['error', 310],
      ['page', 400],
    ]);
    expect(markers[0]!.label).toBe('Shop');
    // The page's own words are kept; a click is a place, worded in the agent's language by the join page.
    expect(markers[1]).toMatchObject({ label: '', at: { x: 5, y: 6 } });
    expect(markers[3]!.label).toBe('GET https://api/x 500');
    expect(consoleEntries).toHaveLength(1);
    expect(network).toHaveLength(2);
  });

  it('finds the last entry at or before a time', () => {
    const t = session().player.timeline;
    expect(t.indexAt(0)).toBe(-1);
    expect(t.indexAt(100)).toBe(1);
    expect(t.indexAt(199)).toBe(2);
    expect(t.indexAt(10_000)).toBe(t.length - 1);
  });

  it('plans a rebuild from the nearest snapshot going back, and only the deltas going forward', () => {
    const t = session().player.timeline;
    const types = (from: number, to: number) => t.plan(from, to).map((m) => m.type);
    expect(types(9, 4)).toEqual(['snapshot', 'mutation', 'mutation']); // back: A, A1, A2 (no click ripple)
    expect(types(2, 4)).toEqual(['mutation']); // forward on the same page: A2 only
    expect(types(4, 9)).toEqual(['snapshot', 'mutation']); // across a page change: B, B1
    expect(types(-1, 0)).toEqual([]); // before the first picture there is nothing to show
  });

  it('never goes back in time when the clock steps back', () => {
    const timeline = new Timeline();
    timeline.push(snapshot('A'), 500);
    timeline.push(text('A1'), 400);
    expect(timeline.end).toBe(500);
  });
});

describe('time travel player', () => {
  it('shows an earlier moment, keeps recording live messages meanwhile, and catches up on return to live', () => {
    const { player, screen, tick } = session();
    expect(screen.shown).toBe('B1');
    expect(player.live).toBe(true);

    player.seekTime(205); // after the click, before A2
    expect(screen.shown).toBe('A1');
    expect(player.live).toBe(false);
    expect(player.position).toBe(3);

    // Live messages go on being recorded, but the agent's view stays put.
    const appliedBefore = screen.applied.length;
    tick(500);
    player.record(text('B2'));
    player.onLive(text('B2'));
    expect(screen.shown).toBe('A1');
    expect(screen.applied.length).toBe(appliedBefore);
    expect(player.timeline.length).toBe(11);

    player.goLive();
    expect(screen.shown).toBe('B2');
    expect(player.live).toBe(true);
  });

  it('moves forward on the same page without rebuilding', () => {
    const { player, screen } = session();
    player.seek(2); // A1
    const rebuilds = screen.rebuilds;
    player.seek(4); // A2
    expect(screen.shown).toBe('A2');
    expect(screen.rebuilds).toBe(rebuilds);
  });

  it('clamps seeks before the first picture to the first picture', () => {
    const { player, screen } = session();
    player.seekTime(0);
    expect(screen.shown).toBe('A');
    expect(player.position).toBe(1);
  });

  it('loads a recording and shows its last moment', () => {
    const source = session().player.timeline.entries;
    const screen = new FakeScreen();
    const player = new TimelinePlayer(screen);
    player.load(source);
    expect(screen.shown).toBe('B1');
    expect(player.live).toBe(false);
    expect(player.timeline.markers).toHaveLength(5);
    player.seekTime(150);
    expect(screen.shown).toBe('A1');
  });

  it('tells listeners about every change', () => {
    const { player } = session();
    let calls = 0;
    player.subscribe(() => calls++);
    player.seek(2);
    player.record(text('x'));
    player.goLive();
    expect(calls).toBe(3);
  });
});
