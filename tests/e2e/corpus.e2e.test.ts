import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { CORPUS, installedVersion, startCorpusServer, type CorpusPage } from '../support/corpus.js';
import { domSignature, firstDifference } from '../support/dom-signature.js';
import { agentMirrorShot, comparePng, customerShot } from '../support/pixels.js';
import { partSizeFor } from '../support/throttled-join.js';
import { useHarness } from './harness.js';
import type { AgentPage, CustomerPage } from './pages.js';


/** A slow phone: the customer's renderer runs 4× slower than this machine. */
const CPU_THROTTLING_RATE = 4;
const JOINS_PER_PAGE = Number(process.env.COVIEW_CORPUS_JOINS ?? 5);
/** From the agent's Join click to a mirror whose DOM equals the customer's. */
const MIRROR_DEADLINE_MS = 10_000;
/** The goal: at most 1 % of the viewport's pixels differ. */
const MAX_PIXEL_RATIO = 0.01;
const CUSTOMER_VIEWPORT = { width: 1280, height: 720 };
/** Failure pictures go outside the repository (override with COVIEW_CORPUS_OUT). */
const OUT = process.env.COVIEW_CORPUS_OUT ?? join(tmpdir(), 'coview-corpus');
/** COVIEW_CORPUS=name,name runs only those pages (names as in tests/support/corpus.ts). */
const ONLY = process.env.COVIEW_CORPUS?.split(',').map((name) => name.trim());
const PAGES = CORPUS.filter((page) => !ONLY || ONLY.includes(page.name));

const h = useHarness();
let corpus: Awaited<ReturnType<typeof startCorpusServer>>;
beforeAll(async () => {
  // Pictures of an earlier run would be mistaken for this one's.
  mkdirSync(OUT, { recursive: true });
  for (const file of readdirSync(OUT)) if (file.endsWith('.png') || file === 'results.json') rmSync(join(OUT, file));
  corpus = await startCorpusServer(h.server.url);
});
afterAll(async () => {
  await corpus?.close();
  report();
});

interface JoinResult {
  page: string;
  join: number;
  equal: boolean;
  /** Join click → equal DOM, or the failure. */
  ms: number | null;
  failure?: string;
  customerElements?: number;
  churnOperations?: number;
}
interface PixelResult {
  page: string;
  state: 'loaded' | 'scrolled' | 'after interaction';
  ratio: number | null;
  failure?: string;
  files?: string[];
}
const joins: JoinResult[] = [];
/** The last join of each page, kept open for its pixel test (one join fewer per page). */
const kept = new Map<string, Awaited<ReturnType<typeof throttledJoin>>>();
const pixels: PixelResult[] = [];

/**
 * Runs in the customer's page (self-contained: sent as source): keeps changing the page while the
 * widget starts and sends its snapshot — adds, removes, moves and rewrites its own elements in the
 * page's containers, toggles classes and data attributes on the page's elements, and moves page
 * elements away and back within one task. It goes on until 1 s after the widget says it is
 * sharing (so it overlaps the snapshot however slow the join is, at most `maxMs`), then undoes
 * what it added, so the page ends as its own code left it.
 */
