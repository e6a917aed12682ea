/** Building blocks for defining commands: option parsers, help examples, and actions that delegate. */
import { type Command, InvalidArgumentError } from 'commander';
import { parseDuration } from '../core/duration.js';
import type { Context } from './context.js';

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

/** Parses a positive integer option. */
export function positiveInt(name: string, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1 || n > max) {
      throw new InvalidArgumentError(
        `${name} must be a whole number from 1 to ${max.toLocaleString('en-US')}.`,
      );
    }
    return n;
  };
}

/** Parses a duration option (`500ms`, `2s`, `5m`, `1h`) into milliseconds. */
export function duration(value: string): number {
  const ms = parseDuration(value);
  if (ms === undefined) throw new InvalidArgumentError('use a duration such as 500ms, 30s, 5m or 2h.');
  return ms;
}

/** Parses a duration that must be more than zero (a poll interval: 0 would poll without pause). */
export function positiveDuration(value: string): number {
  const ms = duration(value);
  if (ms <= 0) throw new InvalidArgumentError('must be more than 0, such as 30s.');
  return ms;
}

/** Parses an amount of US dollars (`25`, `7.50`). */
export function money(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) {
    throw new InvalidArgumentError('give an amount in USD, such as 25 or 7.50.');
  }
  return n;
}

/** An `Examples:` block for a command's help. */
export function examples(lines: string[]): string {
  return `\nExamples:\n${lines.map((l) => `  ${l}`).join('\n')}\n`;
}

/** Adds a command whose action hands its arguments (after `prefix`, e.g. a sub-command's verb) to `invoke`. */
export function action(
  cmd: Command,
  name: string,
  load: () => Promise<CommandModule>,
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
