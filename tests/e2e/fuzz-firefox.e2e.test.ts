import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchFirefox } from '../support/browser.js';
import { domSignature } from '../support/dom-signature.js';
import { startFixtureServer } from '../support/fixture-server.js';
import { fuzzInPage, type FuzzResult } from '../support/fuzz-in-page.js';

// The same loopback fuzz as fuzz.e2e.test.ts, in Firefox: the viewer's document handling
// (document.open/write/close for the page's mode, frames, shadow roots) is engine-specific.
let browser: Awaited<ReturnType<typeof launchFirefox>>;
let fixtures: Awaited<ReturnType<typeof startFixtureServer>>;
beforeAll(async () => {
  fixtures = await startFixtureServer('http://127.0.0.1:9');
  browser = await launchFirefox();
}, 90_000);
afterAll(async () => {
  await browser?.close();
  await fixtures?.close();
});

describe('mirror fuzz in Firefox', () => {
  it('after each of 1,000 random change batches (frames, shadow roots, <html>, doctype, resyncs mid-churn) the agent DOM equals the customer DOM in Firefox', { timeout: 120_000 }, async () => {
    const page = await browser.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(String(error)));
    await page.goto(`${fixtures.url}/fuzz.html`);
    expect(await page.evaluate(() => navigator.userAgent)).toContain('Firefox');
    let operations = 0;
    for (let first = 1; first <= 1_000; first += 500) {
      const result = (await page.evaluate(fuzzInPage, [domSignature.toString(), first, 500] as [string, number, number])) as FuzzResult;
      operations += result.operations;
      if (result.failure) {
        const { round, what, expected, seen } = result.failure;
        expect.fail(`round ${round}: the ${what} differs: customer ${expected.slice(0, 300)} … agent ${seen.slice(0, 300)} (errors: ${result.errors.slice(0, 5).join('; ')})`);
      }
      expect(result.errors).toEqual([]);
    }
    expect(operations).toBeGreaterThan(10_000);
    expect(pageErrors).toEqual([]);
  });
});
