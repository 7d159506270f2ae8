/**
 * temporal-gcp-lro: cancel a Google Cloud long-running operation durably on Temporal — cancel, confirm, and
 * record.
 *
 * Node entry point: activities, worker and client helpers, and the pure domain types. Workflows are exported
 * from `temporal-gcp-lro/workflows`; the emulator and test servers from `temporal-gcp-lro/testing`.
 */
export { createActivities, type Activities, type ActivityDeps } from '../activities';
export { activityDepsFromEnv, EMULATOR_HOST_ENV } from './google/activity-deps';
export type { CancelAnswer, CancelRequestSent, GetAnswer } from './domain/call-answers';
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
} from './domain/canceller-api';
export {
  DEFAULT_NOT_FOUND_GRACE_MS,
  DEFAULT_TIMEOUT_MS,
  validateAwaitInput,
  validateCancelInput,
  type AwaitOperationInput,
  type CancelOperationInput,
  type CancellerSettings,
  type PollOptions,
} from './domain/canceller-input';
export { DEFAULT_POLL_SCHEDULE, pollDelay, type PollSchedule } from './domain/backoff';
export { cancellerStartOptions, startAwait, startCancel, type StartOptions } from './temporal/client';
export { CANCEL_ALL_ID_PREFIX, cancelAllWorkflowId, startCancelAll } from './temporal/bulk-client';
export {
  validateBulkInput,
  type BulkPollOptions,
  type BulkSettings,
  type CancelOperationsInput,
  type OperationSelector,
} from './domain/bulk-input';
export {
  bulkStatusQuery,
  type BulkRecordedOutcome,
  type BulkStatus,
  type CancelOperationsResult,
  type NotCancelled,
} from './domain/bulk-api';
export { BULK_OUTCOMES, type BulkOutcome } from './domain/bulk-progress';
export { EXIT_CODES, ExitError, exitCodeForOutcome } from './domain/exit-codes';
export {
  CLOUD_PLATFORM_SCOPE,
  googleAuthorizer,
  type GoogleAuthorizerOptions,
  type RequestAuthorizer,
} from './google/google-auth';
export { boundedErrorBody, MAX_ERROR_BODY_LENGTH, redactCredentials } from './domain/redaction';
export {
  ALLOWED_RESOURCES_ENV,
  ALLOWED_SERVICES_ENV,
  checkScope,
  fallsUnder,
  IMPERSONATION_ALLOWED_ENV,
  scopePolicyFromEnv,
  type ResourcePattern,
  type ScopePolicy,
} from './domain/scope-policy';
export {
  boundRetryDelay,
  MAX_RETRY_DELAY_MS,
  MIN_RETRY_DELAY_MS,
  parseErrorResponse,
  type GoogleCallError,
} from './domain/google-error';
export { createDispatcher, type DispatcherOptions } from './google/http-dispatcher';
export { InvalidArgumentError } from './domain/invalid-argument';
export { GOOGLE_API_ERRORS_METRIC, OUTCOMES_METRIC, POLLS_BUCKETS, POLLS_METRIC } from './domain/metrics';
export {
  ALLOWED_HOSTS_ENV,
  assertAllowed,
  isLoopback,
  parseAllowedHosts,
  type HostAllowlist,
  type HostTarget,
} from './domain/host-allowlist';
export {
  MAX_OPERATION_LENGTH,
  parseOperationRef,
  serviceForHost,
  type OperationRef,
  type OperationRefInput,
} from './domain/operation-ref';
export { GoogleCallFailure, OperationsClient, type OperationsClientOptions } from './google/operations-client';
export {
  summarizeOperation,
  type MetadataSummary,
  type OperationError,
  type OperationSummary,
} from './domain/operation-summary';
export {
  OUTCOMES,
  type AwaitOperationResult,
  type CancelOperationResult,
  type Outcome,
  type RecordedOutcome,
  type ResultError,
} from './domain/outcome';
export { isRetryable, RETRYABLE_RPC_CODES, RpcCode, rpcCodeFromHttpStatus, type RpcCodeName } from './domain/rpc-code';
export { ensureSearchAttributes } from './temporal/search-attribute-registration';
export {
  LRO_OPERATION,
  LRO_OUTCOME,
  LRO_SEARCH_ATTRIBUTES,
  LRO_SERVICE,
  operationSearchValue,
} from './domain/search-attributes';
export { boundedId, MAX_ID_LENGTH } from './domain/bounded-id';
export { DEFAULT_TASK_QUEUE } from './domain/task-queue';
export {
  connectToTemporal,
  DEFAULT_CONNECT_TIMEOUT_MS,
  TASK_QUEUE_ENV,
  temporalTargetFromEnv,
  type TemporalTarget,
} from './temporal/temporal-connect';
export { createCancellerWorker, WORKFLOWS_PATH, type CancellerWorkerOptions } from './temporal/worker';
export { GcpLroPlugin, type GcpLroPluginOptions } from './temporal/plugin';
export { lroNexusServiceHandler } from './temporal/nexus-handler';
export { LRO_NEXUS_SERVICE_NAME, lroNexusService } from './domain/nexus-service';
export {
  CANCEL_ACTIVITY_SUMMARY,
  currentDetails,
  pollActivitySummary,
  pollTimerSummary,
  startSummary,
} from './domain/web-ui';
export {
  METRICS_BIND_ENV,
  runWorker,
  SKIP_SEARCH_ATTRIBUTE_REGISTRATION_ENV,
  workerMain,
  type RunWorkerOptions,
} from './temporal/worker-main';
export { awaitWorkflowId, cancelWorkflowId } from './domain/workflow-id';
export {
  DEFAULT_WORKER_SERVICE_NAME,
  OTLP_ENDPOINT_ENV,
  OTLP_TRACES_ENDPOINT_ENV,
  SERVICE_NAME_ENV,
  startTracing,
  tracingFromEnv,
  type Tracing,
  type TracingConfig,
} from './temporal/tracing';
export { GOOGLE_RPC_SYSTEM } from './google/call-span';
