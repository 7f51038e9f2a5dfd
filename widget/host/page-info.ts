import type { PageInfo } from '../protocol/index.js';

/** What the agent's Session panel shows about the customer's page and browser. */
export function pageInfo(win: Window = window): PageInfo {
  const nav = win.navigator as Navigator & { userAgentData?: { platform?: string } };
  let timeZone: string | undefined;
  try {
    timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch {
    timeZone = undefined;
  }
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
