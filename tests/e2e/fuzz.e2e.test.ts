import { describe, expect, it } from 'vitest';
import { domSignature } from '../support/dom-signature.js';
import { useHarness } from './harness.js';

const h = useHarness();

interface FuzzResult {
  rounds: number;
  operations: number;
  failure: { round: number; expected: string; seen: string } | null;
  errors: string[];
}

/**
 * Runs in the page: capture and viewer joined by the real channel code, random churn, and after
 * every batch the agent's DOM compared with the customer's.
 */
async function fuzzInPage([signatureSource, firstRound, rounds]: [string, number, number]): Promise<FuzzResult> {
  const signature = new Function('doc', `return (${signatureSource})(doc)`) as (doc: Document) => string;
  const w = window as unknown as { CoviewLoopback: { start(stage: HTMLElement): Loopback }; mutate(seed: number, count: number): void; __loop?: Loopback };
  w.__loop ??= w.CoviewLoopback.start(document.getElementById('stage')!);
  const loop = w.__loop;
  // The view shows parts as they come: compare once the whole page is in.
  await loop.complete;
  let operations = 0;
  for (let round = firstRound; round < firstRound + rounds; round++) {
    const count = 1 + (round % 25);
    w.mutate(round * 7919, count);
    operations += count;
    loop.flush();
    const expected = signature(document);
    const seen = signature(loop.mirror());
    if (expected !== seen) return { rounds: round - firstRound + 1, operations, failure: { round, expected, seen }, errors: loop.errors };
  }
  return { rounds, operations, failure: null, errors: loop.errors };
}

/** What tests/support/loopback-entry.ts puts on window. */
interface Loopback {
  flush(): void;
  rendered: Promise<void>;
  complete: Promise<void>;
  errors: string[];
  mirror(): Document;
}

describe('mirror fuzz', () => {
  it('after each of 3,000 random change batches the agent DOM equals the customer DOM', async () => {
    const page = await (await h.browser.newContext()).newPage();
    page.on('pageerror', (error) => console.error('[fuzz page error]', error));
    await page.goto(`${h.fixtures.url}/fuzz.html`);
    let operations = 0;
    // In chunks, so a failure reports early and no single evaluate runs for long.
    for (let first = 1; first <= 3_000; first += 500) {
      const result = await page.evaluate(fuzzInPage, [domSignature.toString(), first, 500] as [string, number, number]);
      operations += result.operations;
      if (result.failure) {
        const { round, expected, seen } = result.failure;
        let i = 0;
        while (i < expected.length && expected[i] === seen[i]) i++;
        expect.fail(`round ${round}: differs at ${i}: customer …${expected.slice(Math.max(0, i - 100), i + 100)}… agent …${seen.slice(Math.max(0, i - 100), i + 100)}…`);
      }
      expect(result.errors).toEqual([]);
    }
    expect(operations).toBeGreaterThan(30_000);
  });
});
