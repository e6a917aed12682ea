import type {
  CacheControlEphemeral,
  ContainerUploadBlockParam,
  DocumentBlockParam,
  ImageBlockParam,
  MessageCreateParamsBase,
  MessageParam,
  OutputConfig,
  RedactedThinkingBlockParam,
  SearchResultBlockParam,
  ServerToolUseBlockParam,
  TextBlockParam,
  ThinkingBlockParam,
  ThinkingConfigParam,
  Tool,
  ToolChoice,
  ToolResultBlockParam,
  ToolUseBlockParam,
} from '@anthropic-ai/sdk/resources/messages/messages';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { z } from 'zod';
import type {
  CacheControlSchema,
  ContainerUploadBlockSchema,
  CustomToolSchema,
  DocumentBlockSchema,
  ImageBlockSchema,
  MessageSchema,
  OutputConfigSchema,
  RedactedThinkingBlockSchema,
  SearchResultBlockSchema,
  ServerToolUseBlockSchema,
  TextBlockSchema,
  ThinkingBlockSchema,
  ThinkingSchema,
  ToolChoiceSchema,
  ToolResultBlockSchema,
  ToolUseBlockSchema,
} from '../../src/core/requests/params-shape.js';
import type { ParamsSchema } from '../../src/core/requests/schema.js';

type Out<T extends z.ZodType> = z.output<T>;
type Params = Out<typeof ParamsSchema>;

/** Compiles only when _Sub is assignable to Super; counts the pins run. */
let pins = 0;
function assignable<_Sub extends Super, Super>(): void {
  pins += 1;
}

/**
 * Compile-time pins: what the schemas accept is a value of the SDK's own request types, so a
 * schema that drifts from the SDK (a field renamed, a type widened) fails `npm run typecheck`.
 */
describe('the request schemas match the SDK types', () => {
  it('params (but tools, whose server tools are checked by type only) are MessageCreateParamsBase', () => {
    // container.skills and a browser_state block's tabs are left to the API (unknown items)
    type Loose = 'tools' | 'messages' | 'container';
    assignable<Omit<Params, Loose>, Omit<MessageCreateParamsBase, Loose>>();
    assignable<Exclude<Params['container'], { skills?: unknown }>, MessageCreateParamsBase['container']>();
    assignable<Params['messages'][number]['role'], MessageParam['role']>();
    assignable<Exclude<Params['tools'], undefined>[number]['type'], Tool['type'] | string>();
    expectTypeOf<keyof Params>().toEqualTypeOf<keyof MessageCreateParamsBase>();
  });

  it('each block schema is its block param', () => {
    assignable<Out<typeof TextBlockSchema>, TextBlockParam>();
    assignable<Out<typeof ImageBlockSchema>, ImageBlockParam>();
    assignable<Out<typeof DocumentBlockSchema>, DocumentBlockParam>();
    assignable<Out<typeof SearchResultBlockSchema>, SearchResultBlockParam>();
    assignable<Out<typeof ThinkingBlockSchema>, ThinkingBlockParam>();
    assignable<Out<typeof RedactedThinkingBlockSchema>, RedactedThinkingBlockParam>();
    assignable<Out<typeof ToolUseBlockSchema>, ToolUseBlockParam>();
    type ToolResult = Out<typeof ToolResultBlockSchema>;
    assignable<Omit<ToolResult, 'content'>, Omit<ToolResultBlockParam, 'content'>>();
    assignable<
      Exclude<ToolResult['content'], undefined | string>[number] extends infer B
        ? B extends { type: 'browser_state' }
          ? never
          : B
        : never,
      Exclude<ToolResultBlockParam['content'], undefined | string>[number]
    >();
    assignable<Out<typeof ServerToolUseBlockSchema>, ServerToolUseBlockParam>();
    assignable<Out<typeof ContainerUploadBlockSchema>, ContainerUploadBlockParam>();
  });

  it('messages, tools and configs are the SDK types', () => {
    assignable<Out<typeof MessageSchema>['role'], MessageParam['role']>();
    assignable<Out<typeof CustomToolSchema>, Tool>();
    assignable<Out<typeof ToolChoiceSchema>, ToolChoice>();
    assignable<Out<typeof ThinkingSchema>, ThinkingConfigParam>();
    assignable<Out<typeof OutputConfigSchema>, OutputConfig>();
    assignable<Out<typeof CacheControlSchema>, CacheControlEphemeral | null | undefined>();
    expect(pins).toBe(21);
  });
});
