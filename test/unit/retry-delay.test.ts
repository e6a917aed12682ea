import { APIConnectionError, APIError, APIUserAbortError } from '@anthropic-ai/sdk/core/error';
import { describe, expect, it } from 'vitest';
import { toCliError } from '../../src/core/api/errors.js';
import {
  askedDelay,
  backoffDelay,
  MAX_TIMER_MS,
  retryDelayFor,
  shouldRetry,
} from '../../src/core/api/retry.js';

/** An error as the SDK makes it from an answer (its own class and factory; nothing is mocked). */
function answered(status: number, headers: Record<string, string> = {}): APIError {
  return APIError.generate(
    status,
    { type: 'error', error: { type: 'api_error', message: 'test' } },
    undefined,
    new Headers(headers),
  );
}

const NOW = Date.parse('2026-12-01T12:00:00Z');
const fixed = { now: () => NOW, random: () => 0 };

describe('retryDelayFor: the wait the API asks for', () => {
  it('reads retry-after-ms, fractional too, without jitter', () => {
    expect(retryDelayFor(answered(429, { 'retry-after-ms': '1500' }), 1, { random: () => 0.99 })).toBe(1500);
    expect(retryDelayFor(answered(529, { 'retry-after-ms': '12.5' }), 3, fixed)).toBe(12.5);
  });

  it('reads retry-after in seconds', () => {
    expect(retryDelayFor(answered(429, { 'retry-after': '3' }), 1, fixed)).toBe(3000);
    expect(retryDelayFor(answered(503, { 'retry-after': '0.25' }), 1, fixed)).toBe(250);
  });

  it('reads retry-after as an HTTP date, against the clock given', () => {
    const date = new Date(NOW + 7000).toUTCString();
    expect(retryDelayFor(answered(429, { 'retry-after': date }), 1, fixed)).toBe(7000);
  });

  it('prefers retry-after-ms to retry-after, as the SDK does', () => {
    expect(retryDelayFor(answered(429, { 'retry-after-ms': '40', 'retry-after': '9' }), 1, fixed)).toBe(40);
    // A zero retry-after-ms is no answer: retry-after is read instead.
    expect(retryDelayFor(answered(429, { 'retry-after-ms': '0', 'retry-after': '2' }), 1, fixed)).toBe(2000);
  });

  it('backs off when the asked wait is unusable: zero, negative, a past date, garbage, beyond a timer', () => {
    const unusable: Array<Record<string, string>> = [
      { 'retry-after': '0' },
      { 'retry-after': '-5' },
      { 'retry-after': new Date(NOW - 5000).toUTCString() },
      { 'retry-after': 'soon' },
      { 'retry-after-ms': String(MAX_TIMER_MS + 1) },
    ];
    for (const headers of unusable) {
      expect(retryDelayFor(answered(429, headers), 2, fixed)).toBe(1000);
    }
    expect(askedDelay(new Headers({ 'retry-after': 'soon' }), NOW)).toBeUndefined();
    expect(askedDelay(undefined, NOW)).toBeUndefined();
  });

  it('caps the asked wait at maxAskedMs', () => {
    const error = answered(429, { 'retry-after': '3600' });
    expect(retryDelayFor(error, 1, { ...fixed, maxAskedMs: 60_000 })).toBe(60_000);
    expect(retryDelayFor(error, 1, fixed)).toBe(3_600_000);
  });

  it('finds the headers through a CliError made from the SDK error', () => {
    const wrapped = toCliError(answered(429, { 'retry-after': '4' }), { baseUrl: 'http://x' });
    expect(retryDelayFor(wrapped, 1, fixed)).toBe(4000);
  });
});

describe('retryDelayFor: whether to retry at all (x-should-retry, status)', () => {
  it('obeys x-should-retry: false even on a 429 or a 5xx', () => {
    expect(
      retryDelayFor(answered(429, { 'x-should-retry': 'false', 'retry-after': '1' }), 1),
    ).toBeUndefined();
    expect(retryDelayFor(answered(503, { 'x-should-retry': 'false' }), 1)).toBeUndefined();
    expect(shouldRetry(answered(500, { 'x-should-retry': 'false' }))).toBe(false);
  });

  it('obeys x-should-retry: true even on a 400', () => {
    expect(retryDelayFor(answered(400, { 'x-should-retry': 'true' }), 1, fixed)).toBe(500);
    expect(shouldRetry(answered(400, { 'x-should-retry': 'true' }))).toBe(true);
  });

  it('without the header: 408, 409, 429, 5xx and no answer are retried; 400, 401, 404 and an abort are not', () => {
    for (const status of [408, 409, 429, 500, 502, 529]) expect(shouldRetry(answered(status))).toBe(true);
    for (const status of [400, 401, 403, 404, 413]) {
      expect(shouldRetry(answered(status))).toBe(false);
      expect(retryDelayFor(answered(status), 1)).toBeUndefined();
    }
    expect(shouldRetry(new APIConnectionError({ message: 'refused' }))).toBe(true);
    expect(shouldRetry(new APIUserAbortError())).toBe(false);
    expect(shouldRetry(new Error('a bug'))).toBe(false);
  });

  it('retryIf takes errors the SDK would not retry', () => {
    const policy = { ...fixed, retryIf: (e: unknown) => e instanceof APIError && e.status === 404 };
    expect(retryDelayFor(answered(404), 1, policy)).toBe(500);
    expect(retryDelayFor(answered(400), 1, policy)).toBeUndefined();
  });
});

describe('backoff: the SDK’s doubling, jitter and cap', () => {
  it('doubles from 500 ms to the 8 s cap with no jitter drawn (random 0)', () => {
    const error = new APIConnectionError({ message: 'reset' });
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => retryDelayFor(error, n, fixed))).toEqual([
      500, 1000, 2000, 4000, 8000, 8000, 8000,
    ]);
  });

  it('takes base and cap from the policy', () => {
    expect([1, 2, 3, 4].map((n) => backoffDelay(n, { baseMs: 100, maxMs: 300, random: () => 0 }))).toEqual([
      100, 200, 300, 300,
    ]);
  });

  it('jitter takes off up to a quarter, never adds, and follows the random source', () => {
    expect(backoffDelay(1, { random: () => 0.5 })).toBe(437.5);
    expect(backoffDelay(5, { random: () => 0.999999 })).toBeCloseTo(6000, 0);
    let seed = 1;
    const random = () => {
      seed = (seed * 16807) % 2147483647;
      return (seed - 1) / 2147483646;
    };
    const waits = Array.from({ length: 2000 }, () => backoffDelay(3, { random }));
    expect(Math.min(...waits)).toBeGreaterThan(1500);
    expect(Math.max(...waits)).toBeLessThanOrEqual(2000);
    // Spread over the whole band, not stuck at one value.
    expect(Math.max(...waits) - Math.min(...waits)).toBeGreaterThan(450);
  });

  it('uses Math.random by default: waits differ and stay in the band', () => {
    const waits = Array.from({ length: 50 }, () => backoffDelay(2));
    expect(new Set(waits).size).toBeGreaterThan(1);
    expect(waits.every((w) => w > 750 && w <= 1000)).toBe(true);
  });
});
