import { describe, expect, it } from 'vitest';
import {
  drawFor,
  FaultPlan,
  FaultSpecError,
  formatFaults,
  hasFaults,
  mulberry32,
  noFaults,
  parseFaults,
  retryHeaders,
} from '../../src/emulator/faults.js';

describe('parseFaults', () => {
  it('reads every kind of the issue', () => {
    const spec = parseFaults(
      '429=0.1, 500=0.05,529=0.1,slow=200ms,notfound-after-create=2s,reset=0.3,truncate=0.2,result-error=0.1,result-expire=0.05,invalid-output=0.2,lost-create=0.5,retry-after=5ms',
    );
    expect(spec).toEqual({
      errors: { 429: 0.1, 500: 0.05, 529: 0.1 },
      retryAfterMs: 5,
      slowMs: 200,
      notFoundAfterCreateMs: 2000,
      lostCreate: 0.5,
      reset: 0.3,
      truncate: 0.2,
      resultError: 0.1,
      resultExpire: 0.05,
      invalidOutput: 0.2,
    });
  });

  it('takes percentages, other 5xx statuses, upper case, and an empty spec', () => {
    expect(parseFaults('503=10%,RESET=1').errors[503]).toBeCloseTo(0.1);
    expect(parseFaults('RESET=1').reset).toBe(1);
    expect(parseFaults('')).toEqual(noFaults());
    expect(parseFaults(' , ')).toEqual(noFaults());
  });

  it.each([
    ['404=0.1', /404: unknown fault \(known: 429, 500/],
    ['nonsense', /nonsense: expected kind=value/],
    ['=0.1', /expected kind=value/],
    ['429=1.5', /429=1.5: a share from 0 to 1/],
    ['429=-0.1', /a share from 0 to 1/],
    ['429=abc', /a share from 0 to 1/],
    ['429=', /a share from 0 to 1/],
    ['slow=fast', /slow=fast: a duration such as 200ms/],
    ['429=0.1,429=0.2', /429: given twice/],
    ['429=0.6,500=0.6', /add up to 1.2, more than 1/],
    ['reset=0.6,truncate=0.6', /reset and truncate/],
    ['result-error=0.6,result-expire=0.6', /result-error and result-expire/],
  ])('refuses %s', (spec, message) => {
    expect(() => parseFaults(spec)).toThrow(FaultSpecError);
    expect(() => parseFaults(spec)).toThrow(message);
  });

  it('formats back to a canonical spec', () => {
    expect(formatFaults(parseFaults('reset=0.3,429=0.1,slow=1s'))).toBe(
      '429=0.1,slow=1000ms,reset=0.3,retry-after=20ms',
    );
    expect(hasFaults(parseFaults('slow=0ms'))).toBe(false);
    expect(hasFaults(parseFaults('truncate=0.1'))).toBe(true);
  });
});

describe('mulberry32 and drawFor', () => {
  it('is deterministic, in [0, 1), and depends on the seed', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(Array.from({ length: 1000 }, () => b())).toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(mulberry32(43)()).not.toBe(xs[0]);
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(mean).toBeGreaterThan(0.45);
    expect(mean).toBeLessThan(0.55);
  });

  it('drawFor depends on every part', () => {
    expect(drawFor(1, 'a', 1)).toBe(drawFor(1, 'a', 1));
    expect(drawFor(1, 'a', 1)).not.toBe(drawFor(1, 'a', 2));
    expect(drawFor(1, 'a', 1)).not.toBe(drawFor(2, 'a', 1));
  });
});

