import { APIError } from '@anthropic-ai/sdk/core/error';
import { ExitCode } from '../../cli/exit-codes.js';
import { AuthError, BatchStateError, CliError, InterruptedError } from '../errors.js';

/** What the failing call was about, to make the message precise. */
export interface ErrorContext {
  baseUrl: string;
  batchId?: string;
}

function suffix(error: APIError): string {
  return error.requestID ? ` (request ${error.requestID})` : '';
}

/** The most precise reason in an error's cause chain: a system code (ECONNREFUSED) or the deepest message. */
function describeCause(error: unknown): string {
  let cause: unknown = (error as { cause?: unknown }).cause;
  let deepest = 'no answer';
  for (let depth = 0; depth < 5 && cause instanceof Error; depth += 1) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'string' && /^E[A-Z_]+$/.test(code)) return code;
    deepest = cause.message;
    cause = cause.cause;
  }
  return deepest;
}

/**
 * Turns anything the SDK throws into a CliError with one line of message and a hint.
 * CliErrors pass through; errors that are not the SDK's are returned unchanged (they are bugs).
 */
export function toCliError(error: unknown, context: ErrorContext): unknown {
  if (error instanceof CliError || !(error instanceof Error)) return error;
  if (error.name === 'APIUserAbortError' || error.name === 'AbortError') return new InterruptedError();
  if (!(error instanceof APIError)) return error;

  if (error.status === undefined) {
    const timedOut = error.name === 'APIConnectionTimeoutError';
    return new CliError(
      timedOut
        ? `The API at ${context.baseUrl} did not answer in time`
        : `Cannot reach the API at ${context.baseUrl} (${describeCause(error)})`,
      {
        hint: 'check the network, --base-url or ANTHROPIC_BASE_URL; for an offline API run `claude-batch emulator`',
        cause: error,
      },
    );
  }

  const type = error.type ?? 'error';
  const apiMessage = error.apiMessage ?? error.message;
  const where = `${error.status} ${type}${suffix(error)}`;
  switch (error.status) {
    case 401:
      return new AuthError(
        `The API refused the credentials: ${apiMessage} (${where})`,
        'check ANTHROPIC_API_KEY (or ANTHROPIC_AUTH_TOKEN)',
      );
    case 403:
      return new AuthError(
        `Permission denied: ${apiMessage} (${where})`,
        'check that the key may use this workspace and the Batches API',
      );
    case 404:
      if (context.batchId) {
        return new BatchStateError(`Batch not found: ${context.batchId}`, context.batchId, {
          hint: 'check the id with `claude-batch list` (batches are listed per workspace)',
        });
      }
      return new CliError(`Not found: ${apiMessage} (${where})`, { exitCode: ExitCode.BATCH_STATE });
    case 400:
    case 413:
      return new CliError(`The API refused the request: ${apiMessage} (${where})`, {
        exitCode: ExitCode.USAGE,
        hint: 'fix the request; nothing was created',
      });
    default: {
      const busy = error.status === 429 || error.status >= 500;
      return new CliError(`The API failed: ${apiMessage} (${where})`, {
        ...(busy ? { hint: 'the API is busy or failing: try again in a few minutes' } : {}),
        cause: error,
      });
    }
  }
}

/** Runs an API call and converts what it throws with {@link toCliError}. */
export async function callApi<T>(context: ErrorContext, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw toCliError(error, context);
  }
}
