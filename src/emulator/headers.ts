/**
 * The checks the API makes on a request's headers before any endpoint looks at it: the
 * `anthropic-version` (required, one that exists), the `anthropic-beta` names (known ones only;
 * comma lists and repeated headers are fine), and a JSON content type on a body. Each failure is
 * an ApiFailure in the API's words.
 */
import type { IncomingMessage } from 'node:http';
import { betaNames, isKnownBeta } from '../core/api/betas.js';
import { ApiFailure } from './http.js';

/** The `anthropic-version` values the API takes. */
export const API_VERSIONS = ['2023-01-01', '2023-06-01', '2026-10-21'] as const;

const invalid = (message: string) => new ApiFailure(400, 'invalid_request_error', message);

/** The request's `anthropic-version` (checked): a missing or unknown version is a 400. */
export function checkVersion(req: IncomingMessage): string {
  const raw = req.headers['anthropic-version'];
  const version = (Array.isArray(raw) ? raw.join(',') : raw)?.trim();
  if (!version) throw invalid('anthropic-version: header is required');
  if (!(API_VERSIONS as readonly string[]).includes(version)) {
    throw invalid(`anthropic-version: "${version}" is not a valid version`);
  }
  return version;
}

/** Refuses an `anthropic-beta` header that names a beta the API does not know. */
export function checkBetas(req: IncomingMessage): void {
  const unknown = betaNames(req.headers['anthropic-beta']).filter((name) => !isKnownBeta(name));
  if (unknown.length > 0) {
    throw invalid(
      `Unexpected value(s) \`${[...new Set(unknown)].join('`, `')}\` for the \`anthropic-beta\` header. Please consult our documentation at docs.claude.com or try again without the header.`,
    );
  }
}

/** Refuses a body sent as anything but JSON (`application/json`, parameters allowed). */
export function checkJsonContentType(req: IncomingMessage): void {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json') {
    throw invalid(
      type
        ? `Unsupported content type '${type}': the body must be JSON (content-type: application/json)`
        : 'content-type: header is required: the body must be JSON (content-type: application/json)',
    );
  }
}
