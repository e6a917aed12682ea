import Anthropic from '@anthropic-ai/sdk';
import type { MessageBatchIndividualResponse } from '@anthropic-ai/sdk/resources/messages/batches';
import { describe, expect, it } from 'vitest';
import { resultFacts } from '../../src/core/results/line.js';
import { OutputSpecs } from '../../src/core/results/output.js';
import { useEmulator } from '../helpers/emulator.js';
import { request } from '../helpers/files.js';

// output_config.format through the official SDK over HTTP: JSON that follows the schema, and the
// triggers that break it; the answers are checked with the CLI's own validator.
const ctx = useEmulator({ processingTimeMs: 150, stoppedClock: true });

const SCHEMA = {
  type: 'object',
  properties: {
    label: { type: 'string', enum: ['spam', 'ham'] },
    confidence: { type: 'number' },
    when: { type: 'string', format: 'date-time' },
    contact: { type: 'string', format: 'email' },
    id: { type: 'string', format: 'uuid' },
    tags: { type: 'array', items: { $ref: '#/$defs/tag' }, minItems: 1 },
    note: { anyOf: [{ type: 'string' }, { type: 'null' }] },
  },
  required: ['label', 'confidence', 'when', 'contact', 'id', 'tags', 'note'],
  additionalProperties: false,
  $defs: {
    tag: {
      type: 'object',
      properties: { name: { type: 'string' }, weight: { type: 'integer' } },
      required: ['name', 'weight'],
      additionalProperties: false,
    },
  },
};

const structured = (id: string, prompt: string) =>
  request(id, prompt, {
    max_tokens: 1024,
    output_config: { format: { type: 'json_schema', schema: SCHEMA } },
  });

async function run(
  requests: unknown[],
): Promise<Array<{ custom_id: string; result: MessageBatchIndividualResponse['result'] }>> {
  const client = new Anthropic({ apiKey: 'k', baseURL: ctx.emulator.url, maxRetries: 0 });
  const batch = await client.messages.batches.create({ requests: requests as never });
  ctx.endBatches();
  const out = [];
  for await (const line of await client.messages.batches.results(batch.id)) out.push(line);
  return out;
}

describe('emulator: structured outputs', () => {
  it('answers JSON that follows the schema (deterministic), invalid or cut on the triggers', async () => {
    const lines = await run([
      structured('ok', 'Classify this message'),
      structured('again', 'Classify this message'),
      structured('bad', 'Classify EMULATE_INVALID_OUTPUT'),
      structured('cut', 'Classify EMULATE_TRUNCATED_OUTPUT'),
    ]);
    const specs = OutputSpecs.fromSchema(SCHEMA);
    const checked = new Map(lines.map((l) => [l.custom_id, { line: l, out: specs.check(resultFacts(l)) }]));
    const ok = checked.get('ok');
    expect(ok?.out?.output_error).toBeNull();
    const message = ok?.line.result.type === 'succeeded' ? ok.line.result.message : undefined;
    expect(message?.stop_reason).toBe('end_turn');
    expect(message?.content).toHaveLength(1);
    expect(Object.keys(ok?.out?.value as object)).toEqual(Object.keys(SCHEMA.properties));
    // The same prompt, the same answer.
    expect(checked.get('again')?.out?.value).toEqual(ok?.out?.value);
    expect(checked.get('bad')?.out?.output_error).toMatch(/^does not match the schema: /);
    const cut = checked.get('cut');
    expect(cut?.line.result.type === 'succeeded' && cut.line.result.message.stop_reason).toBe('max_tokens');
    expect(cut?.out?.output_error).toMatch(/cut at max_tokens/);
  });

  it('errors a request whose schema the API would refuse', async () => {
    const [line] = await run([
      request('r', 'Hi', {
        output_config: { format: { type: 'json_schema', schema: { type: 'object', properties: {} } } },
      }),
    ]);
    expect(line?.result.type).toBe('errored');
  });
});
