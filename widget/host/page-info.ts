import type { PageInfo } from '../protocol/index.js';

let knownTimeZone: string | null | undefined;

/** The customer's time zone name (e.g. Europe/Berlin), or null if the browser will not say. */
function timeZoneName(): string | null {
  if (knownTimeZone === undefined) {
    try {
      knownTimeZone = Intl.DateTimeFormat().resolvedOptions().timeZone || null;
    } catch {
      knownTimeZone = null;
    }
  }
  return knownTimeZone;
}

let warming: (() => void) | null = null;

/**
 * A page's first DateTimeFormat loads ICU's time zone data: 30–150 ms of main thread on a slow
 * phone (55–75 ms at 4× in `npm run bench`). Paid in an idle moment while the customer waits for
 * the agent, and never once they allowed one (stopWarmingTimeZone): the session's hello says what
 * Date says instead (see pageInfo).
 */
export function warmTimeZone(win: Window = window): void {
  if (knownTimeZone !== undefined || warming) return;
  const warm = () => {
    warming = null;
    timeZoneName();
  };
  if (typeof win.requestIdleCallback === 'function') {
    const handle = win.requestIdleCallback(warm, { timeout: 2_000 });
    warming = () => win.cancelIdleCallback(handle);
  } else {
    const timer = setTimeout(warm, 0);
    warming = () => clearTimeout(timer);
  }
}

/** Sharing starts: a warm-up still waiting for an idle moment would now land in the snapshot's. */
export function stopWarmingTimeZone(): void {
  warming?.();
  warming = null;
}

/**
 * The zone as the session starts: its name once warmTimeZone has found it, else what Date says at
 * no cost ("GMT+0100 (Central European Standard Time)"): an agent who joins within a second of the
 * code appearing must not cost the customer's page the ICU load right when sharing starts.
 */
function timeZoneNow(): string | null {
  if (knownTimeZone !== undefined) return knownTimeZone;
  return /GMT[+-]\d{4}(?: \([^)]*\))?/.exec(new Date().toString())?.[0] ?? null;
}

/** What the agent's Session panel shows about the customer's page and browser. */
export function pageInfo(win: Window = window): PageInfo {
  const nav = win.navigator as Navigator & { userAgentData?: { platform?: string } };
  const timeZone = timeZoneNow();
  const platform = nav.userAgentData?.platform || nav.platform || undefined;
  return {
    url: win.location.href,
    title: win.document.title.slice(0, 1_000),
    userAgent: nav.userAgent.slice(0, 1_000),
    language: nav.language.slice(0, 100),
    ...(platform ? { platform: platform.slice(0, 100) } : {}),
    ...(timeZone ? { timeZone: timeZone.slice(0, 100) } : {}),
    viewport: { width: win.innerWidth, height: win.innerHeight },
  };
}
