import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const SRC = join(ROOT, 'src');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });
}

function importsOf(path: string): string[] {
  const text = readFileSync(path, 'utf8');
  return [...text.matchAll(/(?:from\s+|import\(\s*)'([^']+)'/g)].map((m) => m[1] as string);
}

const rel = (p: string) => relative(ROOT, p);

describe('the rooms of the house (ARCHITECTURE.md)', () => {
  it('no command imports another command', () => {
    const offenders = files(join(SRC, 'cli', 'commands')).flatMap((f) =>
      importsOf(f)
        .filter((spec) => spec.startsWith('./'))
        .map((spec) => `${rel(f)} imports ${spec}`),
    );
    expect(offenders).toEqual([]);
  });

  it('the core imports neither the CLI nor the emulator, and names no exit code', () => {
    const offenders: string[] = [];
    for (const f of files(join(SRC, 'core'))) {
      for (const spec of importsOf(f)) {
        if (/\/(cli|emulator)\//.test(spec) || spec === 'commander' || spec === 'ora')
          offenders.push(`${rel(f)} imports ${spec}`);
      }
      const code = readFileSync(f, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
      if (/\bExitCode\b|\bexitCode\b/.test(code)) offenders.push(`${rel(f)} names an exit code`);
      if (/process\.(exit|stdout|stderr)\b|console\.(log|error|warn)/.test(code))
        offenders.push(`${rel(f)} prints or exits`);
    }
    expect(offenders).toEqual([]);
  });

  it('the emulator does not import the CLI', () => {
    const offenders = files(join(SRC, 'emulator')).flatMap((f) =>
      importsOf(f)
        .filter((spec) => /\/cli\//.test(spec))
        .map((spec) => `${rel(f)} imports ${spec}`),
    );
    expect(offenders).toEqual([]);
  });

  it('no source folder is named build (people and tools read it as build output)', () => {
    const dirs = (dir: string): string[] =>
      readdirSync(dir).flatMap((name) => {
        const path = join(dir, name);
        return statSync(path).isDirectory() ? [path, ...dirs(path)] : [];
      });
    expect(
      dirs(SRC)
        .filter((d) => /[\\/](build|dist)$/.test(d))
        .map(rel),
    ).toEqual([]);
  });
});
