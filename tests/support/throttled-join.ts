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
  /** How long the page keeps changing after the agent clicks Join (ms): over the whole snapshot. */
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
  await startChurn(customer.page, churnMs);
  const joinedAt = Date.now();
  await agent.join(code);
  const expected = () => customer.page.evaluate(`(${domSignature.toString()})(document)`) as Promise<string>;
  const seen = () => agent.inMirror(new Function('doc', `return doc.body ? (${domSignature.toString()})(doc) : ''`) as (doc: Document) => string);
  let msToEqual: number | null = null;
  let difference = '';
  const deadline = joinedAt + equalWithinMs;
  while (Date.now() < deadline) {
    const churning = await customer.page.evaluate(() => (window as unknown as { __churning?: boolean }).__churning === true);
    const [a, b] = [await expected(), await seen()];
    if (!churning && a === b) {
      msToEqual = Date.now() - joinedAt;
      break;
    }
    difference = b ? firstDifference(a, b) : 'the mirror has no body';
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: 1 });
  const resyncs = Number((await agent.page.locator('html').getAttribute('data-coview-resyncs')) ?? 0);
  const customerMode = await customer.page.evaluate(() => document.compatMode);
  const agentMode = (await agent.inMirror((doc) => doc.compatMode)) ?? '(none)';
  return { equal: msToEqual !== null, msToEqual, resyncs, divergences, difference, customerMode, agentMode, customer, agent };
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
