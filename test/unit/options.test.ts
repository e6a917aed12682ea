import { PassThrough } from 'node:stream';
import { Command } from 'commander';
import fc from 'fast-check';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { grouped } from '../../src/cli/define.js';
import {
  defineJobOptions,
  defineOptions,
  type OptionsOf,
  shapingKeys,
  withOptions,
} from '../../src/cli/options.js';
import { createProgram } from '../../src/cli/program.js';
import { BUILD_OPTIONS, SOURCE_OPTIONS } from '../../src/cli/register-build.js';
import { RUN_OPTIONS, RUN_SOURCE_OPTIONS, requestShaping } from '../../src/cli/register-jobs.js';

const SOURCES = ['csv', 'json', 'text', 'custom'] as const;

/** The real command tree, parse only. */
function tree(): Command {
  const sink = { stdout: new PassThrough(), stderr: new PassThrough() };
  return createProgram(sink, async () => {}, '0.0.0');
}

function sub(parent: Command, ...names: string[]): Command {
  let cmd = parent;
  for (const name of names) {
    const next = cmd.commands.find((c) => c.name() === name);
    if (!next) throw new Error(`no command ${names.join(' ')}`);
    cmd = next;
  }
  return cmd;
}

/** The attribute names of a command's own options (not help, not the globals). */
function optionNames(cmd: Command): Set<string> {
  return new Set(cmd.options.filter((o) => o.long !== '--help').map((o) => o.attributeName()));
}

/** What makes each request of `run <source>` what it is: the prompt, the ids, the parameters. */
const REQUEST_SHAPING: Record<(typeof SOURCES)[number], string[]> = {
  csv: [
    'promptColumn',
    'template',
    'idColumn',
    'delimiter',
    'skipBadRows',
    'imageColumn',
    'documentColumn',
    'citations',
    'system',
    'cacheSystem',
    'params',
    'param',
    'stop',
    'tools',
    'toolChoice',
    'thinking',
    'effort',
    'schema',
    'idPrefix',
    'hashIds',
    'model',
    'maxTokens',
  ],
  json: [
    'messagesField',
    'promptField',
    'template',
    'idField',
    'jsonl',
    'imageField',
    'documentField',
    'citations',
    'system',
    'cacheSystem',
    'params',
    'param',
    'stop',
    'tools',
    'toolChoice',
    'thinking',
    'effort',
    'schema',
    'idPrefix',
    'hashIds',
    'model',
    'maxTokens',
  ],
  text: [
    'splitBy',
    'template',
    'system',
    'cacheSystem',
    'params',
    'param',
    'stop',
    'tools',
    'toolChoice',
    'thinking',
    'effort',
    'schema',
    'idPrefix',
    'hashIds',
    'model',
    'maxTokens',
  ],
  custom: ['hashIds', 'schema', 'model', 'maxTokens'],
};

describe("run's job identity", () => {
  it.each(SOURCES)('run %s: the identity is exactly the request-shaping options', (source) => {
    expect(new Set(requestShaping(source))).toEqual(new Set(REQUEST_SHAPING[source]));
  });

  it.each(SOURCES)('run %s: every option it registers is classified, none forgotten', (source) => {
    const registered = optionNames(sub(tree(), 'run', source));
    const table = RUN_SOURCE_OPTIONS[source] as Record<string, { shapes?: unknown }>;
    expect(registered).toEqual(new Set(Object.keys(table)));
    for (const name of registered) expect(typeof table[name]?.shapes, name).toBe('boolean');
    // Run's own flags never shape the requests; the global ones are not run's at all.
    for (const name of Object.keys(RUN_OPTIONS)) expect(requestShaping(source)).not.toContain(name);
    for (const name of ['baseUrl', 'workspace', 'verbose'])
      expect(requestShaping(source)).not.toContain(name);
  });

  it.each(SOURCES)('build %s: every option shapes the requests, or says where the file goes', (source) => {
    const registered = optionNames(sub(tree(), 'build', source));
    const shaping = new Set(requestShaping(source));
    const output = new Set(Object.keys(BUILD_OPTIONS));
    expect(registered).toEqual(new Set([...shaping, ...output]));
    for (const name of output) expect(shaping.has(name), name).toBe(false);
  });

  it('run file registers run options only', () => {
    expect(optionNames(sub(tree(), 'run', 'file'))).toEqual(new Set(Object.keys(RUN_OPTIONS)));
  });

  it('shapingKeys keeps the table order', () => {
    expect(
      shapingKeys(
        defineJobOptions({
          b: { flags: '--b', help: 'b', shapes: true },
          a: { flags: '--a', help: 'a', shapes: false },
          c: { flags: '--c', help: 'c', shapes: true },
        }),
      ),
    ).toEqual(['b', 'c']);
    expect(shapingKeys(SOURCE_OPTIONS.custom)).toEqual(['hashIds', 'schema', 'model', 'maxTokens']);
  });
});

