import { durationText } from '../../core/duration.js';
import { formatFaults, hasFaults } from '../../emulator/faults.js';
import { readModelsFile } from '../../emulator/models.js';
import { startEmulator } from '../../emulator/server.js';
import type { Context } from '../context.js';
import { println } from '../io.js';
import type { OptionsOf } from '../options.js';
import type { EMULATOR_OPTIONS } from '../register-batches.js';

type Options = OptionsOf<typeof EMULATOR_OPTIONS>;

/** `emulator`: serves the local Batches API until Ctrl-C. */
export async function run(ctx: Context, _args: string[], options: Options) {
  const { io } = ctx;
  const emulator = await startEmulator({
    host: options.host,
    port: options.port,
    processingTimeMs: options.processingTime,
    apiKey: options.apiKey,
    answerSize: options.answerSize,
    queueLimit: options.queueLimit,
    faults: options.faults,
    seed: options.seed,
    models: options.models === undefined ? undefined : readModelsFile(options.models),
  });
  println(io.stdout, `Batches API emulator listening on ${emulator.url}`);
  println(io.stdout, 'Use it from another shell with:');
  println(io.stdout, `  export ANTHROPIC_BASE_URL=${emulator.url}`);
  println(
    io.stdout,
    `  export ANTHROPIC_API_KEY=${options.apiKey === undefined ? 'emulator' : '<the key given to --api-key>'}`,
  );
  println(
    io.stderr,
    `Batches end ${durationText(options.processingTime)} after they are created. Ctrl-C stops the emulator.`,
  );
  if (hasFaults(emulator.faults)) {
    println(io.stderr, `Injecting faults: ${formatFaults(emulator.faults)} (seed ${options.seed}).`);
  }
  await new Promise<void>((resolve) => {
    if (io.signal.aborted) resolve();
    io.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  await emulator.close();
  println(io.stderr, 'Emulator stopped.');
  return 0;
}
