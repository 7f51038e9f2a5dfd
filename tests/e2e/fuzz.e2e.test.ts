import { describe, expect, it } from 'vitest';
import { domSignature } from '../support/dom-signature.js';
import { useHarness } from './harness.js';

const h = useHarness();

interface FuzzResult {
  rounds: number;
  operations: number;
  resyncs: number;
  failure: { round: number; what: string; expected: string; seen: string } | null;
  errors: string[];
}

/**
 * Runs in the page: capture and viewer joined by the real channel code (the viewer shows
 * snapshot parts as they come, as on the join page), random churn, and after every batch the
 * agent's DOM compared with the customer's: the body's signature, the frame's, the document mode,
 * and the structure digest (which also covers shadow roots). Now and then capture restarts (a
 * resync) with a snapshot in parts of 3 nodes while the page keeps changing under it.
 */
async function fuzzInPage([signatureSource, firstRound, rounds]: [string, number, number]): Promise<FuzzResult> {
  const signature = new Function('doc', `return (${signatureSource})(doc)`) as (doc: Document) => string;
  const w = window as unknown as {
    CoviewLoopback: { start(stage: HTMLElement): Loopback };
    mutate(seed: number, count: number): void;
    mutateDeep(seed: number): Promise<void> | undefined;
    __loop?: Loopback;
  };
  w.__loop ??= w.CoviewLoopback.start(document.getElementById('stage')!);
  const loop = w.__loop;
  // The view shows parts as they come: compare once the whole page is in.
  await loop.complete;
  let operations = 0;
  let resyncs = 0;
  const frameDoc = (doc: Document) => (doc.getElementById('fuzz-frame') as HTMLIFrameElement | null)?.contentDocument ?? null;
  for (let round = firstRound; round < firstRound + rounds; round++) {
    const count = 1 + (round % 25);
    w.mutate(round * 7919, count);
    operations += count;
    const reloads: Promise<void>[] = [];
    if (round % 5 === 0) {
      const reload = w.mutateDeep(round * 104729);
      if (reload) reloads.push(reload);
      operations++;
    }
    if (round % 120 === 60) {
      let seed = round * 31;
      await loop.resync(() => {
        w.mutate(seed++, 3);
        const reload = w.mutateDeep(seed++);
        if (reload) reloads.push(reload);
        operations += 4;
      });
      resyncs++;
    }
    await Promise.all(reloads);
    loop.flush();
    const mirror = loop.mirror();
    const checks: [string, string, string][] = [
      ['body', signature(document), signature(mirror)],
      ['frame', signature(frameDoc(document)!), frameDoc(mirror)?.body ? signature(frameDoc(mirror)!) : '(no frame document)'],
      ['document mode', document.compatMode, mirror.compatMode],
      ['<html> attributes', htmlAttributes(document), htmlAttributes(mirror)],
      ['structure digest', JSON.stringify(loop.digests().host), JSON.stringify(loop.digests().view)],
    ];
    for (const [what, expected, seen] of checks) {
      if (expected !== seen) return { rounds: round - firstRound + 1, operations, resyncs, failure: { round, what, expected, seen }, errors: loop.errors };
    }
  }
  return { rounds, operations, resyncs, failure: null, errors: loop.errors };

  function htmlAttributes(doc: Document): string {
    return [...doc.documentElement.attributes].map((a) => `${a.name}=${a.value}`).sort().join(' ');
  }
}

/** What tests/support/loopback-entry.ts puts on window. */
interface Loopback {
  flush(): void;
  rendered: Promise<void>;
  complete: Promise<void>;
  resync(during?: () => void): Promise<void>;
  digests(): { host: { count: number; hash: number }; view: { count: number; hash: number } | null };
  errors: string[];
  mirror(): Document;
}

describe('mirror fuzz', () => {
  it('after each of 3,000 random change batches (frames reloading, shadow roots attached late, <html> and doctype changes, resyncs mid-churn) the agent DOM equals the customer DOM', async () => {
    const page = await (await h.browser.newContext()).newPage();
    page.on('pageerror', (error) => console.error('[fuzz page error]', error));
    await page.goto(`${h.fixtures.url}/fuzz.html`);
    let operations = 0;
    let resyncs = 0;
    // In chunks, so a failure reports early and no single evaluate runs for long.
    for (let first = 1; first <= 3_000; first += 500) {
      const result = await page.evaluate(fuzzInPage, [domSignature.toString(), first, 500] as [string, number, number]);
      operations += result.operations;
      resyncs += result.resyncs;
      if (result.failure) {
        const { round, what, expected, seen } = result.failure;
        let i = 0;
        while (i < expected.length && expected[i] === seen[i]) i++;
        expect.fail(`round ${round}: the ${what} differs at ${i}: customer …${expected.slice(Math.max(0, i - 100), i + 100)}… agent …${seen.slice(Math.max(0, i - 100), i + 100)}… (errors: ${result.errors.slice(0, 5).join('; ')})`);
      }
      expect(result.errors).toEqual([]);
    }
    expect(operations).toBeGreaterThan(30_000);
    expect(resyncs).toBeGreaterThanOrEqual(25);
  });
});
