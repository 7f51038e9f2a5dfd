import type { Page } from 'playwright-core';
import type { Harness } from '../e2e/harness.js';
import { AgentPage, CustomerPage } from '../e2e/pages.js';
import { domSignature, firstDifference } from './dom-signature.js';

export interface JoinOutcome {
  /** The agent's mirror equalled the customer's page (domSignature) within the time allowed. */
  equal: boolean;
  /** From the agent's Join click to the first moment the two were equal (ms), or null. */
  msToEqual: number | null;
  /** Automatic resyncs the join page needed (data-coview-resyncs). */
  resyncs: number;
  /** "[coview] the view diverged…" warnings: changes the view could not apply. */
  divergences: string[];
  /**
   * Measured in the agent's page, from the Join click: the session live, and the last snapshot
   * part shown (the mirror whole). Null if not seen within the time allowed.
   */
  msToLive: number | null;
  msToComplete: number | null;
  /** Where the two differed last, when they never became equal. */
  difference: string;
  customerMode: string;
  agentMode: string;
  customer: CustomerPage;
  agent: AgentPage;
}

export interface ThrottledJoinOptions {
  /** CDP CPU throttling of the customer's page (4: a mid-range phone). */
  cpuRate?: number;
  /**
   * Nodes per snapshot part (tiny: parts end anywhere, right after the document node included).
   * Default: partSizeFor(page).
   */
  sliceNodes?: number;
  /** How long the page keeps changing after the agent clicks Join (ms): over the whole snapshot. 0: a quiet page. */
  churnMs?: number;
  equalWithinMs?: number;
}

/**
 * One join as a slow customer device makes it hard: the customer's CPU throttled, the snapshot cut
 * into tiny parts, and the page changing (nodes added, removed, moved, classes and text) while the
 * snapshot is taken. Then the agent's mirror must equal the customer's page.
 */
export async function throttledJoin(h: Harness, url: string, options: ThrottledJoinOptions = {}): Promise<JoinOutcome> {
  const { cpuRate = 4, churnMs = 1_500, equalWithinMs = 10_000 } = options;
  const customerContext = await h.person();
  const customer = await CustomerPage.open(customerContext, url);
  const agentContext = await h.person({ width: 1280, height: 800 });
  await agentContext.grantPermissions(['microphone'], { origin: h.server.url });
  const agent = await AgentPage.open(agentContext, `${h.server.url}/join`);
  const divergences: string[] = [];
  agent.page.on('console', (message) => {
    if (message.text().includes('the view diverged')) divergences.push(message.text());
  });
  const sliceNodes = options.sliceNodes ?? (await partSizeFor(customer.page));
  const cdp = await customerContext.newCDPSession(customer.page);
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: cpuRate });
  const { code } = await customer.page.evaluate((slice) => window.Coview!.start({ onJoinRequest: () => true, snapshotSliceNodes: slice }), sliceNodes);
  if (churnMs > 0) await startChurn(customer.page, churnMs);
  await agent.page.evaluate(watchJoinMilestones);
  const joinedAt = Date.now();
  await agent.join(code);
  const expected = () => customer.page.evaluate(`(${domSignature.toString()})(document)`) as Promise<string>;
  const seen = () => agent.inMirror(new Function('doc', `return doc.body ? (${domSignature.toString()})(doc) : ''`) as (doc: Document) => string);
  let equalAt: number | null = null;
  let difference = '';
  const deadline = joinedAt + equalWithinMs;
  // Comparing two 5k-node DOMs costs the throttled customer's page hundreds of ms, which would
  // slow the very join being timed: compare only once the agent's page says the mirror is whole.
  const whole = () => agent.page.evaluate(() => (window as unknown as { __joinMilestones: { msToComplete: number | null } }).__joinMilestones.msToComplete !== null);
  while (Date.now() < deadline) {
    const checkedAt = Date.now();
    if (!(await whole())) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      continue;
    }
    const churning = await customer.page.evaluate(() => (window as unknown as { __churning?: boolean }).__churning === true);
    const [a, b] = [await expected(), await seen()];
    if (!churning && a === b) {
      // Equal as of the check's start: the comparison's own time is not the join's.
      equalAt = checkedAt;
      break;
    }
    difference = b ? firstDifference(a, b) : 'the mirror has no body';
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: 1 });
  const resyncs = Number((await agent.page.locator('html').getAttribute('data-coview-resyncs')) ?? 0);
  const customerMode = await customer.page.evaluate(() => document.compatMode);
  const agentMode = (await agent.inMirror((doc) => doc.compatMode)) ?? '(none)';
  const { msToLive, msToComplete, clickedAtEpoch } = await agent.page.evaluate(() => (window as unknown as { __joinMilestones: { msToLive: number | null; msToComplete: number | null; clickedAtEpoch: number | null } }).__joinMilestones);
  // From the Join click itself (the agent's page noted it): typing the code and the name before it
  // is the test's time, not the join's.
  const msToEqual = equalAt === null ? null : Math.max(0, equalAt - (clickedAtEpoch ?? joinedAt));
  return { equal: msToEqual !== null, msToEqual, msToLive, msToComplete, resyncs, divergences, difference, customerMode, agentMode, customer, agent };
}