function startChurn([seed, maxMs]: [number, number]): void {
  let state = seed >>> 0 || 1;
  const random = () => (state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  const pick = <T,>(list: T[]): T | undefined => list[Math.floor(random() * list.length)];
  const w = window as unknown as { Coview?: { status: string }; __churn?: { done: Promise<number> } };
  const containers = [...document.body.querySelectorAll('div, section, article, main, header, footer, nav, aside, ul, li, p, h1, h2, h3')].filter(
    (el) => !el.closest('[data-coview-widget], svg, select, table'),
  );
  const added: HTMLElement[] = [];
  const touched = new Set<Element>();
  let operations = 0;
  const step = () => {
    operations++;
    const target = pick(containers);
    if (!target || !target.isConnected) return;
    switch (Math.floor(random() * 7)) {
      case 0:
      case 1: {
        const el = document.createElement(target.tagName === 'UL' ? 'li' : 'span');
        el.className = 'coview-churn-added';
        el.textContent = `churn ${operations}`;
        target.insertBefore(el, pick([...target.childNodes]) ?? null);
        added.push(el);
        return;
      }
      case 2:
        return void added.splice(Math.floor(random() * added.length), 1)[0]?.remove();
      case 3: {
        const el = pick(added);
        if (el) target.append(el);
        if (el) el.textContent = `moved ${operations}`;
        return;
      }
      case 4:
        touched.add(target);
        return void target.classList.toggle('coview-churn');
      case 5:
        touched.add(target);
        return void target.setAttribute('data-churn', String(operations));
      case 6: {
        // Away and back in one task: the observer sees both moves, the page never shows either.
        const el = pick([...target.children].filter((child) => child.tagName !== 'SCRIPT'));
        const home = el?.parentNode;
        const next = el?.nextSibling ?? null;
        const elsewhere = pick(containers);
        if (!el || !home || !elsewhere || el.contains(elsewhere)) return;
        elsewhere.append(el);
        home.insertBefore(el, next && next.parentNode === home ? next : null);
      }
    }
  };
  const started = performance.now();
  let sharingAt = 0;
  w.__churn = {
    done: new Promise<number>((resolve) => {
      const tick = () => {
        for (let i = 0; i < 8; i++) step();
        const now = performance.now();
        if (!sharingAt && w.Coview?.status === 'sharing') sharingAt = now;
        if ((sharingAt && now - sharingAt > 1_000) || now - started > maxMs) {
          for (const el of added) el.remove();
          for (const el of touched) {
            el.classList.remove('coview-churn');
            if (el.classList.length === 0) el.removeAttribute('class');
            el.removeAttribute('data-churn');
          }
          return resolve(operations);
        }
        setTimeout(tick, 10);
      };
      tick();
    }),
  };
}

const signatureSource = `(${domSignature.toString()})(document)`;
const customerSignature = (page: Page) => page.evaluate(signatureSource) as Promise<string>;
const agentSignature = (agent: AgentPage) => agent.inMirror(new Function('doc', `return (${domSignature.toString()})(doc)`) as (doc: Document) => string);

/** Compares both DOMs until they are equal or the deadline passes; the last difference if not. */
async function mirrorMatches(customer: CustomerPage, agent: AgentPage, deadline: number): Promise<{ equal: boolean; difference: string }> {
  for (;;) {
    const expected = await customerSignature(customer.page);
    const seen = (await agentSignature(agent)) ?? '(no mirror document)';
    if (seen === expected) return { equal: true, difference: '' };
    if (Date.now() > deadline) return { equal: false, difference: firstDifference(expected, seen) };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * One throttled customer on a corpus page, churning while the agent joins. Returns the session
 * (or why there is none), the time of the Join click and the contexts to close.
 */
async function throttledJoin(page: CorpusPage, seed: number) {
  const contexts: BrowserContext[] = [];
  // Filled in once the page is ready (the harness reads it when it starts sharing).
  const startOptions: Record<string, unknown> = {};
  let joinClickedAt = 0;
  let customerTab: Page | undefined;
  try {
    const session = await h.liveSession(corpus.urlOf(page), {
      customerViewport: CUSTOMER_VIEWPORT,
      prepareCustomer: async (context) => {
        contexts.push(context);
        // Raw host candidates on loopback for the corpus origin too (see newPerson).
        await context.grantPermissions(['microphone'], { origin: corpus.url });
      },
      prepareAgent: async (context) => void contexts.push(context),
      preparePage: async (tab) => void (customerTab = tab),
      beforeJoin: async (customer) => {
        await customer.page.locator(page.ready).first().waitFor({ state: 'attached', timeout: 15_000 });
        await page.setup?.(customer.page);
        // The phone is slow from here on: while the widget starts, takes the snapshot and sends it.
        // (Loading the page itself throttled only makes the run long; it is not what is tested.)
        if (!page.timeSlices) startOptions.snapshotSliceNodes = await partSizeFor(customer.page);
        const cdp = await customer.page.context().newCDPSession(customer.page);
        await cdp.send('Emulation.setCPUThrottlingRate', { rate: CPU_THROTTLING_RATE });
        await customer.page.evaluate(startChurn, [seed, 8_000] as [number, number]);
        joinClickedAt = Date.now();
      },
      startOptions,
      loadTimeoutMs: MIRROR_DEADLINE_MS,
    });
    return { ...session, joinClickedAt, contexts, error: null };
  } catch (error) {
    return { customer: null, agent: null, customerTab, joinClickedAt, contexts, error: error as Error };
  }
}

const closeAll = (contexts: BrowserContext[]) => Promise.all(contexts.map((context) => context.close().catch(() => {})));

function save(name: string, png: Buffer): string {
  mkdirSync(OUT, { recursive: true });
  const file = join(OUT, `${name}.png`);
  writeFileSync(file, png);
  return file;
}

describe('the page corpus: real pages from npm packages, on a slow phone, changing while the agent joins', () => {
  for (const page of PAGES) {
    const index = CORPUS.indexOf(page);
    const label = `${page.name} (${page.package}@${installedVersion(page.package)} ${page.path})`;

    it(`agent sees the same DOM as the customer on ${label} within 10 s, in ${JOINS_PER_PAGE} throttled joins`, { timeout: 180_000 }, async () => {
      const failures: string[] = [];
      for (let n = 1; n <= JOINS_PER_PAGE; n++) {
        const session = await throttledJoin(page, (index + 1) * 7919 + n);
        const result: JoinResult = { page: page.name, join: n, equal: false, ms: null };
        try {
          if (session.error || !session.customer || !session.agent) {
            result.failure = `no whole mirror: ${session.error?.message.split('\n')[0]}`;
            if (session.customerTab) save(`${page.name}-join${n}-customer`, await session.customerTab.screenshot().catch(() => Buffer.alloc(0)));
          } else {
            const { customer, agent } = session;
            result.churnOperations = await customer.page.evaluate(() => (window as unknown as { __churn: { done: Promise<number> } }).__churn.done);
            const match = await mirrorMatches(customer, agent, session.joinClickedAt + MIRROR_DEADLINE_MS);
            result.equal = match.equal;
            result.ms = match.equal ? Date.now() - session.joinClickedAt : null;
            result.customerElements = await customer.page.evaluate(() => document.body.getElementsByTagName('*').length);
            if (!match.equal) {
              result.failure = match.difference;
              save(`${page.name}-join${n}-customer`, await customer.page.screenshot());
              save(`${page.name}-join${n}-agent`, await agent.page.screenshot());
            }
          }
        } finally {
          if (n === JOINS_PER_PAGE && result.equal) kept.set(page.name, session);
          else await closeAll(session.contexts);
        }
        joins.push(result);
        if (!result.equal) failures.push(`join ${n}: ${result.failure}`);
      }
      expect(failures, `${failures.length} of ${JOINS_PER_PAGE} joins never showed the customer's DOM`).toEqual([]);
    });

    it(`agent sees the same pixels as the customer on ${page.name}: as loaded, one screen down, after ${describeInteraction(page)}`, { timeout: 90_000 }, async () => {
      const session = kept.get(page.name) ?? (await throttledJoin(page, (index + 1) * 104_729));
      kept.delete(page.name);
      try {
        if (session.error || !session.customer || !session.agent) {
          for (const state of ['loaded', 'scrolled', 'after interaction'] as const) pixels.push({ page: page.name, state, ratio: null, failure: 'no whole mirror' });
          throw session.error ?? new Error('no session');
        }
        const { customer, agent } = session;
        await customer.page.evaluate(() => (window as unknown as { __churn: { done: Promise<number> } }).__churn.done);

        const shoot = async (state: PixelResult['state']) => {
          // The same DOM first, then a moment for layout, images and fonts on both sides.
          const match = await mirrorMatches(customer, agent, Date.now() + MIRROR_DEADLINE_MS);
          await new Promise((resolve) => setTimeout(resolve, 500));
          const seenByCustomer = await customerShot(customer.page);
          const seenByAgent = await agentMirrorShot(agent.page, CUSTOMER_VIEWPORT);
          const { ratio, diff, width, height } = comparePng(seenByCustomer, seenByAgent);
          const result: PixelResult = { page: page.name, state, ratio };
          if (!match.equal) result.failure = `DOM differs ${match.difference}`;
          if (ratio > MAX_PIXEL_RATIO || !match.equal) {
            const base = `${page.name}-${state.replace(/ /g, '-')}`;
            result.files = [save(`${base}-customer`, seenByCustomer), save(`${base}-agent`, seenByAgent), save(`${base}-diff`, diff)];
          }
          pixels.push(result);
          expect.soft(ratio, `${state}: ${(ratio * 100).toFixed(2)} % of ${width}×${height} pixels differ`).toBeLessThanOrEqual(MAX_PIXEL_RATIO);
        };

        await shoot('loaded');

        const scrollY = await customer.page.evaluate(() => {
          window.scrollBy(0, window.innerHeight);
          return window.scrollY;
        });
        const scrolledBy = Date.now() + 5_000;
        while (Date.now() < scrolledBy && (await agent.inMirror((_doc, win) => win.scrollY)) !== scrollY) await new Promise((resolve) => setTimeout(resolve, 100));
        await shoot('scrolled');

        const { interaction } = page;
        if ('click' in interaction) await customer.page.locator(interaction.click).first().click();
        else await customer.page.keyboard.press(interaction.press);
        // Slide transitions and expanding sections take up to a second to settle.
        await new Promise((resolve) => setTimeout(resolve, 1_500));
        await shoot('after interaction');
      } finally {
        await closeAll(session.contexts);
      }
    });
  }
});

function describeInteraction(page: CorpusPage): string {
  return 'click' in page.interaction ? `a click on ${page.interaction.click}` : `pressing ${page.interaction.press}`;
}

/** The results as one table, for whoever fixes what it shows (also written to OUT/results.json). */
function report(): void {
  if (joins.length === 0 && pixels.length === 0) return;
  const lines = ['corpus results:', 'page | joins equal | slowest equal join (ms) | elements | loaded | scrolled | after interaction | first difference'];
  for (const page of PAGES) {
    const mine = joins.filter((j) => j.page === page.name);
    const equal = mine.filter((j) => j.equal);
    const ratio = (state: PixelResult['state']) => {
      const r = pixels.find((p) => p.page === page.name && p.state === state)?.ratio;
      return r === undefined ? '—' : r === null ? 'no mirror' : `${(r * 100).toFixed(2)} %`;
    };
    const slowest = equal.length ? Math.max(...equal.map((j) => j.ms ?? 0)) : '—';
    const elements = mine.find((j) => j.customerElements)?.customerElements ?? '—';
    const first = mine.find((j) => !j.equal)?.failure?.slice(0, 300) ?? '';
    lines.push(`${page.name} | ${equal.length}/${mine.length} | ${slowest} | ${elements} | ${ratio('loaded')} | ${ratio('scrolled')} | ${ratio('after interaction')} | ${first}`);
  }
  console.log(lines.join('\n'));
  mkdirSync(OUT, { recursive: true });
  writeFileSync(join(OUT, 'results.json'), JSON.stringify({ joins, pixels }, null, 2));
}
