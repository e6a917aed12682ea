/** Building blocks for defining commands: option parsers, help examples, and actions that delegate. */
import { type Command, InvalidArgumentError } from 'commander';
import { BASE_URL_EXAMPLE, checkBaseUrl } from '../core/api/client.js';
import { durationText, parseDuration } from '../core/duration.js';
import { UsageError } from '../core/errors.js';
import type { Context, GlobalOptions } from './context.js';
import type { Typed } from './options.js';

/** A command module: a `run` that takes the context, the positional arguments and the options. */
export interface CommandModule {
  // Method syntax on purpose: each command declares its own options type (checked bivariantly).
  run(ctx: Context, args: string[], options: object): Promise<number | undefined>;
}

/** How an action is carried out: the real CLI loads and runs the module; parse-only tests record it. */
export type Invoke = (
  name: string,
  load: () => Promise<CommandModule>,
  args: string[],
  options: Record<string, unknown>,
  command: Command,
) => Promise<void>;

/**
 * A whole number with thousands separators (`99,000`), for help texts. Like `n()`, without ICU:
 * the first toLocaleString of a process costs tens of milliseconds, and help is built at every start.
 */
export function grouped(value: number): string {
  return String(Math.trunc(value)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** Parses a positive integer option. */
export function positiveInt(name: string, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1 || n > max) {
      throw new InvalidArgumentError(
        max === Number.MAX_SAFE_INTEGER
          ? `${name} must be a whole number of at least 1.`
          : `${name} must be a whole number from 1 to ${grouped(max)}.`,
      );
    }
    return n;
  };
}

/** Parses a duration option (`500ms`, `90s`, `5m`, `1h30m`, `2h`; a bare number is seconds) into milliseconds. */
export function duration(value: string): number {
  const ms = parseDuration(value);
  if (ms === undefined) {
    throw new InvalidArgumentError('use a duration such as 90s, 5m, 1h30m or 2h (a bare number is seconds).');
  }
  return ms;
}

/** Parses a duration that must be more than zero (a poll interval: 0 would poll without pause). */
export function positiveDuration(value: string): number {
  const ms = duration(value);
  if (ms <= 0) throw new InvalidArgumentError('must be more than 0, such as 30s.');
  return ms;
}

/** A duration option: parsed to milliseconds, its default shown in the same grammar (`2s`, not 2000). */
export const DURATION = { parse: duration, show: durationText } as const;

/** A duration option that must be more than zero. */
export const POSITIVE_DURATION = { parse: positiveDuration, show: durationText } as const;

/** Parses a TCP port: a whole number from 0 to 65535 (0 picks a free one). */
export function port(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n > 65_535) {
    throw new InvalidArgumentError('a port is a whole number from 0 to 65535 (0 picks a free one).');
  }
  return n;
}

/** Checks `--base-url`: an http(s) URL (a trailing /v1 is dropped later, with a note). */
export function baseUrl(value: string): string {
  const wrong = checkBaseUrl(value);
  if (wrong?.credentials) {
    // Not commander's message, which repeats the argument: the password would be printed.
    throw new UsageError(`--base-url cannot be used: ${wrong.problem}`, `--base-url ${wrong.suggestion}`);
  }
  if (wrong) {
    throw new InvalidArgumentError(
      `${wrong.problem}: give ${wrong.suggestion ?? `a URL such as ${BASE_URL_EXAMPLE}`}.`,
    );
  }
  return value;
}

/** Parses an amount of US dollars (`25`, `7.50`). */
export function money(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) {
    throw new InvalidArgumentError('give an amount in USD, such as 25 or 7.50.');
  }
  return n;
}

/**
 * Collects `--beta NAME` (repeatable, or a comma list in one): the names in order, once each.
 * Names are not checked here: the API (or the emulator) knows which betas exist.
 */
export function betaList(value: string, previous: string[] = []): string[] {
  const names = value
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  if (names.length === 0) throw new InvalidArgumentError('give a beta name, such as files-api-2025-04-14.');
  return [...new Set([...previous, ...names])];
}

/** The `--beta` option of the commands that create batches. */
export const BETA = {
  flags: '--beta <name>',
  help: 'a beta feature for the whole batch, sent as the anthropic-beta header of the create (repeatable, or a comma list)',
  parse: betaList,
} as const;

/** An `Examples:` block for a command's help. */
export function examples(lines: string[]): string {
  return `\nExamples:\n${lines.map((l) => `  ${l}`).join('\n')}\n`;
}

/**
 * What a command module must accept for a command registered with options `O`: its `run` takes
 * those options (plus the global ones), so a command whose option type drifts from the
 * registration is a type error here.
 */
export interface ModuleFor<O> {
  run: (ctx: Context, args: string[], options: O & GlobalOptions) => Promise<number | undefined>;
}

/** Adds a command whose action hands its arguments (after `prefix`, e.g. a sub-command's verb) to `invoke`. */
export function action<O>(
  cmd: Typed<O>,
  name: string,
  load: () => Promise<ModuleFor<NoInfer<O>>>,
  invoke: Invoke,
  prefix: string[] = [],
): Command {
  return cmd.action(async (...raw: unknown[]) => {
    const command = raw.pop() as Command;
    raw.pop();
    const args = raw.flat().filter((a): a is string => typeof a === 'string');
    await invoke(name, load, [...prefix, ...args], command.optsWithGlobals(), command);
  });
}