/** In the agent's page: times from the Join click to "live" and to the whole first mirror. */
function watchJoinMilestones(): void {
  const milestones = { msToLive: null as number | null, msToComplete: null as number | null, clickedAtEpoch: null as number | null };
  (window as unknown as { __joinMilestones: typeof milestones }).__joinMilestones = milestones;
  let clickedAt: number | null = null;
  document.addEventListener('click', (event) => {
    if (clickedAt === null && (event.target as Element).closest?.('button')?.textContent?.trim() === 'Join') {
      clickedAt = performance.now();
      milestones.clickedAtEpoch = performance.timeOrigin + clickedAt;
    }
  }, true);
  const check = () => {
    if (clickedAt === null) return;
    const live = document.documentElement.getAttribute('data-coview-state') === 'live';
    if (live && milestones.msToLive === null) milestones.msToLive = performance.now() - clickedAt;
    const frame = document.querySelector<HTMLIFrameElement>('[data-coview-frame]');
    const shown = (frame?.contentDocument?.body?.childElementCount ?? 0) > 0;
    if (live && milestones.msToComplete === null && frame && shown && !frame.hasAttribute('data-coview-loading')) {
      milestones.msToComplete = performance.now() - clickedAt;
    }
  };
  new MutationObserver(check).observe(document.documentElement, { attributes: true, subtree: true, attributeFilter: ['data-coview-state', 'data-coview-loading'] });
}

/**
 * Snapshot parts for tests: 5 nodes, or about 1/50 of the page on big pages (each part is a task
 * of its own on a throttled phone, and a forced layout when the page changes in between), so parts
 * end anywhere — the first one right after the document node — and a join stays a few seconds.
 */
export function partSizeFor(page: Page): Promise<number> {
  return page.evaluate(() => Math.max(5, Math.ceil((document.getElementsByTagName('*').length * 2) / 50)));
}

/**
 * Framework-like churn in the customer's page for `ms`: rows added and removed, nodes moved,
 * classes toggled, text rewritten, all outside the widget. Sets window.__churning meanwhile.
 */
async function startChurn(page: Page, ms: number): Promise<void> {
  await page.evaluate((duration) => {
    const w = window as unknown as { __churning?: boolean };
    w.__churning = true;
    const host = document.createElement('section');
    host.id = 'coview-test-churn';
    document.body.prepend(host);
    let n = 0;
    const started = performance.now();
    const tick = () => {
      const rows = host.querySelectorAll('p');
      const p = document.createElement('p');
      p.className = n % 2 ? 'odd' : 'even';
      p.textContent = `row ${n++}`;
      host.insertBefore(p, rows[n % Math.max(1, rows.length)] ?? null);
      if (rows.length > 8) rows[0]!.remove();
      const moved = rows[rows.length - 1];
      if (moved && n % 3 === 0) host.prepend(moved);
      const any = document.body.querySelectorAll(':not([data-coview-widget]) *');
      const target = any[(n * 7919) % Math.max(1, any.length)];
      if (target && !target.closest('[data-coview-widget]')) target.classList.toggle('coview-test-toggle');
      if (rows[1]) rows[1].textContent = `edited ${n}`;
      if (performance.now() - started < duration) setTimeout(tick, 15);
      else w.__churning = false;
    };
    tick();
  }, ms);
}
