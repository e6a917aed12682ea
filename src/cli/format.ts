import { formatDuration } from '../core/duration.js';

/** `1,234` */
export function n(value: number): string {
  return value.toLocaleString('en-US');
}

/** `1 request`, `1,000 requests`: a count with its noun, singular or plural. */
export function count(value: number, noun: string, plural = `${noun}s`): string {
  return `${n(value)} ${value === 1 ? noun : plural}`;
}

/** `12.3%` of a ratio 0..1. */
export function pct(ratio: number): string {
  return `${(ratio * 100).toFixed(1)}%`;
}

/** An API timestamp as `2026-11-23 01:53:16 UTC`; `-` for null. */
export function when(iso: string | null | undefined): string {
  if (!iso) return '-';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** Milliseconds between an API timestamp and now (positive when the timestamp is in the past). */
export function since(iso: string, now: number): number {
  return now - new Date(iso).getTime();
}

/** `3m 05s ago` / `in 23h 56m`. */
export function relative(iso: string, now: number): string {
  const ms = since(iso, now);
  return ms >= 0 ? `${formatDuration(ms)} ago` : `in ${formatDuration(-ms)}`;
}

/** Lays out rows as aligned columns; the last column is not padded. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** The width tables and lines are kept within, unless a `--wide` flag asks for more. */
export const SCREEN_WIDTH = 100;

/**
 * A table whose last column is shortened (from the left, with `…`) so that every line fits in
 * `width` characters.
 */
export function fittedTable(header: string[], rows: string[][], width = SCREEN_WIDTH): string {
  const last = header.length - 1;
  const before = header.slice(0, last).reduce((sum, h, i) => {
    const w = Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length));
    return sum + w + 2;
  }, 0);
  const room = Math.max((header[last] ?? '').length, width - before);
  const shorten = (cell: string) => (cell.length <= room ? cell : `…${cell.slice(cell.length - room + 1)}`);
  return table(
    header,
    rows.map((r) => r.map((c, i) => (i === last ? shorten(c) : c))),
  );
}

/** Label/value lines with the values aligned. */
export function fields(pairs: Array<[string, string]>): string {
  const width = Math.max(...pairs.map(([k]) => k.length));
  return pairs.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n');
}
