/**
 * The package's workflows. A host worker registers them with
 * `workflowsPath: require.resolve('temporal-gcp-lro/workflows')`; parents import them for `executeChild`.
 */
export { cancelOperation } from './cancel-operation';
export { awaitOperation } from './await-operation';
export { cancelOperations } from './cancel-operations';
export { cancelOperationsBatch } from './cancel-operations-batch';
export type { CancellerState } from './canceller';
export { executeAwaitOperation, executeCancelOperation, type CancellerChildOptions } from './execute-canceller';
export { awaitWorkflowId, cancelWorkflowId } from './bounded-ids';
export {
  cancellerFinishedSignal,
  extendTimeoutUpdate,
  giveUpSignal,
  joinSignal,
  pollNowSignal,
  statusQuery,
  type CancellerFinished,
  type CancellerStatus,
  type CancellerWaiter,
} from '../src/domain/canceller-api';
export type { AwaitOperationInput, CancelOperationInput, PollOptions } from '../src/domain/canceller-input';
export type {
  AwaitOperationResult,
  CancelOperationResult,
  Outcome,
  RecordedOutcome,
  ResultError,
} from '../src/domain/outcome';
export { LRO_NEXUS_SERVICE_NAME, lroNexusService } from '../src/domain/nexus-service';
export {
  batchProgressSignal,
  batchStatusQuery,
  bulkStatusQuery,
  type BatchProgress,
  type BulkRecordedOutcome,
  type BulkStatus,
  type CancelOperationsResult,
  type NotCancelled,
} from '../src/domain/bulk-api';
export type { BulkPollOptions, CancelOperationsInput, OperationSelector } from '../src/domain/bulk-input';
export type { BulkOutcome } from '../src/domain/bulk-progress';
