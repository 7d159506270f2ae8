/**
 * Worker Deployment Versioning for the worker process: its deployment name and build ID from the environment, and
 * the versioning behaviour its workflows run with.
 */
import type { VersioningBehavior } from '@temporalio/common';
import type { WorkerDeploymentOptions } from '@temporalio/worker';
import { InvalidArgumentError } from '../domain/invalid-argument';

/** The Worker Deployment the worker belongs to, e.g. `gcp-lro`. Set with {@link BUILD_ID_ENV}, or neither. */
export const DEPLOYMENT_NAME_ENV = 'LRO_DEPLOYMENT_NAME';
/** The build this worker runs, e.g. its image tag or commit. Set with {@link DEPLOYMENT_NAME_ENV}, or neither. */
export const BUILD_ID_ENV = 'LRO_BUILD_ID';

/**
 * How the cancellers (and the bulk cancel and its batches) move between builds: `AUTO_UPGRADE`, to the Current
 * Version at their next workflow task.
 *
 * A canceller can wait for days and continues as new along the way. Pinned, every one would have to finish on the
 * build it started on: operators would keep each old build's workers running until its last canceller ended, and a
 * build retired sooner would leave its cancellers with no worker at all. Auto-upgrade asks instead that a build
 * replays the histories of the builds before it, which this package already guarantees for every release: the
 * committed histories replay in `test/replay.test.ts`, and changes to what a workflow does go behind `patched()`.
 *
 * It is the worker's default rather than an annotation on each workflow because a workflow that declares a
 * behaviour cannot complete a single workflow task on an unversioned worker (the server refuses it), and the
 * package's workflows run on unversioned workers too.
 */
export const CANCELLER_VERSIONING_BEHAVIOR: VersioningBehavior = 'AUTO_UPGRADE';

/**
 * The longest deployment name, and the longest build ID, in bytes. The server names the workflow behind each version
 * `temporal-sys-worker-deployment-version:<name>:<build ID>` and allows each of the two (`limit.maxIDLength` − 39) / 2
 * bytes: 108 where workflow IDs are limited to 255, as in this package's docker-compose stack and Temporal's other SQL
 * stacks. A worker over it starts and polls, but its version is never registered, so it can never be made current
 * and never receives a task; we refuse it first.
 */
export const MAX_VERSION_FIELD_BYTES = 108;

/**
 * Reads {@link DEPLOYMENT_NAME_ENV} and {@link BUILD_ID_ENV}: `undefined` when neither is set (an unversioned
 * worker, as before), otherwise the versioned worker's `workerDeploymentOptions` with
 * {@link CANCELLER_VERSIONING_BEHAVIOR}. Throws `InvalidArgumentError` naming the variable for one without the
 * other, or for a value the server would refuse without a word (the worker would start and never get a task).
 */
export function workerDeploymentFromEnv(env: NodeJS.ProcessEnv = process.env): WorkerDeploymentOptions | undefined {
  const deploymentName = env[DEPLOYMENT_NAME_ENV]?.trim() ?? '';
  const buildId = env[BUILD_ID_ENV]?.trim() ?? '';
  if (!deploymentName && !buildId) return undefined;
  if (!deploymentName) throw bothOrNeither(DEPLOYMENT_NAME_ENV, BUILD_ID_ENV);
  if (!buildId) throw bothOrNeither(BUILD_ID_ENV, DEPLOYMENT_NAME_ENV);
  // The server reads '.' and ':' as the separator between a deployment name and a build ID.
  if (/[.:]/.test(deploymentName)) {
    throw new InvalidArgumentError(DEPLOYMENT_NAME_ENV, "must not contain '.' or ':'", deploymentName);
  }
  for (const [name, value] of [
    [DEPLOYMENT_NAME_ENV, deploymentName],
    [BUILD_ID_ENV, buildId],
  ] as const) {
    if (value.startsWith('__')) throw new InvalidArgumentError(name, "must not start with '__' (Temporal's)", value);
    // The worker's start-up line shows both: one line per event.
    if (/\p{Cc}/u.test(value)) throw new InvalidArgumentError(name, 'must not contain control characters', value);
    const bytes = Buffer.byteLength(value, 'utf8');
    if (bytes > MAX_VERSION_FIELD_BYTES) {
      throw new InvalidArgumentError(
        name,
        `must be at most ${MAX_VERSION_FIELD_BYTES} bytes, not ${bytes}: a server whose workflow IDs are limited to ` +
          `255 (limit.maxIDLength) never registers a version with a longer deployment name or build ID`,
      );
    }
  }
  return {
    useWorkerVersioning: true,
    version: { deploymentName, buildId },
    defaultVersioningBehavior: CANCELLER_VERSIONING_BEHAVIOR,
  };
}

/** What the worker's start-up line says of its deployment: nothing for an unversioned worker. */
export function describeDeployment(options: WorkerDeploymentOptions | undefined): string {
  if (!options?.useWorkerVersioning) return '';
  const { deploymentName, buildId } = options.version;
  return `; build "${buildId}" of Worker Deployment "${deploymentName}" (${options.defaultVersioningBehavior})`;
}

function bothOrNeither(missing: string, set: string): InvalidArgumentError {
  return new InvalidArgumentError(missing, `must be set when ${set} is (set both to run versioned, or neither)`);
}
