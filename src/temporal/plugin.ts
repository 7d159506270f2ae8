/**
 * The package as a Temporal plugin: one entry in your worker's `plugins` adds the canceller's activities and the
 * Nexus service handler. The workflows come from one re-export line in your workflows file
 * (`export * from 'temporal-gcp-lro/workflows';`): a plugin cannot merge a second workflows module into yours.
 */
import { SimplePlugin } from '@temporalio/plugin';
import { createActivities, type ActivityDeps } from '../../activities';
import { activityDepsFromEnv } from '../google/activity-deps';
import { lroNexusServiceHandler } from './nexus-handler';

/** Options for {@link GcpLroPlugin}. */
export interface GcpLroPluginOptions {
  /**
   * The activities' dependencies.
   * @default read from the worker's environment, as `npm start` reads them (`activityDepsFromEnv`)
   */
  deps?: ActivityDeps;
  /**
   * Register the Nexus service handler (`lroNexusService`), for callers in other namespaces.
   * @default true
   */
  nexus?: boolean;
}

/**
 * Adds the package to a worker: the activities (`cancelAndGet`, `getOperation`, `requestCancel`,
 * `cancellerOutcome`) with real dependencies from the environment (or yours), and the Nexus service handler.
 *
 * @example
 * ```ts
 * const worker = await Worker.create({
 *   connection,
 *   taskQueue: 'my-queue',
 *   workflowsPath: require.resolve('./workflows'), // with: export * from 'temporal-gcp-lro/workflows';
 *   plugins: [new GcpLroPlugin()],
 * });
 * ```
 */
export class GcpLroPlugin extends SimplePlugin {
  constructor(options: GcpLroPluginOptions = {}) {
    const deps = options.deps ?? activityDepsFromEnv();
    super({
      name: 'temporal-gcp-lro',
      activities: createActivities(deps),
      ...(options.nexus === false ? {} : { nexusServices: [lroNexusServiceHandler] }),
    });
  }
}
