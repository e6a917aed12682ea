import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { betaNames, isKnownBeta, KNOWN_BETAS } from '../../src/core/api/betas.js';

const SDK_BETA = 'node_modules/@anthropic-ai/sdk/src/resources/beta/beta.ts';

/** The literal names of the SDK's `AnthropicBeta` type, read from its source. */
function sdkBetaNames(): string[] {
  const source = readFileSync(SDK_BETA, 'utf8');
  const block = /export type AnthropicBeta =([\s\S]*?);/.exec(source)?.[1] ?? '';
  return [...block.matchAll(/\|\s*'([^']+)'/g)].map((m) => m[1] as string);
}

describe('known betas', () => {
  it("are exactly the names of the SDK's AnthropicBeta type", () => {
    const names = sdkBetaNames();
    expect(names.length).toBeGreaterThan(20);
    expect([...KNOWN_BETAS].sort()).toEqual([...new Set(names)].sort());
    expect(isKnownBeta('message-batches-2024-09-24')).toBe(true);
    expect(isKnownBeta('not-a-real-beta-2099-01-01')).toBe(false);
  });

  it('reads comma lists and repeated headers', () => {
    expect(betaNames(undefined)).toEqual([]);
    expect(betaNames('a, b,,c')).toEqual(['a', 'b', 'c']);
    expect(betaNames(['a', 'b,a'])).toEqual(['a', 'b', 'a']);
  });
});
