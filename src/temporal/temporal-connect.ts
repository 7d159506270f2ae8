/**
 * Connecting to Temporal the way its own CLI does, for the worker process and the command line:
 * `@temporalio/envconfig` reads `TEMPORAL_ADDRESS`, `TEMPORAL_NAMESPACE`, `TEMPORAL_API_KEY`, the
 * `TEMPORAL_TLS*` settings, `TEMPORAL_PROFILE` and the config file, so one binary reaches a dev server, a
 * self-hosted cluster or Temporal Cloud. Node only.
 */
import { loadClientConnectConfig } from '@temporalio/envconfig';
import type { NativeConnection, NativeConnectionOptions } from '@temporalio/worker';
import { EXIT_CODES, firstLine, ExitError } from '../domain/exit-codes';

/** The task queue the worker polls and the command line starts cancellers on. */
export const TASK_QUEUE_ENV = 'TEMPORAL_TASK_QUEUE';

/** Where the SDK connects when nothing is configured. */
export const DEFAULT_TEMPORAL_ADDRESS = 'localhost:7233';

/** How long a start-up connection attempt may take before we report Temporal unreachable. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;

/** A Temporal server and namespace, from the environment configuration. */
export interface TemporalTarget {
  /** `host:port`, for messages. */
  address: string;
  namespace: string;
  connectionOptions: NativeConnectionOptions;
}

/**
 * Reads the connection settings from `env` and the Temporal config file (profile `TEMPORAL_PROFILE`, else
 * `default`). Throws {@link ExitError} (exit code 2) for an unreadable file or an unknown profile.
 */
export function temporalTargetFromEnv(env: NodeJS.ProcessEnv = process.env): TemporalTarget {
  let config;
  try {
    config = loadClientConnectConfig(env === process.env ? {} : { overrideEnvVars: definedOnly(env) });
  } catch (err) {
    throw new ExitError(`Temporal configuration: ${firstLine(err)}`, EXIT_CODES.USAGE);
  }
  const { connectionOptions } = config;
  return {
    address: connectionOptions.address ?? DEFAULT_TEMPORAL_ADDRESS,
    namespace: config.namespace ?? 'default',
    connectionOptions,
  };
}

/**
 * Opens a connection (usable by a worker and by a `Client`), giving up after `timeoutMs`. Throws
 * {@link ExitError} (exit code 3) with one line naming the address.
 */
export async function connectToTemporal(
  target: TemporalTarget,
  timeoutMs: number = DEFAULT_CONNECT_TIMEOUT_MS,
): Promise<NativeConnection> {
  // Loaded here so that the command line answers --help and usage errors without loading the native bridge.
  const { NativeConnection } = await import('@temporalio/worker');
  const attempt = NativeConnection.connect(target.connectionOptions);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([attempt, timeout]);
  } catch (err) {
    // A connection that arrives after we gave up must not keep the process alive.
    attempt.then((late) => late.close()).catch(() => undefined);
    throw new ExitError(
      `cannot connect to Temporal at ${target.address} (${connectFailureReason(err)})`,
      EXIT_CODES.UNREACHABLE,
    );
  } finally {
    clearTimeout(timer);
  }
}

/** The useful part of a connection error: Core's are nested Rust debug strings. */
export function connectFailureReason(err: unknown): string {
  const text = firstLine(err);
  const quoted = [...text.matchAll(/(?:message|error): "((?:[^"\\]|\\.)*)"/g)].map((m) => m[1] ?? '');
  const reason = quoted.at(-1) || /ConnectError\("((?:[^"\\]|\\.)*)"/.exec(text)?.[1] || text;
  return reason.length > 200 ? `${reason.slice(0, 200)}…` : reason;
}

function definedOnly(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined));
}
