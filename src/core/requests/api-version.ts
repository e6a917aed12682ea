import type { RequestIssue } from './schema.js';

/**
 * The `anthropic-version` the SDK sends on every call (fixed by the SDK 1.x; a test pins it to
 * what the SDK really sends). Request parameters are checked against this version.
 */
export const API_VERSION = '2026-10-21';

/**
 * Messages parameters the API no longer takes under {@link API_VERSION}: a request with one of them
 * is accepted by the create, then every such request ends `errored` ("Extra inputs are not permitted").
 */
export const REMOVED_PARAMS = ['temperature', 'top_p', 'top_k'] as const;

/** Why a removed parameter is refused (without the field name). */
export const REMOVED_PARAM_MESSAGE = `not a parameter under API version ${API_VERSION} (the version this tool's SDK sends): the API would refuse the request ("Extra inputs are not permitted"); remove it`;

/** The removed parameters a request's params hold, as issues on `params.KEY`. */
export function removedParamIssues(params: unknown): RequestIssue[] {
  if (params === null || typeof params !== 'object' || Array.isArray(params)) return [];
  return REMOVED_PARAMS.filter((key) => Object.hasOwn(params, key)).map((key) => ({
    field: `params.${key}`,
    message: REMOVED_PARAM_MESSAGE,
  }));
}
