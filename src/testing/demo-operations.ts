/**
 * The demo's operations: one scripted Google operation per outcome, across the five seed services, with the
 * workflow input that reaches that outcome in seconds. `npm run demo` starts a workflow for each; the CLI's
 * `emulator --demo-operations` serves them so a person can start those workflows by hand.
 *
 * Operation URLs are real Google URLs; a worker with `LRO_EMULATOR_HOST` sends them to the emulator.
 */
import type { AwaitOperationInput, CancelOperationInput } from '../domain/canceller-input';
import type { OperationRefInput } from '../domain/operation-ref';
import type { Outcome } from '../domain/outcome';
import type { GoogleEmulator, ScriptedOperation } from './emulator';

/** The workflow fields of a demo input beyond the operation itself. */
type Extras<T> = Omit<T, keyof OperationRefInput>;

/** An operation the emulator serves, by its parts and its URL. */
export interface DemoOperationRef {
  /** The API host, e.g. `alloydb.googleapis.com`. */
  service: string;
  /** The API version in the URL, e.g. `v1beta`. */
  apiVersion: string;
  /** The operation's resource name, without a leading slash. */
  name: string;
  /** The operation's URL: `https://{service}/{apiVersion}/{name}`. */
  url: string;
}

interface DemoOperationBase extends DemoOperationRef {
  /** A short description for the demo's table, e.g. `AlloyDB: cancel confirmed`. */
  label: string;
  /** How the emulator plays the operation (its name, version and service come from the fields above). */
  script: Omit<ScriptedOperation, 'name' | 'apiVersion' | 'service'>;
  /** What the workflow must return. `timedOut` is checked only when given. */
  expected: { outcome: Outcome; timedOut?: boolean };
}

/** One demo operation and the workflow run against it. */
export type DemoOperation = DemoOperationBase &
  (
    | { workflow: 'cancelOperation'; input: Extras<CancelOperationInput> }
    | { workflow: 'awaitOperation'; input: Extras<AwaitOperationInput> }
  );

const PROJECT = 'projects/demo-project';

