/**
 * A worker that runs the canceller workflows and activities on one task queue.
 */
import { type NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import type { ActivityDeps } from '../../activities';
import { GcpLroPlugin } from './plugin';
import { DEFAULT_TASK_QUEUE } from '../domain/task-queue';

/** The path a worker bundles the workflows from (source under ts-jest, `dist/` when built). */
export const WORKFLOWS_PATH = require.resolve('../../workflows');

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
 * Creates a worker for the canceller workflows. Pass `workflowBundle` to reuse one bundle across workers
 * (bundling takes seconds); otherwise the workflows are bundled from {@link WORKFLOWS_PATH}.
 */
export function createCancellerWorker(options: CancellerWorkerOptions): Promise<Worker> {
  const { deps, taskQueue, ...rest } = options;
  return Worker.create({
    ...(rest.workflowBundle ? {} : { workflowsPath: WORKFLOWS_PATH }),
    ...rest,
    taskQueue: taskQueue ?? DEFAULT_TASK_QUEUE,
    // The package's own worker is the plugin's first user: the activities and the Nexus service handler.
    plugins: [new GcpLroPlugin({ deps }), ...(rest.plugins ?? [])],
  });
}
