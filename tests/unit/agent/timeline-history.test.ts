import { describe, expect, it } from 'vitest';
import { DEFAULT_HISTORY, TimelinePlayer, type Screen } from '../../../widget/agent/timeline.js';
import { NodeKind, type HostMessage, type SerializedNode } from '../../../widget/protocol/index.js';

/**
 * Hours of a busy session on a simulated clock: every second the page's counter text changes, a
 * list item is added and the oldest removed (the list keeps 20), a field is typed into and the
 * page scrolls; every 10 s the console says something, every 30 s the customer clicks. What the
 * page looked like at tick n is known exactly, so every moment the player shows can be checked.
 */

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const ITEMS = 20;
const item = (n: number): SerializedNode => ({ id: 1_000 + n, type: NodeKind.Element, tagName: 'li', attributes: {}, childNodes: [{ id: 1_000_000 + n, type: NodeKind.Text, textContent: `item ${n}` }] });

function snapshotAt(n: number): HostMessage {
  const items = Array.from({ length: Math.min(ITEMS, n + 1) }, (_, i) => item(n - Math.min(ITEMS, n + 1) + 1 + i));
  return {
    type: 'snapshot',
    node: {
      id: 1,
      type: NodeKind.Document,
      childNodes: [
        { id: 2, type: NodeKind.Element, tagName: 'body', attributes: {}, childNodes: [
          { id: 3, type: NodeKind.Element, tagName: 'p', attributes: {}, childNodes: [{ id: 4, type: NodeKind.Text, textContent: `tick ${n}` }] },
          { id: 5, type: NodeKind.Element, tagName: 'ul', attributes: {}, childNodes: items },
          { id: 6, type: NodeKind.Element, tagName: 'input', attributes: { value: `typed ${n}` } },
        ] },
      ],
    },
    viewport: { width: 800, height: 600 },
    scroll: { x: 0, y: n },
  };
}

/** The messages of tick n (n ≥ 1), as the customer's page sends them. */
function tick(n: number): HostMessage[] {
  const out: HostMessage[] = [
    { type: 'mutation', removes: n >= ITEMS ? [1_000 + n - ITEMS] : [], adds: [{ parentId: 5, nextId: null, node: item(n) }], attributes: [], texts: [{ id: 4, value: `tick ${n}` }] },
    { type: 'input', id: 6, value: `typed ${n}` },
    { type: 'scroll', id: 1, x: 0, y: n },
    { type: 'pointer', x: n % 800, y: 100 },
  ];
  if (n % 10 === 0) out.push({ type: 'console', level: n % 20 === 0 ? 'error' : 'warn', text: `log ${n}` });
  if (n % 30 === 0) out.push({ type: 'click', x: 1, y: 2 });
  return out;
}

/** What a viewer would show, read off the messages it is given (knows only this page's shape). */
class PageScreen implements Screen {
  counter = '';
  items: number[] = [];
  field = '';
  scrollY = -1;
  apply(message: HostMessage): void {
    this.draw(message);
  }
  show(messages: HostMessage[]): void {
    messages.forEach((m) => this.draw(m));
  }
  /** The tick this screen shows, if what it shows is one consistent moment of the page (else -1). */
  shownTick(): number {
    const n = Number(this.counter.replace('tick ', ''));
    const items = Array.from({ length: Math.min(ITEMS, n + 1) }, (_, i) => 1_000 + n - Math.min(ITEMS, n + 1) + 1 + i);
    const consistent = this.field === `typed ${n}` && this.scrollY === n && JSON.stringify(this.items) === JSON.stringify(items);
    return consistent ? n : -1;
  }
  private draw(message: HostMessage): void {
    switch (message.type) {
      case 'snapshot': {
        const [p, ul, input] = message.node.childNodes![0]!.childNodes!;
        this.counter = p!.childNodes![0]!.textContent!;
        this.items = ul!.childNodes!.map((li) => li.id);
        this.field = String(input!.attributes!.value);
        this.scrollY = message.scroll.y;
        return;
      }
      case 'mutation':
        this.items = this.items.filter((id) => !message.removes.includes(id));
        for (const add of message.adds) if (add.parentId === 5) this.items.push(add.node.id);
        for (const change of message.texts) if (change.id === 4) this.counter = change.value;
        return;
      case 'input':
        this.field = message.value;
        return;
      case 'scroll':
        this.scrollY = message.y;
    }
  }
}

function session(history = {}) {
  let now = 0;
  const screen = new PageScreen();
  const player = new TimelinePlayer(screen, () => now, history);
  const feed = (message: HostMessage) => {
    player.record(message);
    player.onLive(message);
  };
  feed({ type: 'hello', v: 1, page: { url: 'https://shop/', title: 'Shop', userAgent: 'UA', language: 'en' } });
  feed(snapshotAt(0));
  let n = 0;
  /** Runs the page on until `untilMs` on the clock. */
  const runUntil = (untilMs: number) => {
    while ((n + 1) * SECOND <= untilMs) {
      n++;
      now = n * SECOND;
      tick(n).forEach(feed);
    }
  };
  /** The page sends nothing until `untilMs` (the customer reads, or left the tab open). */
  const quietUntil = (untilMs: number) => {
    n = Math.floor(untilMs / SECOND);
    now = n * SECOND;
  };
  return { player, screen, runUntil, quietUntil, tickAt: (t: number) => Math.floor(t / SECOND) };
}

