import { type ChildProcess, spawn } from 'node:child_process';
import { CliError, InterruptedError, UsageError } from '../errors.js';
import { readLines } from '../fs/lines.js';
import { assertReadableFile } from '../fs/readable.js';

/**
 * The shim `build custom builder.py` runs with python3: it loads the module by path, calls its
 * `build_requests()` (a list, any iterable or a generator of `{custom_id, params}`) and writes one
 * JSON line per item on the original stdout, which the user's own prints no longer reach (they go
 * to stderr). A failure ends the stream with one line starting `!`: a JSON record of what went
 * wrong (no JSON value starts with `!`).
 */
const SHIM = String.raw`
import importlib.util, json, os, sys, traceback

def main():
    path = sys.argv[1]
    sys.dont_write_bytecode = True  # leave no __pycache__ beside the user's module
    out = os.fdopen(os.dup(1), 'wb')
    os.dup2(2, 1)
    sys.stdout = sys.stderr

    def fail(kind, message, error=None, index=None):
        lines = []
        if error is not None:
            tb = error.__traceback__
            while tb is not None and tb.tb_frame.f_code.co_filename == '<string>':
                tb = tb.tb_next
            lines = ''.join(traceback.format_exception(type(error), error, tb)).rstrip('\n').split('\n')
        record = {'kind': kind, 'message': message, 'traceback': lines, 'index': index}
        out.write(b'!' + json.dumps(record).encode('utf-8') + b'\n')
        out.flush()
        sys.exit(1)

    def describe(error):
        text = str(error)
        return type(error).__name__ + (': ' + text if text else '')

    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    try:
        spec = importlib.util.spec_from_file_location('claude_batch_builder', path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
    except (Exception, SystemExit) as error:
        fail('load', describe(error), error)
    build = getattr(module, 'build_requests', None)
    if not callable(build):
        names = [n for n in vars(module) if not n.startswith('_') and not isinstance(vars(module)[n], type(sys))]
        fail('absent', ', '.join(names))
    try:
        produced = build()
    except (Exception, SystemExit) as error:
        fail('raised', describe(error), error)
    if isinstance(produced, (dict, str, bytes)) or not hasattr(produced, '__iter__'):
        fail('shape', type(produced).__name__)
    items = iter(produced)
    index = 0
    while True:
        try:
            item = next(items)
        except StopIteration:
            break
        except (Exception, SystemExit) as error:
            fail('raised', describe(error), error, index)
        try:
            line = json.dumps(item, ensure_ascii=False, allow_nan=False).encode('utf-8')
        except (TypeError, ValueError) as error:
            fail('json', describe(error), None, index)
        out.write(line + b'\n')
        index += 1
    out.flush()

main()
`;

/** What the shim reports when the module fails. */
interface Failure {
  kind: 'load' | 'absent' | 'raised' | 'shape' | 'json';
  message: string;
  traceback: string[];
  index: number | null;
}

/** How many lines of a Python traceback an error shows. */
const TRACEBACK_LINES = 6;
/** How much of the interpreter's own stderr is kept for an error when it dies without a record. */
const STDERR_TAIL = 4096;

const FIX = 'fix the module and run again';

/** Whether `build custom` runs this module with Python. */
export const isPythonModule = (path: string): boolean => path.toLowerCase().endsWith('.py');

export interface PythonOptions {
  /** The environment: CLAUDE_BATCH_PYTHON names the interpreter (default python3). */
  env: Record<string, string | undefined>;
  signal?: AbortSignal | undefined;
  /** What the module writes (its prints and its stderr), as it comes. */
  onOutput?: ((text: string) => void) | undefined;
}

/**
 * The requests of a Python builder module, as an async iterable: nothing runs until it is
 * iterated; the interpreter is then started and its lines read one at a time (the pipe holds
 * Python back while the requests are written, so memory stays flat). Stopping early, an abort or
 * an error kills the interpreter.
 */
export async function pythonBuilder(
  path: string,
  display: string,
  options: PythonOptions,
): Promise<AsyncIterable<unknown>> {
  await assertReadableFile(path, display, 'check the path to the module');
  return { [Symbol.asyncIterator]: () => runPython(path, display, options) };
}

