import { createHash } from 'node:crypto';
import { UsageError } from '../errors.js';
import { CUSTOM_ID_PATTERN } from '../requests/limits.js';

/** Longest custom_id the API takes. */
const MAX_ID_LENGTH = 64;

/** A short stable hash of a text: `h-` and 16 hex digits of its SHA-256. */
export function shortHash(text: string): string {
  return `h-${createHash('sha256').update(text).digest('hex').slice(0, 16)}`;
}

/** The id a row gets, or why it cannot have one. */
export type IdOutcome = { id: string; hashed: boolean } | { problem: string };

/** How custom_ids are made: an optional prefix, and whether bad or repeated ids are hashed. */
export interface IdPolicy {
  /** Put before every id (generated or from the input). */
  idPrefix?: string | undefined;
  hashIds?: boolean | undefined;
}

/** Checks an --id-prefix: allowed characters only, and room left for the rest of the id. */
export function checkIdPrefix(prefix: string | undefined, longestRest: number): void {
  if (!prefix) return;
  if (!/^[a-zA-Z0-9_-]+$/.test(prefix) || prefix.length + longestRest > MAX_ID_LENGTH) {
    throw new UsageError(
      `--id-prefix ${JSON.stringify(prefix)} cannot start a custom_id`,
      `use letters, digits, "_" or "-", at most ${MAX_ID_LENGTH - longestRest} characters`,
    );
  }
}

/**
 * Hands out custom_ids and keeps them unique. Generated ids (`csv-row-N`…) are unique by
 * construction and not remembered; ids taken from the input are remembered (with their row) to
 * catch repeats. A bad or repeated id is a problem, or, with `hashIds`, replaced by a hash.
 */
export class IdRegistry {
  private readonly seen = new Map<string, number>();
  private readonly prefix: string;
  private readonly hashIds: boolean;

  constructor(policy: IdPolicy = {}) {
    this.prefix = policy.idPrefix ?? '';
    this.hashIds = policy.hashIds === true;
  }

  /** The generated id of the Nth row: `PREFIX` + `csv-row-N`. */
  generated(kind: string, n: number): string {
    return `${this.prefix}${kind}-${n}`;
  }

  /** The id for an input value (an id column or field, or a custom module's custom_id). */
  fromValue(raw: string, row: number, rowName = 'row'): IdOutcome {
    let id = this.prefix + raw;
    let hashed = false;
    if (!CUSTOM_ID_PATTERN.test(id)) {
      if (!this.hashIds) {
        return {
          problem: `${JSON.stringify(id)} is not a valid custom_id: use 1 to 64 letters, digits, "_" or "-" (or pass --hash-ids)`,
        };
      }
      id = this.prefix + shortHash(raw);
      hashed = true;
    }
    const earlier = this.seen.get(id);
    if (earlier !== undefined) {
      if (!this.hashIds) {
        return {
          problem: `${JSON.stringify(id)} repeats the id of ${rowName} ${earlier} (or pass --hash-ids)`,
        };
      }
      id = this.prefix + shortHash(`${raw}\u0000${row}`);
      hashed = true;
      const again = this.seen.get(id);
      if (again !== undefined)
        return { problem: `${JSON.stringify(id)} repeats the id of ${rowName} ${again}` };
    }
    this.seen.set(id, row);
    return { id, hashed };
  }
}
