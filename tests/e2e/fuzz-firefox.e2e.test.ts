import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchFirefox } from '../support/browser.js';
import { startFixtureServer } from '../support/fixture-server.js';
import { fuzzInChunks } from '../support/fuzz-chunks.js';
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
    const { operations } = await fuzzInChunks((args) => page.evaluate(fuzzInPage, args) as Promise<FuzzResult>, 1_000, 500);
    expect(operations).toBeGreaterThan(10_000);
    expect(pageErrors).toEqual([]);
  });
});
