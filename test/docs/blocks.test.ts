import { spawn } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN } from '../helpers/cli.js';
import { useEmulator } from '../helpers/emulator.js';
import { request, tempDir } from '../helpers/files.js';

const ROOT = join(import.meta.dirname, '..', '..');

/** The ```sh blocks of a Markdown text, in order (optionally only those under one `##` heading). */
function shellBlocks(markdown: string, section?: string): string[] {
  const text = section ? sectionOf(markdown, section) : markdown;
  return [...text.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((m) => m[1] as string);
}

function sectionOf(markdown: string, heading: string): string {
  const start = markdown.indexOf(`\n## ${heading}\n`);
  if (start < 0) throw new Error(`no section ${heading}`);
  const end = markdown.indexOf('\n## ', start + 4);
  return markdown.slice(start, end < 0 ? undefined : end);
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The files a user would have beside the docs' commands. */
function fixtures(dir: string): void {
  // Every input the docs name by itself is in examples/, so an agent can rehearse with a copy of it.
  for (const file of [
    'reviews.csv',
    'builder.py',
    'openai-batch.jsonl',
    'products.csv',
    'conversations.jsonl',
    'tools.json',
    'feedback.csv',
    'feedback-schema.json',
    'items.json',
    'events.jsonl',
    'notes.txt',
  ])
    copyFileSync(join(ROOT, 'examples', file), join(dir, file));
  cpSync(join(ROOT, 'examples', 'images'), join(dir, 'images'), { recursive: true });
  for (const part of [1, 2]) {
    const lines = [0, 1].map((i) => JSON.stringify(request(`p${part}-${i}`, `Part ${part} question ${i}`)));
    writeFileSync(join(dir, `part-${part}.jsonl`), `${lines.join('\n')}\n`);
  }
}

/** Runs a script with bash in `cwd`, `claude-batch` on the PATH, against the emulator. */
function runScript(
  script: string,
  cwd: string,
  env: Record<string, string>,
): Promise<{ code: number | null; output: string }> {
  const bin = join(cwd, '.bin');
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, 'claude-batch'), `#!/bin/sh\nexec node ${JSON.stringify(BIN)} "$@"\n`, {
    mode: 0o755,
  });
  return new Promise((resolve) => {
    const child = spawn('bash', ['-euo', 'pipefail', '-c', script], {
      cwd,
      env: {
        PATH: `${bin}:${process.env.PATH}`,
        HOME: cwd,
        CLAUDE_BATCH_HOME: join(cwd, '.registry'),
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c) => {
      output += c;
    });
    child.stderr.on('data', (c) => {
      output += c;
    });
    child.on('close', (code) => resolve({ code, output }));
  });
}

describe('every shell block an agent would paste runs as written (against the emulator)', () => {
  // Batches end as soon as they exist: the docs use the default polling (every 10 s at first).
  const emu = useEmulator({ processingTimeMs: 0 });

  it('SKILL.md: all its blocks, in order, in one fresh folder', async () => {
    const dir = tempDir();
    fixtures(dir);
    const port = await freePort();
    // Only the base URL is substituted: the emulator the Offline section starts gets a free port.
    const blocks = shellBlocks(readFileSync(join(ROOT, 'SKILL.md'), 'utf8')).map((b) =>
      b.replaceAll('127.0.0.1:8787', `127.0.0.1:${port}`).replaceAll('--port 8787', `--port ${port}`),
    );
    expect(blocks.length).toBeGreaterThan(6);
    const { code, output } = await runScript(blocks.join('\n'), dir, {
      ANTHROPIC_BASE_URL: emu.emulator.url,
      ANTHROPIC_API_KEY: 'emulator',
    });
    expect(output.length).toBeGreaterThan(0);
    expect(code, output).toBe(0);
    expect(readFileSync(join(dir, 'answers.csv'), 'utf8').split('\n')[0]).toMatch(
      /^review_id,product,rating,text,/,
    );
    for (const page of ['report.html', 'batch-report.html', 'joined-report.html'])
      expect(readFileSync(join(dir, page), 'utf8')).toMatch(/^<!doctype html>/);
    expect(readFileSync(join(dir, 'feedback-answers.csv'), 'utf8').split('\n')[0]).toMatch(
      /,result_output_error,out_sentiment,out_rating,out_issues,out_needs_reply,out_summary$/,
    );
  }, 120_000);

  it("README's quick start, in order, in one fresh folder", async () => {
    const dir = tempDir();
    fixtures(dir);
    const blocks = shellBlocks(readFileSync(join(ROOT, 'README.md'), 'utf8'), 'Quick start (real API)');
    expect(blocks).toHaveLength(2);
    const { code, output } = await runScript(blocks.join('\n'), dir, {
      ANTHROPIC_BASE_URL: emu.emulator.url,
      ANTHROPIC_API_KEY: 'emulator',
    });
    expect(code, output).toBe(0);
    const rows = readFileSync(join(dir, 'answers.csv'), 'utf8').split('\n');
    expect(rows[0]).toMatch(/^review_id,product,rating,text,/);
    expect(rows.filter((r) => /^r0\d\d,/.test(r))).toHaveLength(30);
  }, 120_000);
});
