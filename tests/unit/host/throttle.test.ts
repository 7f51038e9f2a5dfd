import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { throttle } from '../../../widget/host/throttle.js';

describe('throttle', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('sends the first call at once and the last call of a burst after the interval', () => {
    const calls: number[] = [];
    const send = throttle((y: number) => calls.push(y), 50);
    for (let y = 0; y <= 100; y += 10) send(y);
    expect(calls).toEqual([0]);
    vi.advanceTimersByTime(50);
    expect(calls).toEqual([0, 100]);
  });

  it('cancel() drops a pending call', () => {
    const calls: number[] = [];
    const send = throttle((y: number) => calls.push(y), 50);
    send(1);
    send(2);
    send.cancel();
    vi.advanceTimersByTime(100);
    expect(calls).toEqual([1]);
  });
});
