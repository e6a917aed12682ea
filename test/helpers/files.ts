import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

/** A fresh temporary folder, removed after the test file's tests. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cb-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** One valid request line. */
export function request(id: string, prompt = `Say hello to ${id}`, extra: Record<string, unknown> = {}) {
  return {
    custom_id: id,
    params: {
      model: 'claude-haiku-4-5',
      max_tokens: 64,
      messages: [{ role: 'user', content: prompt }],
      ...extra,
    },
  };
}

/** Writes `count` valid requests (ids `req-0`…) to a JSONL file and returns its path. */
export function writeRequests(
  dir: string,
  name: string,
  count: number,
  prompt?: (i: number) => string,
): string {
  const path = join(dir, name);
  const lines: string[] = [];
  for (let i = 0; i < count; i += 1) lines.push(JSON.stringify(request(`req-${i}`, prompt?.(i))));
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

/** Writes raw text to a file in `dir` and returns its path. */
export function writeText(dir: string, name: string, text: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}
