import { closest } from '../closest.js';

/**
 * The names the API takes in the `anthropic-beta` header: the SDK's `AnthropicBeta` type (a test
 * keeps this list in step with it). The emulator refuses any other name, as the API does; the
 * CLI warns with it.
 */
export const KNOWN_BETAS: readonly string[] = [
  'computer-use-2024-10-22',
  'computer-use-2025-01-24',
  'output-128k-2025-02-19',
  'mcp-client-2025-04-04',
  'mcp-client-2025-11-20',
  'dev-full-thinking-2025-05-14',
  'interleaved-thinking-2025-05-14',
  'code-execution-2025-05-22',
  'context-1m-2025-08-07',
  'context-management-2025-06-27',
  'model-context-window-exceeded-2025-08-26',
  'fast-mode-2026-02-01',
  'output-300k-2026-03-24',
  'user-profiles-2026-03-24',
  'user-profiles-2026-08-18',
  'user-profiles-2026-09-04',
  'advisor-tool-2026-03-01',
  'managed-agents-2026-04-01',
  'dreaming-2026-04-21',
  'thinking-token-count-2026-05-13',
  'server-side-fallback-2026-06-01',
  'server-side-fallback-2026-07-01',
  'fallback-credit-2026-06-01',
  'fallback-credit-2026-07-01',
  'agent-memory-2026-07-22',
  'mid-conversation-tool-changes-2026-07-01',
  'compact-2026-01-12',
  'computer-use-2025-11-24',
  'mcp-tunnels-2026-06-22',
  'structured-outputs-2025-11-13',
  'task-budgets-2026-03-13',
  'thinking-display-updates-2026-08-18',
  'mid-conversation-output-config-2026-07-01',
  'thinking-binding-controls-2026-08-01',
  'mid-conversation-system-clear-at-2026-08-21',
  'compact-2026-09-04',
  'inline-tools-2026-09-15',
  'mcp-client-2026-09-15',
  'ce-plugins-2026-09-01',
  'spend-limit-reads-2026-09-26',
  'telemetry-destinations-2026-08-11',
  'webhooks-2026-10-07',
  'admin-user-sign-out-2026-10-08',
  'message-threads-2026-08-12',
  'analytics-usage-cost-2026-08-24',
  'experimental-claude-tag-2026-10-21',
  'message-batches-2024-09-24',
  'prompt-caching-2024-07-31',
  'pdfs-2024-09-25',
  'token-counting-2024-11-01',
  'token-efficient-tools-2025-02-19',
  'files-api-2025-04-14',
  'extended-cache-ttl-2025-04-11',
  'skills-2025-10-02',
  'cache-diagnosis-2026-04-07',
  'ce-user-management-2026-07-13',
  'ce-claude-code-managed-settings-2026-10-06',
  'user-profiles-billing-2026-10-01',
];

/** Whether the API knows this beta name. */
export function isKnownBeta(name: string): boolean {
  return KNOWN_BETAS.includes(name);
}

/**
 * The names in `anthropic-beta` header values: a comma list, possibly given in several headers
 * (repeats are fine). Blank items are skipped.
 */
export function betaNames(header: string | readonly string[] | undefined): string[] {
  const values = header === undefined ? [] : typeof header === 'string' ? [header] : header;
  return values
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);
}

/**
 * A warning for each beta name that is not in {@link KNOWN_BETAS}, with the closest known name:
 * a warning, not an error, since the API may know betas newer than this release.
 */
export function unknownBetaWarnings(betas: readonly string[] | undefined): string[] {
  const known = new Set(KNOWN_BETAS);
  return (betas ?? [])
    .filter((name) => !known.has(name))
    .map((name) => {
      const near = closest(name, KNOWN_BETAS);
      return `beta ${JSON.stringify(name)} is not one this version knows${near ? ` (did you mean ${near}?)` : ''}; the API refuses a beta it does not know`;
    });
}
