import { describe, expect, it } from 'vitest';
import { fuzzInChunks } from '../support/fuzz-chunks.js';
import { fuzzInPage } from '../support/fuzz-in-page.js';
import { useHarness } from './harness.js';

const h = useHarness();

describe('mirror fuzz', () => {
  it('after each of 3,000 random change batches (frames reloading, shadow roots attached late, <html> and doctype changes, resyncs mid-churn) the agent DOM equals the customer DOM', { timeout: 180_000 }, async () => {
    const page = await (await h.browser.newContext()).newPage();
    page.on('pageerror', (error) => console.error('[fuzz page error]', error));
    await page.goto(`${h.fixtures.url}/fuzz.html`);
    const { operations, resyncs } = await fuzzInChunks((args) => page.evaluate(fuzzInPage, args), 3_000, 500);
    expect(operations).toBeGreaterThan(30_000);
    expect(resyncs).toBeGreaterThanOrEqual(25);
  });
});
