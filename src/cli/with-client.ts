/**
 * A Temporal client for one command, connected with Temporal's standard environment configuration, as the worker
 * connects; traced as the worker is when OpenTelemetry's variables say so (`OTEL_EXPORTER_OTLP_ENDPOINT`), so the
 * trace of a canceller starts at the command's StartWorkflow.
 */
import type { Client } from '@temporalio/client';
import { InvalidArgumentError } from '../domain/invalid-argument';
import { connectToTemporal, temporalTargetFromEnv } from '../temporal/temporal-connect';
import {
  DEFAULT_CLI_SERVICE_NAME,
  startTracing,
  tracingFromEnv,
  type Tracing,
  type TracingConfig,
} from '../temporal/tracing';
import { PROGRAM, type CliIo } from './command';

/** Connects, runs `use`, and closes the connection (and exports the command's spans). */
export async function withClient(io: CliIo, use: (client: Client) => Promise<number>): Promise<number> {
  const target = temporalTargetFromEnv(io.env);
  const tracesTo = cliTracing(io);
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

/**
 * Traces as OpenTelemetry's variables ask, or none, with one line on stderr, when they ask for what the command line
 * cannot do (`OTEL_EXPORTER_OTLP_PROTOCOL=grpc`, set for other programs…): traces are not what a command is run for,
 * and the same variables often serve every program of a machine. The worker refuses them instead.
 */
function cliTracing(io: CliIo): TracingConfig | undefined {
  try {
    return tracingFromEnv(io.env, DEFAULT_CLI_SERVICE_NAME);
  } catch (err) {
    if (!(err instanceof InvalidArgumentError)) throw err;
    io.stderr.write(`${PROGRAM}: not tracing this command (${err.message})\n`);
    return undefined;
  }
}
