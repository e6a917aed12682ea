import { describe, expect, it } from 'vitest';
import { nextPollDelay, pollInterval, retryDelay } from '../../src/core/monitor/schedule.js';

const min = 60_000;

describe('pollInterval (adaptive, from the batch age)', () => {
  it.each([
    [0, 10_000],
    [4 * min + 59_999, 10_000],
    [5 * min, 60_000],
    [59 * min, 60_000],
    [60 * min, 300_000],
    [23 * 60 * min, 300_000],
  ])('a batch %i ms old is polled every %i ms', (age, interval) => {
    expect(pollInterval(age)).toBe(interval);
  });
});

describe('nextPollDelay', () => {
  it('takes the youngest batch’s interval', () => {
    expect(nextPollDelay([2 * 60 * min, 10 * min])).toBe(60_000);
    expect(nextPollDelay([2 * 60 * min, 1000])).toBe(10_000);
  });

  it('treats a batch not yet seen as new, and a fixed interval wins', () => {
    expect(nextPollDelay([undefined, 2 * 60 * min])).toBe(10_000);
    expect(nextPollDelay([2 * 60 * min], 2500)).toBe(2500);
  });
});

describe('retryDelay', () => {
  it('doubles from 2 s and stops at the cap', () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => retryDelay(n, 30_000))).toEqual([
      2000, 4000, 8000, 16_000, 30_000, 30_000,
    ]);
    expect(retryDelay(3, 1000)).toBe(1000);
  });
});