describe('FaultPlan', () => {
  it('injects no fault without a spec', () => {
    const plan = new FaultPlan();
    for (let i = 0; i < 100; i += 1) {
      expect(plan.httpFault()).toBeUndefined();
      expect(plan.loseCreate()).toBe(false);
      expect(plan.downloadCut(10)).toBeUndefined();
      expect(plan.resultFault(`id-${i}`)).toBeUndefined();
    }
    expect(plan.hidden(0, 1)).toBe(false);
    expect(plan.injected).toEqual({});
  });

  it('answers about the asked share of HTTP requests with each status, with retry-after-ms', () => {
    const plan = new FaultPlan(parseFaults('429=0.1,500=0.05,529=0.1,retry-after=7ms'), 3);
    const seen: Record<string, number> = {};
    for (let i = 0; i < 10_000; i += 1) {
      const f = plan.httpFault();
      if (f) {
        seen[f.status] = (seen[f.status] ?? 0) + 1;
        expect(f.headers['retry-after-ms']).toBe('7');
      }
    }
    expect(seen[429]).toBeGreaterThan(900);
    expect(seen[429]).toBeLessThan(1100);
    expect(seen[500]).toBeGreaterThan(400);
    expect(seen[500]).toBeLessThan(600);
    expect(seen[529]).toBeGreaterThan(900);
    expect(plan.injected).toEqual({ 429: seen[429], 500: seen[500], 529: seen[529] });
    const f = new FaultPlan(parseFaults('529=1'), 1).httpFault();
    expect(f).toMatchObject({ status: 529, type: 'overloaded_error' });
  });

  it('is the same for the same seed, and differs for another', () => {
    const run = (seed: number) => {
      const plan = new FaultPlan(parseFaults('429=0.3,lost-create=0.5,reset=0.3,truncate=0.3'), seed);
      return Array.from({ length: 50 }, () => [
        plan.httpFault()?.status,
        plan.loseCreate(),
        plan.downloadCut(100),
      ]);
    };
    expect(run(7)).toEqual(run(7));
    expect(run(7)).not.toEqual(run(8));
  });

  it('keeps each kind of decision on its own stream', () => {
    const a = new FaultPlan(parseFaults('429=0.5,reset=0.5'), 9);
    const b = new FaultPlan(parseFaults('429=0.5,reset=0.5'), 9);
    for (let i = 0; i < 20; i += 1) a.httpFault();
    expect(Array.from({ length: 20 }, () => a.downloadCut(10))).toEqual(
      Array.from({ length: 20 }, () => b.downloadCut(10)),
    );
  });

  it('cuts downloads part-way: a truncate always leaves at least one line out', () => {
    const plan = new FaultPlan(parseFaults('reset=0.5,truncate=0.5'), 5);
    for (let i = 0; i < 500; i += 1) {
      const total = 1 + (i % 40);
      const cut = plan.downloadCut(total);
      expect(cut).toBeDefined();
      if (!cut) continue;
      expect(cut.lines).toBeGreaterThanOrEqual(0);
      expect(cut.lines).toBeLessThan(total);
      if (total >= 10) expect(cut.lines).toBeGreaterThanOrEqual(1);
    }
    expect(plan.injected.reset).toBeGreaterThan(200);
    expect(plan.injected.truncate).toBeGreaterThan(200);
  });

  it('hides a batch for notfound-after-create after its creation', () => {
    const plan = new FaultPlan(parseFaults('notfound-after-create=2s'));
    expect(plan.hidden(1000, 1000)).toBe(true);
    expect(plan.hidden(1000, 2999)).toBe(true);
    expect(plan.hidden(1000, 3000)).toBe(false);
    expect(plan.injected['notfound-after-create']).toBe(2);
  });

  it('draws result faults per custom_id and per attempt, deterministically', () => {
    const spec = parseFaults('result-error=0.3,result-expire=0.1');
    const ids = Array.from({ length: 400 }, (_, i) => `req-${i}`);
    const a = new FaultPlan(spec, 11);
    const first = ids.map((id) => a.resultFault(id));
    const again = new FaultPlan(spec, 11);
    expect(ids.map((id) => again.resultFault(id))).toEqual(first);

    const errored = first.filter((f) => f?.outcome === 'errored');
    const expired = first.filter((f) => f?.outcome === 'expired');
    expect(errored.length).toBeGreaterThan(80);
    expect(errored.length).toBeLessThan(160);
    expect(expired.length).toBeGreaterThan(20);
    expect(expired.length).toBeLessThan(70);
    for (const f of errored) {
      expect(['overloaded_error', 'api_error']).toContain(f?.outcome === 'errored' ? f.errorType : '');
    }
    // A second attempt of the same ids is drawn afresh: some that failed now succeed.
    const failedIds = ids.filter((_, i) => first[i] !== undefined);
    const second = failedIds.map((id) => a.resultFault(id));
    expect(second.filter((f) => f === undefined).length).toBeGreaterThan(failedIds.length / 2);
    expect(errored[0]?.outcome === 'errored' && errored[0].errorMessage).toMatch(/attempt 1/);
  });
});

describe('the wait an injected error asks for', () => {
  const now = Date.parse('2026-12-01T12:00:00.250Z');

  it('is sent as retry-after-ms and as retry-after in whole seconds, rounded up, with x-should-retry', () => {
    expect(retryHeaders(parseFaults('429=1,retry-after=1500ms'), now)).toEqual({
      'retry-after-ms': '1500',
      'retry-after': '2',
      'x-should-retry': 'true',
    });
    expect(new FaultPlan(parseFaults('429=1,retry-after=7ms'), 1).httpFault(now)?.headers).toEqual({
      'retry-after-ms': '7',
      'retry-after': '1',
      'x-should-retry': 'true',
    });
  });

  it('retry-after-only sends one form: ms, seconds, or an HTTP date rounded up to the second', () => {
    const only = (form: string) =>
      retryHeaders(parseFaults(`429=1,retry-after=2s,retry-after-only=${form}`), now);
    expect(only('ms')).toEqual({ 'retry-after-ms': '2000', 'x-should-retry': 'true' });
    expect(only('SECONDS')).toEqual({ 'retry-after': '2', 'x-should-retry': 'true' });
    expect(only('date')).toEqual({
      'retry-after': 'Tue, 01 Dec 2026 12:00:03 GMT',
      'x-should-retry': 'true',
    });
    expect(Date.parse(only('date')['retry-after'] as string) - now).toBeGreaterThanOrEqual(2000);
  });

  it('parses, refuses and formats retry-after-only', () => {
    expect(parseFaults('retry-after-only=date').retryAfterOnly).toBe('date');
    expect(parseFaults('').retryAfterOnly).toBeUndefined();
    expect(() => parseFaults('retry-after-only=hours')).toThrow(
      /retry-after-only=hours: one of ms, seconds, date/,
    );
    expect(formatFaults(parseFaults('429=0.1,retry-after=2s,retry-after-only=seconds'))).toBe(
      '429=0.1,retry-after=2000ms,retry-after-only=seconds',
    );
  });
});
