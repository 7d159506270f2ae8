/**
 * How the command line and the worker process end: one exit code per outcome, so scripts can branch on
 * `$?`, and a start-up error that carries its code and a one-line message.
 *
 * Pure: no Node built-ins.
 */
import type { Outcome } from './outcome';

/**
 * Exit codes of `temporal-gcp-lro` (and of `node dist/src/temporal/worker-main.js`).
 *
 * The outcome codes apply to `cancel --wait` and `await --wait`; `CANCELLED` shares 0 with plain success.
 */
export const EXIT_CODES = {
  /** Success (a command without `--wait`, a clean worker shutdown). */
  OK: 0,
  /** With `--wait`: the operation was cancelled. */
  CANCELLED: 0,
  /** The operation finished anyway, with a response or with neither result. */
  COMPLETED: 10,
  /** The operation finished anyway, with another error. */
  FAILED: 11,
  /** The service does not support cancellation. */
  UNIMPLEMENTED: 12,
  /** The cancel answered FAILED_PRECONDITION and the operation is still running. */
  NOT_CANCELLABLE: 13,
  /** The operation does not exist (after the grace period). */
  NOT_FOUND: 14,
  /** The timeout passed and the operation is still running. */
  TIMED_OUT: 15,
  /** The workflow failed (outcome `ERROR`: permission denied, ...), was cancelled, or another runtime error. */
  ERROR: 1,
  /** Bad input or usage: operation URL, flag, duration, environment variable. */
  USAGE: 2,
  /** Temporal cannot be reached. */
  UNREACHABLE: 3,
} as const satisfies Record<Outcome | 'OK' | 'ERROR' | 'USAGE' | 'UNREACHABLE', number>;

/** The exit code for a canceller's outcome. */
export function exitCodeForOutcome(outcome: Outcome): number {
  return EXIT_CODES[outcome];
}

/**
 * A problem that ends the process with {@link ExitError.exitCode}: bad configuration, Temporal unreachable,
 * no Google credentials, a canceller that ended without an outcome. Its message is one line, printed as is
 * (no stack trace).
 */
export class ExitError extends Error {
  override readonly name = 'ExitError';

  constructor(
    message: string,
    /** The exit code, from {@link EXIT_CODES}. */
    readonly exitCode: number,
  ) {
    super(message);
  }
}

/** The first line of an error's message, for one-line reports. */
export function firstLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return (message.split('\n')[0] ?? '').trim();
}
