import { PassThrough } from 'node:stream';
import { CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { ExitCode } from '../../src/cli/exit-codes.js';
import { createProgram } from '../../src/cli/program.js';
import { documentedCommands, documents, shellWords } from './commands.js';

/** Parses argv with the real command tree without running anything; returns the error text, or ''. */
async function parseOnly(argv: string[]): Promise<string> {
  const stderr = new PassThrough();
  let err = '';
  stderr.on('data', (c: Buffer) => {
    err += c.toString();
  });
  const program = createProgram({ stdout: new PassThrough(), stderr }, async () => {}, '0.0.0');
  try {
    await program.parseAsync(argv, { from: 'user' });
    return '';
  } catch (error) {
    if (error instanceof CommanderError && error.exitCode === 0) return '';
    return err.trim() || String(error);
  }
}

describe('shellWords', () => {
  it('splits like a shell, with placeholders for variables, and stops at pipes and comments', () => {
    expect(shellWords(`claude-batch results "$id" --format compact | jq -r .text`)).toEqual([
      'claude-batch',
      'results',
      'msgbatch_placeholder',
      '--format',
      'compact',
    ]);
    expect(shellWords(`claude-batch build csv 'my file.csv' --template 'Rate: {{text}}'   # note`)).toEqual([
      'claude-batch',
      'build',
      'csv',
      'my file.csv',
      '--template',
      'Rate: {{text}}',
    ]);
    expect(shellWords('claude-batch submit requests.jsonl)')).toEqual([
      'claude-batch',
      'submit',
      'requests.jsonl',
    ]);
  });
});

describe('documented commands', () => {
  const commands = documentedCommands();

  it('are found in README.md and SKILL.md', () => {
    expect(commands.filter((c) => c.file === 'README.md').length).toBeGreaterThan(20);
    expect(commands.filter((c) => c.file === 'SKILL.md').length).toBeGreaterThan(5);
  });

  it('an unknown command or flag would fail this test', async () => {
    expect(await parseOnly(['submit', 'x.jsonl', '--no-such-flag'])).toContain(
      "unknown option '--no-such-flag'",
    );
    expect(await parseOnly(['frobnicate'])).toContain("unknown command 'frobnicate'");
  });

  it.each(commands.map((c) => [`${c.file}:${c.line}`, c] as const))('%s parses', async (_where, command) => {
    // A bare command name in prose (`claude-batch monitor`) names a command: it must exist.
    const bare = command.argv.every((word) => /^[a-z]+$/.test(word)) && command.argv.length <= 2;
    expect(await parseOnly(bare ? [...command.argv, '--help'] : command.argv), command.text).toBe('');
  });
});

describe('SKILL.md', () => {
  const skill = documents().find((d) => d.file === 'SKILL.md')?.text ?? '';
  const frontmatter = /^---\n([\s\S]*?)\n---\n/.exec(skill)?.[1] ?? '';
  const meta = parseYaml(frontmatter) as Record<string, unknown>;

  it('has the frontmatter an OpenClaw skill needs', () => {
    expect(meta.name).toBe('claude-batch');
    expect(String(meta.description)).toMatch(/half/i);
    expect(typeof meta.homepage).toBe('string');
    const openclaw = (meta.metadata as { openclaw: Record<string, unknown> }).openclaw;
    expect(openclaw).toMatchObject({
      emoji: expect.any(String),
      requires: { bins: ['claude-batch'], env: ['ANTHROPIC_API_KEY'] },
      primaryEnv: 'ANTHROPIC_API_KEY',
    });
    expect(openclaw.install).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'node', package: 'claude-batch', bins: ['claude-batch'] }),
      ]),
    );
  });
});

describe('exit codes', () => {
  for (const file of ['README.md', 'SKILL.md']) {
    it(`every exit code the CLI can return is documented in ${file}`, () => {
      const text = documents().find((d) => d.file === file)?.text ?? '';
      for (const code of Object.values(ExitCode)) {
        expect(text, `exit code ${code}`).toMatch(new RegExp(`(^|[|\\s])${code}([|\\s]|$)`, 'm'));
      }
    });
  }
});
