/** Reading a report's HTML back in tests: its two JSON blocks, and its external references. */

/** The JSON in `<script type="application/json" id="ID">`. */
export function reportBlock(html: string, id: 'report-data' | 'report-rows'): unknown {
  const match = new RegExp(`<script type="application/json" id="${id}">([\\s\\S]*?)</script>`).exec(html);
  if (!match) throw new Error(`no ${id} block in the report`);
  return JSON.parse(match[1] as string);
}

/** Every src= / href= value in the page's markup (script and style bodies left out). */
export function references(html: string): string[] {
  const markup = html.replace(/(<(script|style)\b[^>]*>)[\s\S]*?(<\/\2>)/gi, '$1$3');
  const tags = markup.match(/<[a-z][^>]*>/gi) ?? [];
  return tags.flatMap((tag) =>
    [...tag.matchAll(/\s(?:src|href)\s*=\s*["']?([^"'\s>]*)/gi)].map((m) => m[1] as string),
  );
}

/** A result line as the API sends it. */
export function succeeded(
  id: string,
  text: string,
  usage: Record<string, number>,
  stop = 'end_turn',
  model = 'claude-haiku-4-5',
): string {
  return JSON.stringify({
    custom_id: id,
    result: {
      type: 'succeeded',
      message: {
        id: `msg_${id}`,
        type: 'message',
        role: 'assistant',
        model,
        content: [{ type: 'text', text }],
        stop_reason: stop,
        stop_sequence: null,
        usage,
      },
    },
  });
}

export function errored(id: string, type: string, message: string): string {
  return JSON.stringify({
    custom_id: id,
    result: { type: 'errored', error: { type: 'error', error: { type, message } } },
  });
}

export function ended(id: string, type: 'canceled' | 'expired'): string {
  return JSON.stringify({ custom_id: id, result: { type } });
}

/** The answer no report may ever run. */
export const HOSTILE = '</script><img src=x onerror=alert(1)> & <!-- \u2028\u2029 "quoted"';
