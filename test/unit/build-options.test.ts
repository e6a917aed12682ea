import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkIdPrefix, IdRegistry, shortHash } from '../../src/core/builder/ids.js';
import { parseExtraParams } from '../../src/core/builder/params.js';
import { DEFAULT_MODEL, requestShape } from '../../src/core/builder/request-shape.js';
import { legacyMapPathFor, mapLine, mapPathFor } from '../../src/core/builder/sidecar.js';
import { checkTemplateNames, compileTemplate } from '../../src/core/builder/template.js';
import { UsageError } from '../../src/core/errors.js';
import { checkRequest } from '../../src/core/requests/schema.js';

const here = { env: {}, cwd: process.cwd() };

describe('requestShape', () => {
  it('defaults to a cheap model and 1024 tokens, and adds no sampling parameters', async () => {
    const shape = await requestShape({}, here);
    const request = JSON.parse(shape.line('a-1', 'Hello "you"\n'));
    expect(request).toEqual({
      custom_id: 'a-1',
      params: {
        model: DEFAULT_MODEL,
        max_tokens: 1024,
        messages: [{ role: 'user', content: 'Hello "you"\n' }],
      },
    });
    expect(DEFAULT_MODEL).toBe('claude-haiku-4-5');
    expect(checkRequest(request)).toEqual([]);
    for (const key of ['temperature', 'top_p', 'top_k']) expect(request.params).not.toHaveProperty(key);
  });

  it('takes the model from CLAUDE_BATCH_MODEL, and --model over it', async () => {
    expect(
      (await requestShape({}, { ...here, env: { CLAUDE_BATCH_MODEL: 'claude-sonnet-4-5' } })).model,
    ).toBe('claude-sonnet-4-5');
    expect(
      (await requestShape({ model: 'claude-opus-4-1' }, { ...here, env: { CLAUDE_BATCH_MODEL: 'x' } })).model,
    ).toBe('claude-opus-4-1');
  });

  it('marks the system prompt for caching: ephemeral, with ttl only for 1h', async () => {
    const plain = await requestShape({ system: 'Be brief' }, here);
    expect(plain.params.system).toBe('Be brief');
    const fiveMinutes = await requestShape({ system: 'Be brief', cacheSystem: true }, here);
    expect(fiveMinutes.params.system).toEqual([
      { type: 'text', text: 'Be brief', cache_control: { type: 'ephemeral' } },
    ]);
    const hour = await requestShape({ system: 'Be brief', cacheSystem: '1h' }, here);
    expect(hour.params.system).toEqual([
      { type: 'text', text: 'Be brief', cache_control: { type: 'ephemeral', ttl: '1h' } },
    ]);
    expect(JSON.parse(hour.line('x', 'y')).params.system).toEqual(hour.params.system);
    await expect(requestShape({ cacheSystem: '1h' }, here)).rejects.toThrow(
      '--cache-system needs a system prompt',
    );
  });

  it('reads --system @FILE without its final line break, and says so when the file is missing', async () => {
    const shape = await requestShape({ system: '@test/fixtures/build/system.txt' }, here);
    expect(shape.params.system).toBe('You are a terse product analyst.');
    const dir = mkdtempSync(join(tmpdir(), 'system-'));
    writeFileSync(join(dir, 'crlf.txt'), 'Line one\r\nLine two\r\n\r\n');
    writeFileSync(join(dir, 'bare.txt'), 'No newline');
    const crlf = await requestShape({ system: '@crlf.txt' }, { ...here, cwd: dir });
    expect(crlf.params.system).toBe('Line one\r\nLine two\r\n');
    expect((await requestShape({ system: '@bare.txt' }, { ...here, cwd: dir })).params.system).toBe(
      'No newline',
    );
    await expect(requestShape({ system: '@nope.txt' }, here)).rejects.toThrow(
      /cannot read nope\.txt \(ENOENT\)/,
    );
  });

  it('adds --params and --param, checked', async () => {
    const shape = await requestShape(
      { params: '{"stop_sequences":["END"],"metadata":{"user_id":"u1"}}', param: ['service_tier="auto"'] },
      here,
    );
    expect(JSON.parse(shape.line('x', 'y')).params).toMatchObject({
      stop_sequences: ['END'],
      metadata: { user_id: 'u1' },
      service_tier: 'auto',
    });
  });

  it('refuses temperature, top_p and top_k: API version 2026-10-21 has none of them', async () => {
    for (const [params, param] of [
      [undefined, ['temperature=0.2']],
      ['{"top_p":0.9}', []],
      [undefined, ['top_k=5']],
    ] as const) {
      const error = await requestShape({ params, param: [...param] }, here).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UsageError);
      expect((error as UsageError).message).toMatch(
        /^params\.(temperature|top_p|top_k): not a parameter under API version 2026-10-21 /,
      );
      expect((error as UsageError).hint).toMatch(/^leave (temperature|top_p|top_k) out of --params/);
    }
  });
});

