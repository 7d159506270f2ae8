/**
 * The package's workflows. A host worker registers them with
 * `workflowsPath: require.resolve('temporal-gcp-lro/workflows')`; parents import them for `executeChild`.
 */
export { cancelOperation } from './cancel-operation';
export { awaitOperation } from './await-operation';
export type { CancellerState } from './canceller';
export { awaitWorkflowId, cancelWorkflowId } from '../src/workflow-id';
export {
  extendTimeoutUpdate,
  giveUpSignal,
  pollNowSignal,
  statusQuery,
  type CancellerStatus,
} from '../src/canceller-api';
export type { AwaitOperationInput, CancelOperationInput, PollOptions } from '../src/canceller-input';
export type { AwaitOperationResult, CancelOperationResult, Outcome, RecordedOutcome } from '../src/outcome';
