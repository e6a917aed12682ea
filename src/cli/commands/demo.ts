import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '../../core/api/client.js';
import { buildRequestFile } from '../../core/builder/build.js';
import { formatDuration } from '../../core/duration.js';
import { CliError } from '../../core/errors.js';
import { resultFacts } from '../../core/results/line.js';
import { submitRequests } from '../../core/submit/submit.js';
import { startEmulator } from '../../emulator/server.js';
import type { Context } from '../context.js';
import { createContext } from '../context.js';
import { println } from '../io.js';
import type { OptionsOf } from '../options.js';
import { PACKAGE_ROOT } from '../package-root.js';
import type { DEMO_OPTIONS } from '../register-monitor.js';
import { watchBatches } from '../watch.js';

type Options = OptionsOf<typeof DEMO_OPTIONS>;

/** The bundled example: a few dozen product reviews, one of which is set to fail. */
export const EXAMPLE_CSV = join(PACKAGE_ROOT, 'examples', 'reviews.csv');

const TEMPLATE =
  'Classify this review of {{product}} ({{rating}}/5) as positive, negative or mixed, with the main reason in one sentence: {{text}}';

/**
 * `demo`: the main job offline, on an emulator started in-process: build requests from the
 * bundled CSV, submit, monitor with the live display, download the results, show a few answers,
 * and print the same commands for the real API. No key, no network.
 */
export async function run(ctx: Context, _args: string[], options: Options) {
  const { io } = ctx;
  const started = Date.now();
  const say = (text = '') => println(io.stderr, text);
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'claude-batch-demo-')));
  await mkdir(dir, { recursive: true });
  const emulator = await startEmulator({ port: 0, processingTimeMs: options.processingTime });
  try {
    say(`claude-batch demo: the whole flow against a local emulator of the Batches API (${emulator.url}).`);
    say(
      options.dir
        ? `No API key and no network are used. Files go to:\n  ${dir}`
        : `No API key and no network are used. Files go to a temporary folder, removed at the end\n  (${dir}; keep them with --dir DIR).`,
    );
    say();

    say('1. build: examples/reviews.csv → requests.jsonl');
    const requests = join(dir, 'requests.jsonl');
    const built = await buildRequestFile({
      source: 'csv',
      input: EXAMPLE_CSV,
      template: TEMPLATE,
      idColumn: 'review_id',
      output: requests,
      force: true,
      env: io.env,
      cwd: io.cwd,
      signal: io.signal,
    });
    say(`   ${built.requests} requests (model ${Object.keys(built.models).join(', ')}), ${built.map ?? ''}`);

    say('2. submit');
    // The emulator is local: a proxy of the environment (HTTPS_PROXY…) could not reach it.
    const env = {
      ...io.env,
      ANTHROPIC_BASE_URL: emulator.url,
      ANTHROPIC_API_KEY: 'emulator',
      NO_PROXY: '*',
      no_proxy: '*',
    };
    const client = await createClient({ env, baseUrl: emulator.url });
    const { batch } = await submitRequests(client, { path: requests }, { signal: io.signal });
    const id = batch?.id as string;
    say(
      `   batch ${id} (${batch?.processing_status}); the emulator ends it after ${formatDuration(options.processingTime)}`,
    );

    say('3. monitor (adaptive polling in real use; every second here), then download the results');
    const results = join(dir, 'results.jsonl');
    const demoCtx = createContext({ ...io, env }, { baseUrl: emulator.url });
    await watchBatches(demoCtx, [id], { interval: 1000, results, force: true }).catch((error: unknown) => {
      // The hint would name a batch on this emulator, which stops with the demo.
      if (error instanceof CliError && error.kind === 'interrupted')
        throw new CliError('Demo interrupted', {
          kind: 'interrupted',
          hint: 'run `claude-batch demo` again',
        });
      throw error;
    });
    say();

    say('4. a few answers:');
    const lines = (await readFile(results, 'utf8')).trimEnd().split('\n');
    const facts = lines
      .map((l) => resultFacts(JSON.parse(l)))
      .sort((a, b) => a.custom_id.localeCompare(b.custom_id));
    const shown = [
      ...facts.filter((f) => f.type === 'succeeded').slice(0, 3),
      ...facts.filter((f) => f.type !== 'succeeded'),
    ];
    for (const f of shown) {
      const body = f.type === 'succeeded' ? f.text : `${f.type}: ${f.error_type} — ${f.error_message}`;
      println(io.stdout, `   ${f.custom_id}  ${body}`);
    }
    say();
    say(
      `Done in ${formatDuration(Date.now() - started)}. The same flow against the real API (with ANTHROPIC_API_KEY set):`,
    );
    say(
      `   claude-batch build csv ${EXAMPLE_CSV} --template '${TEMPLATE}' --id-column review_id -o requests.jsonl`,
    );
    say('   id=$(claude-batch submit requests.jsonl)');
    say('   claude-batch monitor "$id" --results results.jsonl');
    say('   claude-batch results "$id" --format compact');
    say('   claude-batch retry "$id" --requests requests.jsonl   # sends the failed row again');
    say('Or all in one, for a file of any size: claude-batch run requests.jsonl --results results.jsonl');
    return 0;
  } finally {
    await emulator.close();
    if (!options.dir) await rm(dir, { recursive: true, force: true });
  }
}
