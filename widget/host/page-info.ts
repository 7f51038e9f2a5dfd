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

/**
 * A page's first DateTimeFormat loads ICU's time zone data: 30–150 ms of main thread on a slow
 * phone. Paid in an idle moment while the customer waits for the agent, not in the task that
 * starts the session.
 */
export function warmTimeZone(win: Window = window): void {
  if (knownTimeZone !== undefined) return;
  if (typeof win.requestIdleCallback === 'function') win.requestIdleCallback(() => timeZoneName(), { timeout: 2_000 });
  else setTimeout(timeZoneName, 0);
}

/** What the agent's Session panel shows about the customer's page and browser. */
export function pageInfo(win: Window = window): PageInfo {
  const nav = win.navigator as Navigator & { userAgentData?: { platform?: string } };
  const timeZone = timeZoneName();
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
