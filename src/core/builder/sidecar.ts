/**
 * The sidecar ("map") file: JSON Lines beside the request file, one line per request, in the
 * same order, joining each custom_id back to the input:
 *
 *   {"custom_id":"csv-row-1","row":1,"line":2}
 *   {"custom_id":"h-1f0c…","row":2,"line":3,"id":"order 17"}
 *
 * `row` is the 1-based row, line, paragraph, item or request of the input (the N of a generated
 * id); `line` the 1-based line it starts on (absent when unknown, e.g. custom modules); `id` the
 * value of --id-column / --id-field as it was in the input (or a custom module's own custom_id
 * when it was hashed).
 */

/** The sidecar path for a request file: `requests.jsonl` → `requests.map.jsonl`; other names get `.map.jsonl` added. */
export function mapPathFor(output: string): string {
  return output.endsWith('.jsonl') ? `${output.slice(0, -'.jsonl'.length)}.map.jsonl` : `${output}.map.jsonl`;
}

/** One line of the sidecar (without the newline). */
export function mapLine(customId: string, row: number, line: number | undefined, id?: unknown): string {
  // Built by hand (the same text JSON.stringify gives): it runs once per row.
  let text = `{"custom_id":${JSON.stringify(customId)},"row":${row}`;
  if (line !== undefined) text += `,"line":${line}`;
  if (id !== undefined) text += `,"id":${JSON.stringify(id)}`;
  return `${text}}`;
}
