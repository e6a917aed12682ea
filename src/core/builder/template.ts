import { UsageError } from '../errors.js';

/** A prompt template: literal text with `{{name}}` placeholders. */
export interface Template {
  /** The source text, as given. */
  text: string;
  /** The names it uses, in order of first use. */
  names: string[];
  /** Fills the placeholders; `get` returns the text for a name. */
  render(get: (name: string) => string): string;
}

const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;

/** Parses a template (`'Classify: {{text}}'`); a template without placeholders is a usage error. */
export function compileTemplate(text: string): Template {
  const parts: string[] = [];
  const refs: string[] = [];
  let last = 0;
  for (const match of text.matchAll(PLACEHOLDER)) {
    const name = match[1] ?? '';
    if (!name) throw new UsageError(`--template: empty placeholder {{}} in ${JSON.stringify(text)}`);
    parts.push(text.slice(last, match.index));
    refs.push(name);
    last = match.index + match[0].length;
  }
  parts.push(text.slice(last));
  if (refs.length === 0) {
    throw new UsageError(
      `--template has no {{name}} placeholder: ${JSON.stringify(text)}`,
      "name a column or field, e.g. --template 'Classify: {{text}}'",
    );
  }
  return {
    text,
    names: [...new Set(refs)],
    render(get) {
      let out = parts[0] ?? '';
      for (let i = 0; i < refs.length; i += 1) out += get(refs[i] as string) + (parts[i + 1] ?? '');
      return out;
    },
  };
}

/** Throws when a template uses a name not in `available`; `why` says where it was looked for. */
export function checkTemplateNames(template: Template, available: string[], why: string): void {
  const missing = template.names.filter((name) => !available.includes(name));
  if (missing.length > 0) {
    throw new UsageError(
      `--template uses ${missing.map((m) => `{{${m}}}`).join(', ')}: ${why}`,
      `available names: ${available.map((a) => JSON.stringify(a)).join(', ') || '(none)'}`,
    );
  }
}
