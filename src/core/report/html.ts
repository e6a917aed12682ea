/**
 * The report's HTML, in pieces written in order: the head (style inline), the rows' JSON block
 * (streamed row by row), the figures' JSON block, the script. Nothing in the file refers to
 * anything outside it, and its Content-Security-Policy forbids fetching anything at all and runs
 * only the page's own script (by its hash): markup slipped into the data could not run.
 */
import { createHash } from 'node:crypto';
import { PAGE_SCRIPT } from './page-script.js';
import { PAGE_STYLE } from './page-style.js';

const UNSAFE_IN_SCRIPT = /[<>&\u2028\u2029]/g;

/**
 * JSON that can sit inside `<script type="application/json">`: `<`, `>`, `&`, U+2028 and U+2029
 * are written as `\uXXXX` escapes (the same JSON once parsed), so no `</script>` or `<!--` can
 * end or change the block, whatever the data holds.
 */
export function scriptJson(value: unknown): string {
  return (JSON.stringify(value) ?? 'null').replace(
    UNSAFE_IN_SCRIPT,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** Text for HTML content or a quoted attribute value. */
export function htmlText(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

/** The CSP source of the page's script: its SHA-256. */
export function scriptHash(script = PAGE_SCRIPT): string {
  return `'sha256-${createHash('sha256').update(script, 'utf8').digest('base64')}'`;
}

/** Everything before the rows: the head, the page's frame, and the opening of the rows' block. */
export function pageStart(title: string): string {
  const csp = `default-src 'none'; style-src 'unsafe-inline'; script-src ${scriptHash()}; base-uri 'none'; form-action 'none'`;
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${csp}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="color-scheme" content="light dark">',
    '<meta name="generator" content="claude-batch report">',
    `<title>${htmlText(`claude-batch report: ${title}`)}</title>`,
    `<style>${PAGE_STYLE}</style>`,
    '</head>',
    '<body>',
    '<svg id="svg-ns" width="0" height="0" aria-hidden="true" style="position:absolute"></svg>',
    `<main id="app"><h1>${htmlText(title)}</h1><noscript><p>This report draws its charts and tables with JavaScript: open it in a browser that runs scripts.</p></noscript></main>`,
    '<script type="application/json" id="report-rows">[',
  ].join('\n');
}

/** Everything after the rows: the end of their block, the figures, the script. */
export function pageEnd(data: unknown): string {
  return [
    ']</script>',
    `<script type="application/json" id="report-data">${scriptJson(data)}</script>`,
    `<script>${PAGE_SCRIPT}</script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
