import { spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { registryHome } from '../../src/core/registry/location.js';
import {
  type BatchRecord,
  parseRegistry,
  Registry,
  resultsAtRisk,
  unfinishedBatches,
} from '../../src/core/registry/registry.js';
import { waitFor } from '../helpers/emulator.js';
import { tempDir } from '../helpers/files.js';

function record(id: string, extra: Partial<BatchRecord> = {}): BatchRecord {
  return {
    id,
    base_url: 'http://127.0.0.1:1',
    workspace: null,
    label: null,
    requests_file: '/tmp/requests.jsonl',
    requests_sha256: 'ab',
    requests: 1,
    source: null,
    map: null,
    job: null,
    command: 'submit',
    created_at: new Date().toISOString(),
    ...extra,
  };
}

describe('registry location', () => {
  it('CLAUDE_BATCH_HOME, else XDG_DATA_HOME, else the platform data folder', () => {
    expect(registryHome({ CLAUDE_BATCH_HOME: '/x/home', XDG_DATA_HOME: '/xdg' })).toBe('/x/home');
    expect(registryHome({ XDG_DATA_HOME: '/xdg' }, 'linux', '/h')).toBe('/xdg/claude-batch');
    expect(registryHome({}, 'linux', '/h')).toBe('/h/.local/share/claude-batch');
    expect(registryHome({}, 'darwin', '/h')).toBe('/h/Library/Application Support/claude-batch');
    expect(registryHome({ LOCALAPPDATA: 'C:/Users/u/AppData/Local' }, 'win32', '/h')).toMatch(
      /AppData\/Local\/claude-batch$/,
    );
  });
});

describe('registry storage', () => {
  it('folds later events into the batch: label, downloaded, ended, deleted, forgotten', () => {
    const dir = tempDir();
    const registry = new Registry(join(dir, 'reg'));
    registry.append({ event: 'batch', ...record('msgbatch_a', { label: 'one' }) });
    registry.append(
      { event: 'label', id: 'msgbatch_a', label: 'two' },
      { event: 'downloaded', id: 'msgbatch_a', at: '2026-01-01T00:00:00Z', path: '/tmp/r.jsonl' },
      { event: 'ended', id: 'msgbatch_a', at: '2026-01-01T00:00:00Z' },
      { event: 'deleted', id: 'msgbatch_a', at: '2026-01-02T00:00:00Z' },
      { event: 'forgotten', id: 'msgbatch_a', at: '2026-01-03T00:00:00Z' },
    );
    const a = registry.batch('msgbatch_a');
    expect(a).toMatchObject({
      label: 'two',
      results_files: ['/tmp/r.jsonl'],
      ended_at: '2026-01-01T00:00:00Z',
      deleted_at: '2026-01-02T00:00:00Z',
      forgotten_at: '2026-01-03T00:00:00Z',
    });
  });

  it('a file downloaded to again belongs to the later batch only, with its size and mtime', () => {
    const line = (e: object) => JSON.stringify({ v: 1, ...e });
    const view = parseRegistry(
      [
        line({ event: 'batch', ...record('msgbatch_x') }),
        line({ event: 'batch', ...record('msgbatch_y') }),
        line({
          event: 'downloaded',
          id: 'msgbatch_x',
          at: 't1',
          path: '/tmp/out.jsonl',
          size: 10,
          mtime_ms: 1,
        }),
        line({ event: 'downloaded', id: 'msgbatch_x', at: 't1', path: '/tmp/keep.jsonl' }),
        line({
          event: 'downloaded',
          id: 'msgbatch_y',
          at: 't2',
          path: '/tmp/out.jsonl',
          size: 20,
          mtime_ms: 2,
        }),
      ].join('\n'),
    );
    expect(view.batches.get('msgbatch_x')).toMatchObject({
      results_files: ['/tmp/keep.jsonl'],
      results_stats: {},
    });
    expect(view.batches.get('msgbatch_y')).toMatchObject({
      results_files: ['/tmp/out.jsonl'],
      results_stats: { '/tmp/out.jsonl': { size: 20, mtime_ms: 2 } },
    });
  });

  it('a torn last line is skipped, and the next record starts on a line of its own', () => {
    const dir = tempDir();
    const registry = new Registry(dir);
    registry.append({ event: 'batch', ...record('msgbatch_a') });
    // What a writer killed in the middle of its write would leave: half a line, no newline.
    const half = JSON.stringify({ v: 1, event: 'batch', ...record('msgbatch_b') }).slice(0, 40);
    appendFileSync(registry.file, half);
    expect(new Registry(dir).read()).toMatchObject({ skipped: 1 });
    expect([...new Registry(dir).read().batches.keys()]).toEqual(['msgbatch_a']);
    registry.append({ event: 'batch', ...record('msgbatch_c') });
    const view = new Registry(dir).read();
    expect([...view.batches.keys()]).toEqual(['msgbatch_a', 'msgbatch_c']);
    expect(view.skipped).toBe(1);
  });

  it('an unwritable folder is one warning, never an error', () => {
    const dir = tempDir();
    const blocked = join(dir, 'blocked');
    writeFileSync(blocked, 'a file where the folder should be');
    const warnings: string[] = [];
    const registry = new Registry(join(blocked, 'reg'), (m) => warnings.push(m));
    expect(registry.append({ event: 'batch', ...record('msgbatch_a') })).toBe(false);
    expect(registry.append({ event: 'batch', ...record('msgbatch_b') })).toBe(false);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/cannot be written .*CLAUDE_BATCH_HOME/);
    expect(registry.read().batches.size).toBe(0);
  });

  it('never holds anything but what it is given (no key field exists)', () => {
    const dir = tempDir();
    const registry = new Registry(dir);
    registry.append({ event: 'batch', ...record('msgbatch_a') });
    expect(Object.keys(JSON.parse(readFileSync(registry.file, 'utf8')))).not.toContain('key');
  });

  it('results at risk: ended, not downloaded, expiring within 3 days; unfinished: recent and not ended', () => {
    const now = Date.parse('2026-03-01T00:00:00Z');
    const old = new Date(now - 27 * 24 * 3600_000).toISOString();
    expect(resultsAtRisk(old, undefined, now)).toBe(true);
    expect(resultsAtRisk(old, { downloaded_at: 'x', deleted_at: null }, now)).toBe(false);
    expect(resultsAtRisk(new Date(now - 3600_000).toISOString(), undefined, now)).toBe(false);
    expect(resultsAtRisk(new Date(now - 30 * 24 * 3600_000).toISOString(), undefined, now)).toBe(false);
    const view = parseRegistry(
      [
        { event: 'batch', ...record('msgbatch_new', { created_at: new Date(now - 60_000).toISOString() }) },
        { event: 'batch', ...record('msgbatch_old', { created_at: old }) },
        { event: 'batch', ...record('msgbatch_ended', { created_at: new Date(now).toISOString() }) },
        { event: 'ended', id: 'msgbatch_ended', at: new Date(now).toISOString() },
        { event: 'batch', ...record('msgbatch_other', { base_url: 'http://elsewhere' }) },
      ]
        .map((e) => JSON.stringify(e))
        .join('\n'),
    );
    expect(unfinishedBatches(view, 'http://127.0.0.1:1', now).map((b) => b.id)).toEqual(['msgbatch_new']);
  });

  it('many processes appending at once: every record lands whole', async () => {
    const dir = tempDir();
    const registryModule = join(import.meta.dirname, '..', '..', 'dist', 'core', 'registry', 'registry.js');
    const writers = 4;
    const each = 200;
    const script = `
      import { Registry } from ${JSON.stringify(registryModule)};
      const r = new Registry(process.argv[1]);
      const pad = 'x'.repeat(3000);
      for (let i = 0; i < ${each}; i++) r.append({ event: 'batch', id: 'msgbatch_' + process.argv[2] + '_' + i, pad, base_url: 'u', created_at: new Date().toISOString() });
    `;
    await Promise.all(
      Array.from({ length: writers }, (_, w) => {
        const child = spawn(process.execPath, ['--input-type=module', '-e', script, dir, String(w)]);
        return new Promise((resolve) => child.on('close', resolve));
      }),
    );
    const view = new Registry(dir).read();
    expect(view.skipped).toBe(0);
    expect(view.batches.size).toBe(writers * each);
  }, 30_000);

  it('a writer killed with SIGKILL while writing leaves a registry that reads', async () => {
    const dir = tempDir();
    mkdirSync(dir, { recursive: true });
    const registryModule = join(import.meta.dirname, '..', '..', 'dist', 'core', 'registry', 'registry.js');
    const script = `
      import { Registry } from ${JSON.stringify(registryModule)};
      const r = new Registry(process.argv[1]);
      const pad = 'x'.repeat(200000);
      for (let i = 0; ; i++) r.append({ event: 'batch', id: 'msgbatch_k' + i, pad, base_url: 'u', created_at: new Date().toISOString() });
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script, dir]);
    const file = join(dir, 'batches.jsonl');
    await waitFor(() => {
      try {
        return readFileSync(file).length > 2_000_000;
      } catch {
        return false;
      }
    }, 'the writer to write');
    child.kill('SIGKILL');
    await new Promise((resolve) => child.on('close', resolve));
    const view = new Registry(dir).read();
    expect(view.batches.size).toBeGreaterThan(5);
    expect(view.skipped).toBeLessThanOrEqual(1);
    // And it still takes new records after the kill.
    new Registry(dir).append({ event: 'batch', ...record('msgbatch_after') });
    expect(new Registry(dir).read().batches.has('msgbatch_after')).toBe(true);
  }, 30_000);
});

describe('registry permissions', () => {
  it('the registry file is private to its user (0600)', () => {
    const dir = tempDir();
    const registry = new Registry(join(dir, 'reg'));
    registry.append({ event: 'batch', ...record('msgbatch_a') });
    expect(statSync(registry.file).mode & 0o777).toBe(0o600);
  });
});
