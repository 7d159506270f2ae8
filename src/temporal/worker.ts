/**
 * A worker that runs the canceller workflows and activities on one task queue.
 */
import { type NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import type { ActivityDeps } from '../../activities';
import { GcpLroPlugin } from './plugin';
import { DEFAULT_TASK_QUEUE } from '../domain/task-queue';
import { prebuiltWorkflowBundle, WORKFLOWS_PATH } from './workflow-bundle';

export { WORKFLOWS_PATH } from './workflow-bundle';

/** Options for {@link createCancellerWorker}. */
export interface CancellerWorkerOptions extends Omit<
  WorkerOptions,
  'activities' | 'workflowsPath' | 'taskQueue' | 'connection'
> {
  connection: NativeConnection;
  /** @default "gcp-lro" */
  taskQueue?: string;
  /** The activities' dependencies: see `activityDepsFromEnv` for the worker's real ones. */
  deps: ActivityDeps;
}

/**
 * Creates a worker for the canceller workflows. Pass `workflowBundle` to reuse one bundle across workers; otherwise
 * a built package loads the bundle its build wrote (`dist/workflow-bundle.js`), and sources are bundled from
 * {@link WORKFLOWS_PATH} (which takes seconds).
 */
export function createCancellerWorker(options: CancellerWorkerOptions): Promise<Worker> {
  const { deps, taskQueue, ...rest } = options;
  return Worker.create({
    ...(rest.workflowBundle ? {} : workflowCode(rest)),
    ...rest,
    taskQueue: taskQueue ?? DEFAULT_TASK_QUEUE,
    // The package's own worker is the plugin's first user: the activities and the Nexus service handler.
    plugins: [new GcpLroPlugin({ deps }), ...(rest.plugins ?? [])],
  });
}

function workflowCode(
  options: Partial<CancellerWorkerOptions>,
): Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath'> {
  const prebuilt = usesPrebuiltBundle(options) ? prebuiltWorkflowBundle() : undefined;
  return prebuilt ? { workflowBundle: prebuilt } : { workflowsPath: WORKFLOWS_PATH };
}

/**
 * Whether a worker with these options can run the prebuilt bundle: not when anything must be bundled in with the
 * workflows (workflow interceptor modules, plugins, which may add them, bundler options, custom payload or failure
 * converters); those workers bundle at start, as before.
 */
export function usesPrebuiltBundle(options: Partial<CancellerWorkerOptions>): boolean {
  const converter = options.dataConverter;
  return (
    !options.workflowBundle &&
    !options.interceptors?.workflowModules?.length &&
    !options.plugins?.length &&
    !(options.connection?.plugins?.length ?? 0) &&
    !options.bundlerOptions &&
    !converter?.payloadConverterPath &&
    !converter?.failureConverterPath
  );
}
