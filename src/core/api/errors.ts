import { APIError } from '@anthropic-ai/sdk/core/error';
import {
  AuthError,
  BatchStateError,
  CliError,
  causes,
  EnvironmentError,
  InterruptedError,
  systemCode,
} from '../errors.js';
import { ProxyError } from './proxy.js';

/** What the failing call was about, to make the message precise. */
export interface ErrorContext {
  baseUrl: string;
  batchId?: string;
}

function suffix(error: APIError): string {
  return error.requestID ? ` (request ${error.requestID})` : '';
}

/** The deepest message in an error's cause chain (the first is the SDK's own wording). */
function deepestCause(error: unknown): string {
  let deepest = 'no answer';
  for (const e of [...causes(error)].slice(1)) deepest = e.message;
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
    const hint =
      'check the network, --base-url or ANTHROPIC_BASE_URL; for an offline API run `claude-batch emulator`';
    if (error.name === 'APIConnectionTimeoutError') {
      return new EnvironmentError(`The API at ${context.baseUrl} did not answer in time`, {
        hint,
        cause: error,
      });
    }
    const proxy = [...causes(error)].find((e) => e instanceof ProxyError);
    if (proxy) {
      return new EnvironmentError(`Cannot reach the API at ${context.baseUrl} (${proxy.message})`, {
        hint: 'check the proxy: HTTPS_PROXY, HTTP_PROXY, ALL_PROXY, NO_PROXY (see "Behind a proxy" in the README)',
        cause: error,
      });
    }
    const code = systemCode(error);
    // The renderer words a known code (host not found, connection refused) and its hint.
    if (code)
      return new EnvironmentError(`Cannot reach the API at ${context.baseUrl}`, { code, cause: error });
    return new EnvironmentError(`Cannot reach the API at ${context.baseUrl} (${deepestCause(error)})`, {
      hint,
      cause: error,
    });
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
      return new CliError(`Not found: ${apiMessage} (${where})`, { kind: 'not-found' });
    case 400:
    case 413:
      return new CliError(`The API refused the request: ${apiMessage} (${where})`, {
        kind: 'usage',
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
