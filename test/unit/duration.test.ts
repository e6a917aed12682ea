import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { durationText, formatDuration, parseDuration } from '../../src/core/duration.js';

describe('durations', () => {
  it('parses what people type', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('2s')).toBe(2000);
    expect(parseDuration('1.5m')).toBe(90_000);
    expect(parseDuration('2h')).toBe(7_200_000);
    expect(parseDuration('1d')).toBe(86_400_000);
    expect(parseDuration('30')).toBe(30_000);
    expect(parseDuration('soon')).toBeUndefined();
    expect(parseDuration('-1s')).toBeUndefined();
  });

  it('parses compound forms, largest unit first, each unit once', () => {
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('2m30s')).toBe(150_000);
    expect(parseDuration('1d2h3m4s5ms')).toBe(86_400_000 + 7_200_000 + 180_000 + 4000 + 5);
    expect(parseDuration('1m500ms')).toBe(60_500);
    expect(parseDuration('3m 05s')).toBe(185_000);
    expect(parseDuration(' 1H30M ')).toBe(5_400_000);
    for (const bad of ['30m1h', '1h1h', '1h30', '1h 30', 'h', '', '1x', '1h-30m', '1.5']) {
      expect(parseDuration(bad), bad).toBe(bad === '1.5' ? 1500 : undefined);
    }
  });

  it('writes durations exactly in the grammar it reads', () => {
    expect(durationText(2000)).toBe('2s');
    expect(durationText(5_400_000)).toBe('1h30m');
    expect(durationText(1500)).toBe('1s500ms');
    expect(durationText(0)).toBe('0s');
    expect(durationText(300_000)).toBe('5m');
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 * 86_400_000 }), (ms) => {
        expect(parseDuration(durationText(ms))).toBe(ms);
      }),
    );
  });

  it('reads back what formatDuration shows (to its precision)', () => {
    for (const ms of [850, 42_000, 185_000, 7_800_000, 97_200_000]) {
      expect(parseDuration(formatDuration(ms))).toBe(ms);
    }
  });

  it('formats compactly', () => {
    expect(formatDuration(850)).toBe('850ms');
    expect(formatDuration(42_000)).toBe('42s');
    expect(formatDuration(185_000)).toBe('3m 05s');
    expect(formatDuration(7_800_000)).toBe('2h 10m');
    expect(formatDuration(97_200_000)).toBe('1d 3h');
    expect(formatDuration(-42_000)).toBe('-42s');
  });
});
