/** The emulator as a child process (its own core, as the real API would be), killed on stop. */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { track } from './measure.mjs';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI = join(ROOT, 'bin', 'claude-batch.js');

/**
 * Starts `claude-batch emulator --port 0` with the given flags and resolves once it prints its
 * URL: `{ url, env, stop() }`, where `env` points the CLI and the SDK at it.
 */
export function startEmulatorProcess({ processingTime = '1s', answerSize } = {}) {
  const args = [
    '--max-old-space-size=8192',
    CLI,
    'emulator',
    '--port',
    '0',
    '--processing-time',
    processingTime,
  ];
  if (answerSize !== undefined) args.push('--answer-size', String(answerSize));
  const child = track(spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: ROOT }));
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr = (stderr + chunk).slice(-4096);
  });
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (chunk) => {
      out += chunk;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (!m) return;
      child.stdout.off('data', onData);
      child.stdout.resume();
      const url = m[1];
      resolve({
        url,
        env: { ...process.env, ANTHROPIC_BASE_URL: url, ANTHROPIC_API_KEY: 'emulator', NO_COLOR: '1' },
        stop: () =>
          new Promise((done) => {
            if (child.exitCode !== null || child.signalCode !== null) return done();
            child.once('exit', () => done());
            child.kill('SIGTERM');
            setTimeout(() => child.kill('SIGKILL'), 5000).unref();
          }),
      });
    };
    child.stdout.on('data', onData);
    child.once('exit', (code) =>
      reject(new Error(`the emulator exited (${code}) before listening:\n${stderr}`)),
    );
    child.once('error', reject);
  });
}
