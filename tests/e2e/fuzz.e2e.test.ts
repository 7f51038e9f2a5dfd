import { describe, expect, it } from 'vitest';
import { domSignature } from '../support/dom-signature.js';
import { fuzzInPage } from '../support/fuzz-in-page.js';
import { useHarness } from './harness.js';

const h = useHarness();

describe('mirror fuzz', () => {
  it('after each of 3,000 random change batches (frames reloading, shadow roots attached late, <html> and doctype changes, resyncs mid-churn) the agent DOM equals the customer DOM', { timeout: 180_000 }, async () => {
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
