/**
 * A Temporal client for one command, connected with Temporal's standard environment configuration, as the worker
 * connects.
 */
import type { Client } from '@temporalio/client';
import { connectToTemporal, temporalTargetFromEnv } from '../temporal/temporal-connect';
import type { CliIo } from './command';

/** Connects, runs `use`, and closes the connection. */
export async function withClient(io: CliIo, use: (client: Client) => Promise<number>): Promise<number> {
  const target = temporalTargetFromEnv(io.env);
  const connection = await connectToTemporal(target);
  const { Client } = await import('@temporalio/client');
  try {
    return await use(new Client({ connection, namespace: target.namespace }));
  } finally {
    await connection.close().catch(() => undefined);
  }
}
