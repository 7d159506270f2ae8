/**
 * Whether Temporal still answers the worker's connection, for `/readyz`. The SDK keeps its pollers `POLLING` while
 * Core retries them, from before the first poll came back and through an outage, so the worker's status alone cannot
 * tell; a cheap call on the same connection every few seconds can. Node only.
 */
import type { NativeConnection } from '@temporalio/worker';
import { redactCredentials } from '../domain/redaction';
import { connectFailureReason } from './temporal-connect';

/** What the checks found so far. */
export interface TemporalReachability {
  /** When Temporal last answered (`Date.now()`), if it has. */
  answeredAt?: number;
  /** Why the last check failed, when it did. */
  error?: string;
}

/** Options for {@link watchTemporal}. */
export interface WatchTemporalOptions {
  /** Pause between the end of one check and the start of the next. @default 5000 */
  everyMs?: number;
  /** A check with no answer by then counts as failed (Core retries it for up to 10 s more). @default 3000 */
  timeoutMs?: number;
}

/** A running {@link watchTemporal}. */
export interface TemporalWatch {
  /** What the checks found so far. */
  reachability(): TemporalReachability;
  /** Stops checking (a check in flight ends with the connection). */
  stop(): void;
}

/** The part of a connection the checks use. */
export type CheckedConnection = Pick<NativeConnection, 'workflowService' | 'withDeadline'>;

/**
 * Asks Temporal for its system info (the call every SDK makes when it connects, allowed to any client) now and then
 * `everyMs` after each answer, failure or timeout: a call that never ends (a network that drops packets silently)
 * does not stop the checks.
 */
export function watchTemporal(connection: CheckedConnection, options: WatchTemporalOptions = {}): TemporalWatch {
  const everyMs = options.everyMs ?? 5_000;
  const timeoutMs = options.timeoutMs ?? 3_000;
  let found: TemporalReachability = {};
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;

  const check = (): void => {
    let next = false;
    const scheduleNext = (): void => {
      if (next || stopped) return;
      next = true;
      timer = setTimeout(check, everyMs);
      timer.unref();
    };
    // The deadline ends the call (DEADLINE_EXCEEDED is not retried); this timer is for a call that ends later still.
    // A late answer still counts.
    const late = setTimeout(() => {
      found = { ...found, error: `no answer within ${timeoutMs} ms` };
      scheduleNext();
    }, timeoutMs);
    late.unref();
    void connection
      .withDeadline(Date.now() + timeoutMs, () => connection.workflowService.getSystemInfo({}))
      .then(
        () => {
          found = { answeredAt: Date.now() };
        },
        (err: unknown) => {
          found = { ...found, error: redactCredentials(connectFailureReason(err)) };
        },
      )
      .finally(() => {
        clearTimeout(late);
        scheduleNext();
      });
  };
  check();

  return {
    reachability: () => found,
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
