/**
 * The package's Nexus service: `cancelOperation` and `awaitOperation` as Nexus operations, for callers in other
 * namespaces. Callers import the definition (it is sandbox-safe) and call it through an endpoint:
 * `createNexusServiceClient({ service: lroNexusService, endpoint })`.
 *
 * Pure: safe to import from workflow code.
 */
import * as nexus from 'nexus-rpc';
import type { AwaitOperationInput, CancelOperationInput } from './canceller-input';
import type { AwaitOperationResult, CancelOperationResult } from './outcome';

/** The service's name, as endpoints and callers see it. */
export const LRO_NEXUS_SERVICE_NAME = 'gcp-lro';

/**
 * The Nexus service definition: each operation is backed by the canceller workflow of the operation it names
 * (workflow ID `cancelWorkflowId` / `awaitWorkflowId`), so two callers for one operation share one canceller, and
 * cancelling a caller's Nexus operation cancels that canceller (`ABANDONED`).
 */
export const lroNexusService = nexus.service(LRO_NEXUS_SERVICE_NAME, {
  cancelOperation: nexus.operation<CancelOperationInput, CancelOperationResult>(),
  awaitOperation: nexus.operation<AwaitOperationInput, AwaitOperationResult>(),
});
