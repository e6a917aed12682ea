/** API shapes used across the core, re-exported from the SDK so names match it exactly. */
export type {
  DeletedMessageBatch,
  MessageBatch,
  MessageBatchIndividualResponse,
  MessageBatchRequestCounts,
} from '@anthropic-ai/sdk/resources/messages/batches';