/** The demo's operations, one row each in `npm run demo`. */
export const DEMO_OPERATIONS: readonly DemoOperation[] = [
  demo({
    label: 'AlloyDB: cancel confirmed',
    service: 'alloydb.googleapis.com',
    apiVersion: 'v1beta',
    name: `${PROJECT}/locations/us-central1/operations/operation-create-cluster`,
    script: {
      metadata: { '@type': 'type.googleapis.com/google.cloud.alloydb.v1beta.OperationMetadata', verb: 'create' },
      afterCancel: { to: { kind: 'cancelled' }, afterPolls: 1 },
    },
    workflow: 'cancelOperation',
    input: {},
    expected: { outcome: 'CANCELLED' },
  }),
  demo({
    label: 'Cloud Deploy: finished before the cancel took',
    service: 'clouddeploy.googleapis.com',
    apiVersion: 'v1',
    name: `${PROJECT}/locations/europe-west1/operations/operation-create-release`,
    script: {
      metadata: { '@type': 'type.googleapis.com/google.cloud.deploy.v1.OperationMetadata', verb: 'create' },
      afterCancel: {
        to: {
          kind: 'succeeded',
          response: {
            '@type': 'type.googleapis.com/google.cloud.deploy.v1.Release',
            name: `${PROJECT}/locations/europe-west1/deliveryPipelines/web/releases/rel-42`,
          },
        },
      },
    },
    workflow: 'cancelOperation',
    input: {},
    expected: { outcome: 'COMPLETED' },
  }),
  demo({
    label: 'dai: failed instead',
    service: 'dai.googleapis.com',
    apiVersion: 'v1',
    name: 'operations/ingest/jobs/job-7',
    script: {
      cancelFlag: 'none',
      afterCancel: { to: { kind: 'failed', error: { code: 13, message: 'Ingestion worker lost.' } } },
    },
    workflow: 'cancelOperation',
    input: {},
    expected: { outcome: 'FAILED' },
  }),
  demo({
    label: 'Datastream: cancel not supported',
    service: 'datastream.googleapis.com',
    apiVersion: 'v1',
    name: `${PROJECT}/locations/us-east1/operations/operation-backfill-orders`,
    script: { onCancel: 'unimplemented' },
    workflow: 'cancelOperation',
    input: {},
    expected: { outcome: 'UNIMPLEMENTED' },
  }),
  demo({
    label: 'BeyondCorp: not cancellable',
    service: 'beyondcorp.googleapis.com',
    apiVersion: 'v1',
    name: 'organizations/demo-org/locations/global/operations/operation-create-tenant',
    script: { onCancel: 'failed-precondition' },
    workflow: 'cancelOperation',
    input: {},
    expected: { outcome: 'NOT_CANCELLABLE' },
  }),
  demo({
    label: 'AlloyDB: expired (404)',
    service: 'alloydb.googleapis.com',
    apiVersion: 'v1beta',
    name: `${PROJECT}/locations/us-central1/operations/operation-expired`,
    script: { initial: { kind: 'gone' } },
    workflow: 'cancelOperation',
    input: { notFoundGracePeriod: '2s' },
    expected: { outcome: 'NOT_FOUND' },
  }),
  demo({
    label: 'Cloud Deploy: cancel never confirmed',
    service: 'clouddeploy.googleapis.com',
    apiVersion: 'v1',
    name: `${PROJECT}/locations/europe-west1/operations/operation-stuck-rollout`,
    script: { afterCancel: { to: { kind: 'running' } } },
    workflow: 'cancelOperation',
    input: { timeout: '3s' },
    expected: { outcome: 'TIMED_OUT' },
  }),
  demo({
    label: 'AlloyDB: awaited, timed out, cancelled',
    service: 'alloydb.googleapis.com',
    apiVersion: 'v1beta',
    name: `${PROJECT}/locations/us-central1/operations/operation-create-backup`,
    script: {},
    workflow: 'awaitOperation',
    input: { timeout: '3s' },
    expected: { outcome: 'CANCELLED', timedOut: true },
  }),
  demo({
    label: 'BeyondCorp: awaited, finished in time',
    service: 'beyondcorp.googleapis.com',
    apiVersion: 'v1',
    name: 'organizations/demo-org/locations/global/operations/operation-update-connector',
    script: { finish: { to: { kind: 'done-without-result' }, afterPolls: 2 } },
    workflow: 'awaitOperation',
    input: { timeout: '1m' },
    expected: { outcome: 'COMPLETED', timedOut: false },
  }),
];

/**
 * Running AlloyDB operations that no demo workflow touches, to try by hand (Web UI or CLI). Each stays running
 * until cancelled, and confirms the cancel on the next poll.
 */
export const DEMO_SPARE_OPERATIONS: readonly DemoOperationRef[] = ['try-1', 'try-2', 'try-3'].map((id) =>
  withUrl({
    service: 'alloydb.googleapis.com',
    apiVersion: 'v1beta',
    name: `${PROJECT}/locations/us-central1/operations/operation-${id}`,
  }),
);

/** Serves every {@link DEMO_OPERATIONS} entry and the {@link DEMO_SPARE_OPERATIONS} on `emulator`. */
export function addDemoOperations(emulator: GoogleEmulator): void {
  for (const op of DEMO_OPERATIONS) {
    emulator.addOperation({ ...op.script, name: op.name, apiVersion: op.apiVersion, service: op.service });
  }
  for (const { name, apiVersion, service } of DEMO_SPARE_OPERATIONS) {
    emulator.addOperation({ name, apiVersion, service });
  }
}

/** `Omit` that keeps each member of a union apart. */
type WithoutUrl<T> = T extends unknown ? Omit<T, 'url'> : never;

function demo(op: WithoutUrl<DemoOperation>): DemoOperation {
  return withUrl(op) as DemoOperation;
}

function withUrl<T extends { service: string; apiVersion: string; name: string }>(ref: T): T & { url: string } {
  return { ...ref, url: `https://${ref.service}/${ref.apiVersion}/${ref.name}` };
}
