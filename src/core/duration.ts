/**
 * Durations as people type them: `500ms`, `90s`, `5m`, `1.5m`, `2h`, `1h30m`, `1d`, `3m 05s`, or a
 * bare number of seconds. One grammar for every duration flag (and the emulator's fault spec).
 */

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** One `<number><unit>` part of a duration; `ms` is tried before `m`. */
const PART = /\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)/iy;

/**
 * Parses a duration into milliseconds; undefined when the text is not one. Parts go from the
 * largest unit to the smallest, each unit at most once (`1h30m`, `2m30s`; not `30m1h`).
 */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (/^\d+(?:\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  if (trimmed === '') return undefined;
  let total = 0;
  let previous = Number.POSITIVE_INFINITY;
  PART.lastIndex = 0;
  while (PART.lastIndex < trimmed.length) {
    const match = PART.exec(trimmed);
    if (!match?.[1] || !match[2]) return undefined;
    const unit = UNITS[match[2].toLowerCase()] ?? 1000;
    if (unit >= previous) return undefined;
    previous = unit;
    total += Number(match[1]) * unit;
  }
  return Math.round(total);
}

/**
 * Writes milliseconds exactly, in the grammar {@link parseDuration} reads: `2s`, `5m`, `1h30m`,
 * `1s500ms`. For help texts and defaults; {@link formatDuration} is the rounded display form.
 */
export function durationText(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return String(ms);
  if (ms === 0) return '0s';
  let rest = Math.round(ms);
  let out = '';
  for (const [unit, size] of Object.entries(UNITS).sort(([, a], [, b]) => b - a)) {
    const count = Math.floor(rest / size);
    if (count > 0) out += `${count}${unit}`;
    rest -= count * size;
  }
  return out;
}

/** Formats milliseconds compactly: `850ms`, `42s`, `3m 05s`, `2h 10m`, `1d 3h`. */
export function formatDuration(ms: number): string {
  const sign = ms < 0 ? '-' : '';
  const abs = Math.abs(ms);
  if (abs < 1000) return `${sign}${Math.round(abs)}ms`;
  const s = Math.floor(abs / 1000);
  if (s < 60) return `${sign}${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${sign}${m}m ${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${sign}${h}h ${String(m % 60).padStart(2, '0')}m`;
  return `${sign}${Math.floor(h / 24)}d ${h % 24}h`;
}
