/**
 * Options are data: each option is written once, in a table, and everything else is derived from
 * it: the commander registration ({@link withOptions}), the type a command receives
 * ({@link OptionsOf}), the default shown in help, and which options shape the requests of a job.
 *
 * The table's keys are the option's attribute names (`--max-tokens` is `maxTokens`); a key that
 * does not match its flags is a type error (and an error when the program is built).
 */
import { type Command, Option } from 'commander';

/** One option: everything the CLI needs to know about it. */
export interface OptionDef {
  /** Commander flags: `--dry-run`, `-o, --output <file>`, `--cache-system [ttl]`. */
  readonly flags: string;
  /** What it does, for help (the default is added from the fields below). */
  readonly help: string;
  /** Turns the text given into the value (throwing InvalidArgumentError with the reason: exit 2). */
  readonly parse?: (value: string, previous: never) => unknown;
  /** The only values accepted (instead of `parse`). */
  readonly choices?: readonly string[];
  /** The value when the option is not given. */
  readonly default?: unknown;
  /** How the default is written in help (e.g. a duration as `2s`, not 2000). */
  readonly show?: (value: never) => string;
  /** For a default applied elsewhere (the core, the environment): the words help shows for it. */
  readonly defaultText?: string;
  /** Also register `--no-<name>`, with this help (the value is then `false`). */
  readonly negate?: string;
  /** Whether the option shapes the requests a job sends (part of a `run` job's identity). */
  readonly shapes?: boolean;
}

/** Options keyed by their attribute name. */
export type OptionTable = Readonly<Record<string, OptionDef>>;

/** A table whose every option says whether it shapes requests (the options of `run`). */
export type JobOptionTable = Readonly<Record<string, OptionDef & { readonly shapes: boolean }>>;

type LongFlag<F extends string> = F extends `${string}--${infer L}`
  ? L extends `${infer Name} ${string}`
    ? Name
    : L
  : never;
type Camel<S extends string> = S extends `${infer H}-${infer T}` ? `${H}${Capitalize<Camel<T>>}` : S;

/** The attribute commander stores an option under: `--max-tokens <n>` → `maxTokens`, `--no-map` → `map`. */
export type AttributeOf<F extends string> =
  LongFlag<F> extends `no-${infer Rest}` ? Camel<Rest> : Camel<LongFlag<F>>;

type Arity<F extends string> = F extends `${string}<${string}>`
  ? 'required'
  : F extends `${string}[${string}]`
    ? 'optional'
    : 'none';
type Parsed<D> = D extends { parse: (...args: never[]) => infer V }
  ? V
  : D extends { choices: readonly (infer C)[] }
    ? C
    : string;
type Given<D extends OptionDef> =
  Arity<D['flags']> extends 'none'
    ? boolean
    : Arity<D['flags']> extends 'optional'
      ? Parsed<D> | true
      : Parsed<D>;

/** The value an option has once parsed. */
export type ValueOf<D extends OptionDef> = Given<D> | (D extends { negate: string } ? false : never);

type Defaulted<T> = { [K in keyof T]: T[K] extends { default: unknown } ? K : never }[keyof T];
type Simplify<T> = { [K in keyof T]: T[K] } & {};

/**
 * The options object a command receives for a table: options with a default are always there.
 * For a union of tables (one command per source), the union of their options objects.
 */
export type OptionsOf<T extends OptionTable> = T extends OptionTable
  ? Simplify<
      { -readonly [K in Defaulted<T>]: ValueOf<T[K]> } & {
        -readonly [K in Exclude<keyof T, Defaulted<T>>]?: ValueOf<T[K]>;
      }
    >
  : never;

type Checked<K, D extends OptionDef> =
  AttributeOf<D['flags']> extends K
    ? D extends { default: infer V }
      ? V extends ValueOf<D>
        ? D
        : Omit<D, 'default'> & { default: ValueOf<D> }
      : D
    : Omit<D, 'flags'> & {
        flags: `(${D['flags']} is the option ${AttributeOf<D['flags']>}, not ${K & string})`;
      };

/**
 * Declares a table of options, keeping its literal types. A key that is not the attribute its
 * flags give, or a default that its parser could not produce, is a type error.
 */
export function defineOptions<const T extends OptionTable>(
  table: T & { [K in keyof T]: Checked<K, T[K]> },
): T {
  return table;
}

/** Like {@link defineOptions}, for the options of `run`: each must say whether it shapes the requests. */
export function defineJobOptions<const T extends JobOptionTable>(
  table: T & { [K in keyof T]: Checked<K, T[K]> },
): T {
  return table;
}

/** A command that carries (in its type only) the options it was given by {@link withOptions}. */
export type Typed<O> = Command & { readonly __options?: O };

/** The help line of an option: its words, then a default that commander would not show itself. */
function helpOf(def: OptionDef): string {
  return def.defaultText === undefined ? def.help : `${def.help} (default: ${def.defaultText})`;
}

/** Registers every option of a table on a command, in the table's order. */
export function withOptions<O, const T extends OptionTable>(
  cmd: Typed<O>,
  table: T,
): Typed<O & OptionsOf<T>> {
  for (const [key, def] of Object.entries(table)) {
    const option = new Option(def.flags, helpOf(def));
    if (option.attributeName() !== key) {
      throw new Error(`option table: ${def.flags} is stored as ${option.attributeName()}, not ${key}`);
    }
    if (def.choices) option.choices(def.choices);
    if (def.parse) option.argParser(def.parse as (value: string, previous: unknown) => unknown);
    if ('default' in def) option.default(def.default, def.show?.(def.default as never));
    cmd.addOption(option);
    if (def.negate !== undefined) cmd.addOption(new Option(`--no-${option.name()}`, def.negate));
  }
  return cmd as Typed<O & OptionsOf<T>>;
}

/** The options of a table that shape the requests of a job. */
export function shapingKeys(table: JobOptionTable): string[] {
  return Object.entries(table)
    .filter(([, def]) => def.shapes)
    .map(([key]) => key);
}
