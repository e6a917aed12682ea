/** Number formats shared by the cases and the report. */

export const fmtS = (ms) =>
  Number.isFinite(ms) ? (ms < 1000 ? `${ms.toFixed(0)} ms` : `${(ms / 1000).toFixed(2)} s`) : 'n/a';
export const fmtMB = (bytes) => (Number.isFinite(bytes) ? `${(bytes / 1e6).toFixed(0)} MB` : 'n/a');
export const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? a / b : Number.NaN);
export const fmtX = (x) => (Number.isFinite(x) ? `${x.toFixed(2)}×` : 'n/a');
export const n = (value) => value.toLocaleString('en-US');
