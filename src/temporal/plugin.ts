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
   * @default read from the worker's environment when the worker is created, as `npm start` reads them
   * (`activityDepsFromEnv`); the plugin then closes their HTTP dispatcher when the worker stops
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
 * `cancellerOutcome`) with real dependencies from the environment (or yours), and the Nexus service handler. A
 * worker that already has an activity of one of those names is refused, rather than one silently replacing the
 * other.
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
    /** Dependencies the plugin built itself, and so must close. */
    const owned: ActivityDeps[] = [];
    super({
      name: 'temporal-gcp-lro',
      // Built when a worker is created, not when the plugin is: a client or a replayer never reads the environment.
      activities: (existing: object | undefined) => {
        let deps = options.deps;
        if (!deps) owned.push((deps = activityDepsFromEnv()));
        const ours = createActivities(deps);
        const clashes = Object.keys(ours).filter((name) => existing && Object.hasOwn(existing, name));
        if (clashes.length > 0) {
          throw new TypeError(
            `GcpLroPlugin: the worker already has activities named ${clashes.join(', ')}; the package registers ` +
              `activities of those names (rename yours, or run the package on a task queue of its own)`,
          );
        }
        return { ...existing, ...ours };
      },
      ...(options.nexus === false ? {} : { nexusServices: [lroNexusServiceHandler] }),
      runContext: async (next) => {
        try {
          await next();
        } finally {
          await Promise.all(owned.splice(0).map((deps) => deps.dispatcher.close()));
        }
      },
    });
  }
}