describe('parseExtraParams', () => {
  it('refuses bad JSON, non-objects, keys the builder owns and ill-typed known keys', () => {
    expect(() => parseExtraParams('{oops')).toThrow(/--params is not valid JSON/);
    expect(() => parseExtraParams('[1]')).toThrow('--params must be a JSON object');
    expect(() => parseExtraParams(undefined, ['novalue'])).toThrow('--param novalue: expected key=json');
    expect(() => parseExtraParams(undefined, ['service_tier=auto'])).toThrow(
      /--param service_tier is not valid JSON/,
    );
    expect(() => parseExtraParams('{"model":"x"}')).toThrow(
      'params.model cannot be set with --params or --param',
    );
    expect(() => parseExtraParams(undefined, ['stream=true'])).toThrow(UsageError);
    expect(() => parseExtraParams(undefined, ['temperature=3'])).toThrow(/^params\.temperature: /);
    expect(() => parseExtraParams('{"stop_sequences":"END"}')).toThrow(/^params\.stop_sequences: /);
  });

  it('passes other parameters through', () => {
    expect(
      parseExtraParams('{"thinking":{"type":"enabled","budget_tokens":2048}}', ['x_new={"a":1}']),
    ).toEqual({
      thinking: { type: 'enabled', budget_tokens: 2048 },
      x_new: { a: 1 },
    });
  });
});

describe('templates', () => {
  it('fills {{name}} placeholders (spaces allowed) and lists the names', () => {
    const t = compileTemplate('Rate {{ stars }}/5: {{text}} ({{stars}})');
    expect(t.names).toEqual(['stars', 'text']);
    expect(t.render((name) => (name === 'stars' ? '4' : 'ok {{not a placeholder}}'))).toBe(
      'Rate 4/5: ok {{not a placeholder}} (4)',
    );
  });

  it('refuses a template without placeholders, and names what is available when a name is missing', () => {
    expect(() => compileTemplate('no placeholders')).toThrow(/has no \{\{name\}\} placeholder/);
    const error = (() => {
      try {
        checkTemplateNames(compileTemplate('{{txt}} {{id}}'), ['id', 'text'], 'f.csv has no such column');
      } catch (e) {
        return e as UsageError;
      }
    })();
    expect(error?.message).toBe('--template uses {{txt}}: f.csv has no such column');
    expect(error?.hint).toBe('available names: "id", "text"');
  });
});

describe('ids', () => {
  it('generates ids with the prefix', () => {
    expect(new IdRegistry({ idPrefix: 'run7-' }).generated('csv-row', 12)).toBe('run7-csv-row-12');
  });

  it('takes valid ids from the input and refuses bad or repeated ones', () => {
    const ids = new IdRegistry();
    expect(ids.fromValue('a-1', 1)).toEqual({ id: 'a-1', hashed: false });
    expect(ids.fromValue('a.2', 2)).toEqual({
      problem: expect.stringContaining('"a.2" is not a valid custom_id'),
    });
    expect(ids.fromValue('a-1', 3)).toEqual({
      problem: expect.stringContaining('"a-1" repeats the id of row 1'),
    });
    expect(ids.fromValue('x'.repeat(65), 4)).toHaveProperty('problem');
  });

  it('with hashIds, replaces bad and repeated ids by short stable hashes', () => {
    const a = new IdRegistry({ hashIds: true });
    const b = new IdRegistry({ hashIds: true });
    const first = a.fromValue('order 17', 1);
    expect(first).toEqual({ id: shortHash('order 17'), hashed: true });
    expect(b.fromValue('order 17', 1)).toEqual(first);
    expect(shortHash('order 17')).toMatch(/^h-[0-9a-f]{16}$/);
    const repeat = a.fromValue('order 17', 2);
    expect(repeat).toEqual({ id: shortHash('order 17\u00002'), hashed: true });
    expect(a.fromValue('ok', 3)).toEqual({ id: 'ok', hashed: false });
    expect(a.fromValue('ok', 4)).toMatchObject({ hashed: true });
  });

  it('checks --id-prefix', () => {
    expect(() => checkIdPrefix('ok_prefix-', 20)).not.toThrow();
    expect(() => checkIdPrefix('bad.prefix', 20)).toThrow(
      /--id-prefix "bad.prefix" cannot start a custom_id/,
    );
    expect(() => checkIdPrefix('x'.repeat(50), 20)).toThrow(UsageError);
  });
});

describe('sidecar', () => {
  it('sits beside the output, named so that request-file globs miss it, and has one JSON object a line', () => {
    expect(mapPathFor('out/requests.jsonl')).toBe('out/requests.jsonl.map');
    expect(mapPathFor('requests.txt')).toBe('requests.txt.map');
    expect(legacyMapPathFor('out/requests.jsonl')).toBe('out/requests.map.jsonl');
    expect(legacyMapPathFor('requests.txt')).toBe('requests.txt.map.jsonl');
    // The globs people write for request files do not match the sidecars.
    for (const glob of [/^.*\.jsonl$/, /^part-.*\.jsonl$/, /^.*\.json$/, /^.*\.ndjson$/]) {
      expect(glob.test(mapPathFor('part-1.jsonl'))).toBe(false);
    }
    expect(JSON.parse(mapLine('h-00', 3, 7, 'order "17"'))).toEqual({
      custom_id: 'h-00',
      row: 3,
      line: 7,
      id: 'order "17"',
    });
    expect(mapLine('c', 1, undefined)).toBe(JSON.stringify({ custom_id: 'c', row: 1 }));
  });
});