describe('time travel over hours keeps a bounded window (TimelinePlayer with its default history)', () => {
  it('holds about the last 60 minutes at full detail: entries and bytes stay flat from the first hour to the third', () => {
    const { player, runUntil } = session();
    const size = () => ({ entries: player.timeline.length, bytes: JSON.stringify(player.timeline.entries).length });
    runUntil(70 * MINUTE);
    const atOneHour = size();
    const seen: number[] = [];
    for (let t = 80 * MINUTE; t <= 180 * MINUTE; t += 10 * MINUTE) {
      runUntil(t);
      seen.push(size().bytes);
      // Full detail covers the last hour, and at most one step more.
      expect(player.timeline.end - player.timeline.entries.find((e) => e.message.type === 'mutation')!.t).toBeLessThanOrEqual(DEFAULT_HISTORY.fullDetailMs + DEFAULT_HISTORY.stepMs);
    }
    const atThreeHours = size();
    // 3 hours sent ~50,000 messages; what is kept is the last hour's ~18,000 and a few keyframes.
    expect(atThreeHours.entries).toBeLessThan(atOneHour.entries * 1.1);
    expect(Math.max(...seen)).toBeLessThan(atOneHour.bytes * 1.15);
    expect(player.timeline.console.length).toBe(180 * 6); // every console entry: 1,080, within the 1,000 + one hour's
  });

  it('seeks exactly in the full-detail part, and to a whole keyframe not long before in the thinned part', () => {
    const { player, screen, runUntil, tickAt } = session();
    runUntil(180 * MINUTE);
    const start = player.timeline.start;
    expect(start).toBe(0); // the session's first moment is still there to go back to

    // Full detail: exactly the moment asked for.
    for (const t of [179 * MINUTE, 150 * MINUTE + 17 * SECOND, 121 * MINUTE + 5 * SECOND]) {
      player.seekTime(t);
      expect(screen.shownTick()).toBe(tickAt(t));
    }
    // Thinned: a consistent picture of the page from at most one keyframe spacing (2 h / 12 ≈ 10 min, ×2 slack) before.
    for (const t of [0, 30 * SECOND, 45 * MINUTE, 90 * MINUTE + 30 * SECOND, 110 * MINUTE]) {
      player.seekTime(t);
      const shown = screen.shownTick();
      expect(shown, `at ${t / MINUTE} min`).toBeGreaterThanOrEqual(0);
      expect(shown).toBeLessThanOrEqual(tickAt(t));
      expect(tickAt(t) - shown).toBeLessThanOrEqual(20 * 60);
    }
    // From the thinned part straight back to live.
    player.goLive();
    expect(screen.shownTick()).toBe(tickAt(180 * MINUTE));
  });

  it('a moment on screen that gets thinned away meanwhile stays on screen, and the next seek is right', () => {
    const { player, screen, runUntil, tickAt } = session();
    runUntil(90 * MINUTE);
    player.seekTime(31 * MINUTE); // in the window now, thinned after a few more minutes
    const shown = screen.shownTick();
    expect(shown).toBe(tickAt(31 * MINUTE));
    runUntil(100 * MINUTE);
    expect(screen.shownTick()).toBe(shown); // nothing redrew it
    player.seekTime(95 * MINUTE);
    expect(screen.shownTick()).toBe(tickAt(95 * MINUTE));
    player.seekTime(99 * MINUTE + 59 * SECOND);
    expect(screen.shownTick()).toBe(tickAt(99 * MINUTE + 59 * SECOND));
  });

  it('after a quiet gap in the page, thins once a step as usual, not on every later message', () => {
    const { player, runUntil, quietUntil } = session();
    let passes = 0;
    const remap = player.timeline.onThinned;
    player.timeline.onThinned = (r) => {
      passes++;
      remap?.(r);
    };
    runUntil(30 * MINUTE);
    quietUntil(40 * MINUTE);
    runUntil(89 * MINUTE);
    const before = passes;
    // The window's start crosses the 10-minute gap between 90 and 100 minutes: two steps of 5 minutes.
    runUntil(101 * MINUTE);
    expect(passes - before).toBeGreaterThanOrEqual(1);
    expect(passes - before).toBeLessThanOrEqual(3);
    expect(player.timeline.end - player.timeline.entries.find((e) => e.message.type === 'mutation')!.t).toBeLessThanOrEqual(DEFAULT_HISTORY.fullDetailMs + DEFAULT_HISTORY.stepMs);
  });

  it('is configurable: a 10-minute window keeps a sixth of a 60-minute one', () => {
    const long = session();
    const short = session({ fullDetailMs: 10 * MINUTE });
    long.runUntil(120 * MINUTE);
    short.runUntil(120 * MINUTE);
    const mutations = (p: TimelinePlayer) => p.timeline.entries.filter((e) => e.message.type === 'mutation').length;
    expect(mutations(long.player)).toBeGreaterThanOrEqual(60 * 60);
    expect(mutations(short.player)).toBeLessThanOrEqual(11 * 60);
    short.player.seekTime(115 * MINUTE);
    expect(short.screen.shownTick()).toBe(short.tickAt(115 * MINUTE));
    short.player.seekTime(20 * MINUTE);
    expect(short.screen.shownTick()).toBeGreaterThanOrEqual(0);
  });
});