async function* runPython(path: string, display: string, options: PythonOptions): AsyncGenerator<unknown> {
  const { signal, onOutput } = options;
  const python = options.env.CLAUDE_BATCH_PYTHON || 'python3';
  if (signal?.aborted) throw new InterruptedError('Interrupted: nothing was written');
  const child = spawn(python, ['-c', SHIM, path], { stdio: ['ignore', 'pipe', 'pipe'] });
  let running = true;
  child.once('exit', () => {
    running = false;
  });
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('close', (code, sig) => resolve({ code, signal: sig })),
  );
  /** Ends the interpreter (an abort, an early stop or an error) unless it has ended. */
  const stop = () => {
    if (running) child.kill('SIGKILL');
  };
  let tail = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (text: string) => {
    tail = (tail + text).slice(-STDERR_TAIL);
    onOutput?.(text);
  });
  child.on('error', () => undefined); // reported by started(); later ones end the process anyway
  signal?.addEventListener('abort', stop, { once: true });
  try {
    await started(child, python);
    let failure: Failure | undefined;
    for await (const line of readLines(child.stdout as AsyncIterable<Uint8Array>)) {
      const text = line.bytes.toString('utf8');
      if (text.startsWith('!')) {
        failure = JSON.parse(text.slice(1)) as Failure;
        break;
      }
      yield JSON.parse(text);
    }
    const end = await closed;
    if (signal?.aborted) throw new InterruptedError('Interrupted: nothing was written');
    if (failure) throw failureError(failure, display);
    if (end.code !== 0) {
      const how = end.code === null ? `was killed (${end.signal})` : `exited with code ${end.code}`;
      throw new CliError(`${display}: ${python} ${how} before the module finished`, {
        kind: 'usage',
        details: lastLines(tail.trimEnd().split('\n')),
        hint: FIX,
      });
    }
  } finally {
    signal?.removeEventListener('abort', stop);
    stop();
  }
}

/** Waits for the interpreter to start; a missing one is an environment error. */
function started(child: ChildProcess, python: string): Promise<void> {
  return new Promise((resolve, reject) => {
    child.once('spawn', () => resolve());
    child.once('error', (error: NodeJS.ErrnoException) => {
      const why =
        error.code === 'ENOENT' ? 'not found' : error.code === 'EACCES' ? 'permission denied' : error.message;
      reject(
        new CliError(`cannot run ${python}: ${why}`, {
          kind: 'environment',
          cause: error,
          hint: 'a .py builder needs Python 3: install it, or set CLAUDE_BATCH_PYTHON to its path',
        }),
      );
    });
  });
}

/** A traceback's last lines, without its header and the frames of Python's import machinery. */
const lastLines = (lines: string[]) =>
  lines
    .filter((l) => l.trim() !== '' && !l.startsWith('Traceback (') && !l.includes('File "<frozen '))
    .slice(-TRACEBACK_LINES);

function failureError(failure: Failure, display: string): CliError {
  const details = lastLines(failure.traceback);
  const usage = (message: string, hint = FIX) => new CliError(message, { kind: 'usage', details, hint });
  switch (failure.kind) {
    case 'load':
      return usage(`cannot load ${display}: ${failure.message}`);
    case 'absent':
      return new UsageError(
        `${display} defines no build_requests() function${failure.message ? `: it defines ${failure.message}` : ''}`,
        'def build_requests(): return [{"custom_id": ..., "params": {...}}, ...] (a list, an iterable or a generator)',
      );
    case 'shape':
      return new UsageError(
        `${display}: build_requests() must return a list, an iterable or a generator of requests, got ${failure.message}`,
        failure.message === 'NoneType' ? 'does build_requests() end with `return requests`?' : FIX,
      );
    case 'json':
      return usage(
        `${display}: requests[${failure.index}] cannot be written as JSON: ${failure.message}`,
        'a request holds only dicts, lists, str, int, float, bool and None',
      );
    default:
      return usage(
        failure.index === null
          ? `${display}: build_requests failed: ${failure.message}`
          : `${display}: failed while producing request ${failure.index + 1}: ${failure.message}`,
      );
  }
}
