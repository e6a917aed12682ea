import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A `claude-batch …` command line found in a document. */
export interface DocCommand {
  file: string;
  line: number;
  text: string;
  argv: string[];
}

const ROOT = join(import.meta.dirname, '..', '..');

/** The documents whose commands must be real: README.md, SKILL.md and references/*.md. */
export function documents(): Array<{ file: string; text: string }> {
  const files = [
    'README.md',
    'SKILL.md',
    ...readdirSync(join(ROOT, 'references')).map((f) => join('references', f)),
  ];
  return files
    .filter((f) => f.endsWith('.md'))
    .map((file) => ({ file, text: readFileSync(join(ROOT, file), 'utf8') }));
}

/**
 * Splits a shell command into words the way a shell would for our purposes: quotes group, `$VAR`
 * and `"$id"` become placeholders, and the command ends at `|`, `;`, `&&`, `||`, `>`, `)`, or `#`.
 */
export function shellWords(command: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < command.length; i += 1) {
    const c = command[i] as string;
    if (quote) {
      if (c === quote) quote = undefined;
      else word += c;
      continue;
    }
    if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
      continue;
    }
    if (c === '\\' && i + 1 < command.length) {
      word += command[i + 1];
      inWord = true;
      i += 1;
      continue;
    }
    if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      continue;
    }
    if ('|;&>)<'.includes(c) || (c === '#' && !inWord)) break;
    word += c;
    inWord = true;
  }
  if (inWord) words.push(word);
  return words.map((w) => w.replace(/\$\{?[A-Za-z_][A-Za-z0-9_]*\}?/g, 'msgbatch_placeholder'));
}

/** Drops a shell comment (`# …` outside quotes) from a line. */
function stripComment(line: string): string {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i += 1) {
    const c = line[i];
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(line[i - 1] as string))) return line.slice(0, i);
  }
  return line;
}

/** Every `claude-batch …` command in fenced code blocks and inline code spans of the documents. */
export function documentedCommands(): DocCommand[] {
  const out: DocCommand[] = [];
  for (const { file, text } of documents()) {
    const lines = text.split('\n');
    let fenced = false;
    lines.forEach((raw, index) => {
      if (/^\s*```/.test(raw)) {
        fenced = !fenced;
        return;
      }
      const candidates: string[] = [];
      if (fenced) {
        // A command starts a line, follows `$(`, a pipe or `&&`, or is run by npx.
        const line = stripComment(raw);
        for (const m of line.matchAll(
          /(?:^\s*(?:\$\s+)?|\$\(|[|;&]\s*|\bnpx\s+|=\$\()claude-batch(?=\s|$)/g,
        )) {
          candidates.push(line.slice((m.index ?? 0) + m[0].length - 'claude-batch'.length));
        }
      } else {
        for (const m of raw.matchAll(/`(claude-batch\s[^`]*)`/g)) candidates.push(m[1] as string);
      }
      for (const candidate of candidates) {
        const words = shellWords(candidate);
        if (words[0] !== 'claude-batch') continue;
        // Prose placeholders like `claude-batch build <source>` are descriptions, not commands.
        if (words.some((w) => /^<.*>$|^\[.*\]$|\.\.\.$|…/.test(w))) continue;
        out.push({ file, line: index + 1, text: candidate.trim(), argv: words.slice(1) });
      }
    });
  }
  return out;
}
