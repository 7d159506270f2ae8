/**
 * The package's workflows. A host worker registers them with
 * `workflowsPath: require.resolve('temporal-gcp-lro/workflows')`; parents import them for `executeChild`.
 */
export { cancelOperation } from './cancel-operation';
export { awaitOperation } from './await-operation';
export type { CancellerState } from './canceller';