describe('grouped', () => {
  it('writes whole numbers as n() does, without ICU', () => {
    expect(grouped(99_000)).toBe('99,000');
    expect(grouped(248_320_000)).toBe('248,320,000');
    expect(grouped(999)).toBe('999');
    expect(grouped(0)).toBe('0');
    fc.assert(
      fc.property(fc.integer({ min: -1e15, max: 1e15 }), (value) => {
        expect(grouped(value)).toBe(value.toLocaleString('en-US'));
      }),
    );
  });
});

describe('option tables', () => {
  const table = defineOptions({
    dryRun: { flags: '--dry-run', help: 'send nothing' },
    output: { flags: '-o, --output <file>', help: 'where', default: 'out.jsonl' },
    limit: { flags: '--limit <n>', help: 'how many', parse: (v: string) => Number(v), default: 20 },
    format: { flags: '--format <f>', help: 'how', choices: ['a', 'b'], default: 'a' },
    cache: { flags: '--cache [ttl]', help: 'cache', choices: ['5m', '1h'] },
    map: { flags: '--map <file>', help: 'sidecar', negate: 'no sidecar', defaultText: 'OUTPUT.map.jsonl' },
    param: {
      flags: '--param <kv>',
      help: 'repeatable',
      parse: (v: string, previous: string[] = []) => [...previous, v],
    },
  });

  it('derive the options type', () => {
    expectTypeOf<OptionsOf<typeof table>>().toEqualTypeOf<{
      output: string;
      limit: number;
      format: 'a' | 'b';
      dryRun?: boolean | undefined;
      cache?: '5m' | '1h' | true | undefined;
      map?: string | false | undefined;
      param?: string[] | undefined;
    }>();
  });

  it('register with commander: parsers, choices, defaults, help', () => {
    const out: string[] = [];
    const cmd = withOptions(new Command('x'), table)
      .exitOverride()
      .configureOutput({ writeOut: (s) => out.push(s), writeErr: (s) => out.push(s) });
    cmd.parse(['--limit', '7', '--param', 'a=1', '--param', 'b=2', '--no-map', '--cache'], { from: 'user' });
    expect(cmd.opts()).toEqual({
      output: 'out.jsonl',
      limit: 7,
      format: 'a',
      param: ['a=1', 'b=2'],
      map: false,
      cache: true,
    });
    expect(cmd.helpInformation()).toContain('sidecar (default: OUTPUT.map.jsonl)');
    expect(cmd.helpInformation()).toContain('--no-map');
    expect(() => cmd.parse(['--format', 'c'], { from: 'user' })).toThrow(/Allowed choices are a, b/);
  });

  it('refuse a key that is not the attribute of its flags', () => {
    // @ts-expect-error: the key must be the attribute commander stores --dry-run under (dryRun).
    const wrong = defineOptions({ dryrun: { flags: '--dry-run', help: 'x' } });
    expect(() => withOptions(new Command('x'), wrong)).toThrow(
      'option table: --dry-run is stored as dryRun, not dryrun',
    );
  });

  it('refuse (as a type error) a default the parser could not produce', () => {
    const bad = defineOptions({
      // @ts-expect-error: a string default for a number option.
      port: { flags: '--port <n>', help: 'p', parse: (v: string) => Number(v), default: '80' },
    });
    expect(bad.port.default).toBe('80');
  });
});
