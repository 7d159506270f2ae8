/**
 * `temporal-gcp-lro/testing`: the local Google emulator and offline Temporal servers, for this package's
 * tests and demo and for your own.
 */
export {
  addDemoOperations,
  DEMO_OPERATIONS,
  DEMO_SPARE_OPERATIONS,
  type DemoOperation,
  type DemoOperationRef,
} from './demo-operations';
export {
  EMULATOR_UNIVERSE_DOMAIN,
  GoogleEmulator,
  type ConnectionKind,
  type ConnectionStats,
  type EmulatorOptions,
  type FaultName,
  type FaultOptions,
  type OperationState,
  type RecordedRequest,
  type ScriptedError,
  type ScriptedFailure,
  type ScriptedFailureFilter,
  type ScriptedRawAnswer,
  type ScriptedReset,
  type ScriptedStall,
  type ScriptedOperation,
  type ServiceAccountKey,
  type ServiceBehaviour,
  type Transition,
} from './emulator';
export {
  findTemporalBinary,
  TEMPORAL_CLI,
  TEMPORAL_TEST_SERVER,
  temporalCacheDir,
  type TemporalBinary,
} from './temporal-binaries';
export { startDevServer, startTimeSkippingServer, type DevServerOptions } from './temporal-servers';
export { freePort } from './free-port';
export { seededRandom } from './seeded-random';
