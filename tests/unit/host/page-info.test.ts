import { describe, expect, it } from 'vitest';
import { pageInfo, stopWarmingTimeZone, warmTimeZone } from '../../../widget/host/page-info.js';

/** Just enough of a window for pageInfo, with idle callbacks the test runs or cancels by hand. */
function fakeWindow() {
  const idle = new Map<number, () => void>();
  let next = 1;
  const win = {
    navigator: { userAgent: 'UA', language: 'de-DE', platform: 'Linux' },
    location: { href: 'https://shop.example/' },
    document: { title: 'Shop' },
    innerWidth: 800,
    innerHeight: 600,
    requestIdleCallback: (callback: () => void) => {
      idle.set(next, callback);
      return next++;
    },
    cancelIdleCallback: (handle: number) => idle.delete(handle),
  };
  return { win: win as unknown as Window, idle };
}

describe('the time zone in the session info', () => {
  it('is never looked up by Intl once sharing starts: a waiting warm-up is cancelled, and Date’s label stands in', () => {
    const { win, idle } = fakeWindow();
    warmTimeZone(win);
    expect(idle.size).toBe(1);
    stopWarmingTimeZone();
    expect(idle.size).toBe(0);
    // Date's own words: an offset, and the zone's name when the platform gives one.
    expect(pageInfo(win).timeZone).toMatch(/^GMT[+-]\d{4}/);
  });

  it('gives the zone’s IANA name once the warm-up ran while the customer waited', () => {
    const { win, idle } = fakeWindow();
    warmTimeZone(win);
    for (const callback of idle.values()) callback();
    expect(pageInfo(win).timeZone).toBe(Intl.DateTimeFormat().resolvedOptions().timeZone);
  });
});
