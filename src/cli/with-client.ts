/**
 * A Temporal client for one command, connected with Temporal's standard environment configuration, as the worker
 * connects; traced as the worker is when OpenTelemetry's variables say so (`OTEL_EXPORTER_OTLP_ENDPOINT`), so the
 * trace of a canceller starts at the command's StartWorkflow.
 */
import type { Client } from '@temporalio/client';
import { connectToTemporal, temporalTargetFromEnv } from '../temporal/temporal-connect';
import { DEFAULT_CLI_SERVICE_NAME, startTracing, tracingFromEnv, type Tracing } from '../temporal/tracing';
import type { CliIo } from './command';

/** Connects, runs `use`, and closes the connection (and exports the command's spans). */
export async function withClient(io: CliIo, use: (client: Client) => Promise<number>): Promise<number> {
  const target = temporalTargetFromEnv(io.env);
  const tracesTo = tracingFromEnv(io.env, DEFAULT_CLI_SERVICE_NAME);
  const connection = await connectToTemporal(target);
  let tracing: Tracing | undefined;
  try {
    const { Client } = await import('@temporalio/client');
    tracing = tracesTo ? await startTracing(tracesTo) : undefined;
    return await use(new Client({ connection, namespace: target.namespace, plugins: tracing ? [tracing.plugin] : [] }));
  } finally {
    await connection.close().catch(() => undefined);
    await tracing?.shutdown().catch(() => undefined);
  }
}
