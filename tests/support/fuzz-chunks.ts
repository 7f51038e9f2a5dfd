import { expect } from 'vitest';
import { domSignature } from './dom-signature.js';
import type { FuzzResult } from './fuzz-in-page.js';

/** `fuzzInPage`'s arguments: the DOM signature's source, the first round, how many rounds. */
export type FuzzChunk = [signatureSource: string, firstRound: number, rounds: number];

/**
 * Runs `rounds` rounds of the loopback fuzz in a page, `chunk` at a time (a failure reports early
 * and no single call into the page runs for long), failing at the first difference or error.
 * `runInPage` runs `fuzzInPage` in the engine under test with the arguments given.
 */
export async function fuzzInChunks(runInPage: (args: FuzzChunk) => Promise<FuzzResult>, rounds: number, chunk: number): Promise<{ operations: number; resyncs: number }> {
  let operations = 0;
  let resyncs = 0;
  for (let first = 1; first <= rounds; first += chunk) {
    const result = await runInPage([domSignature.toString(), first, Math.min(chunk, rounds - first + 1)]);
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
  return { operations, resyncs };
}
