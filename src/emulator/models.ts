/**
 * The models the emulator serves: the names the API knows (the SDK's `Model` type and the price
 * table, `KNOWN_MODELS`), plus any a test adds (`--models FILE`), described as `GET /v1/models`
 * describes them. A request for any other model comes back `errored` with the API's
 * `not_found_error`.
 */
import { readFileSync } from 'node:fs';
import { KNOWN_MODELS } from '../core/cost/models.js';
import { CONTEXT_WINDOW_TOKENS } from '../core/requests/limits.js';
import { MAX_OUTPUT_TOKENS } from '../core/requests/schema.js';

/** One model as `GET /v1/models` shows it (the SDK's `ModelInfo`). */
export interface ModelInfo {
  id: string;
  type: 'model';
  display_name: string;
  created_at: string;
  capabilities: null;
  deprecated_at: string | null;
  lifecycle: 'active' | 'deprecated' | 'retired';
  line: 'haiku' | 'sonnet' | 'opus' | 'fable' | 'mythos' | null;
  max_input_tokens: number | null;
  max_tokens: number | null;
  retires_at: string | null;
}

const LINES = ['haiku', 'sonnet', 'opus', 'fable', 'mythos'] as const;

/** `claude-haiku-4-5-20251001` → `Claude Haiku 4.5`. */
function displayName(id: string): string {
  const words = id.replace(/-\d{8}$/, '').split('-');
  const out: string[] = [];
  for (const w of words) {
    const last = out.at(-1);
    if (/^\d+$/.test(w) && last !== undefined && /^\d+(\.\d+)*$/.test(last))
      out[out.length - 1] = `${last}.${w}`;
    else out.push(/^\d/.test(w) ? w : w.charAt(0).toUpperCase() + w.slice(1));
  }
  return out.join(' ');
}

/**
 * The models, newest first (as the API lists them). Dates are not known here: a dated snapshot
 * takes its date, the others a fixed date, one day apart in list order.
 */
export function modelInfos(extra: readonly string[] = []): ModelInfo[] {
  const names = [...new Set([...extra, ...KNOWN_MODELS])];
  const base = Date.UTC(2026, 10, 1);
  return names.map((id, i) => {
    const dated = /-(\d{4})(\d{2})(\d{2})$/.exec(id);
    const created = dated
      ? Date.UTC(Number(dated[1]), Number(dated[2]) - 1, Number(dated[3]))
      : base - i * 86_400_000;
    const undated = id.replace(/-\d{8}$/, '');
    return {
      id,
      type: 'model',
      display_name: displayName(id),
      created_at: new Date(created).toISOString().replace('.000Z', 'Z'),
      capabilities: null,
      deprecated_at: null,
      lifecycle: 'active',
      line: LINES.find((line) => id.includes(line)) ?? null,
      max_input_tokens: CONTEXT_WINDOW_TOKENS,
      max_tokens: MAX_OUTPUT_TOKENS[undated] ?? null,
      retires_at: null,
    };
  });
}

/** Reads a models file: one model name a line; blank lines and `#` comments are skipped. */
export function readModelsFile(path: string): string[] {
  return readFileSync(path, 'utf8')
    .split(/\r?\n/)
    .map((line) => line.replace(/#.*/, '').trim())
    .filter(Boolean);
}
