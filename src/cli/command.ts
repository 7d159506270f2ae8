/**
 * What every command shares: the shape of a command, the I/O it writes to, and the options and input
 * fields the `cancel` and `await` commands have in common.
 */
import type { Duration } from '@temporalio/common';
import type { CancelOperationInput } from '../domain/canceller-input';
import { InvalidArgumentError } from '../domain/invalid-argument';
import type { OperationRefInput } from '../domain/operation-ref';
import { DEFAULT_TASK_QUEUE } from '../domain/task-queue';
import { TASK_QUEUE_ENV } from '../temporal/temporal-connect';

/** The program's name, as users type it. */
export const PROGRAM = 'temporal-gcp-lro';

/** Where the command line writes, and what it reads; tests and embedders may replace them. */
export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
}

/** A flag's type, as `node:util` `parseArgs` takes it. */
export type OptionSpec = { type: 'string' | 'boolean'; short?: string };
/** Parsed flags. */
export type Values = Record<string, string | boolean | undefined>;

/** One command of the command line. */
export interface Command {
  usage: string;
  summary: string;
  /** Option lines for `--help`, already aligned. */
  help: string;
  options: Record<string, OptionSpec>;
  /** How many positionals it takes. */
  positionals: 0 | 1;
  /** Runs it and resolves to the exit code; throws for a one-line error (see `describeError`). */
  run(values: Values, positionals: string[], io: CliIo): Promise<number>;
}

export const REF_HELP = `  --service <host>        the API host, with a resource name instead of a URL (e.g. alloydb.googleapis.com)
  --api-version <v>       the API version, with a resource name (e.g. v1beta)`;
export const START_HELP = `  --task-queue <queue>    where the worker polls (default: $${TASK_QUEUE_ENV}, else ${DEFAULT_TASK_QUEUE})
  --not-found-grace <d>   how long NOT_FOUND is taken as "not visible yet" (default 30s)
  --poll-interval <d>     first GetOperation interval; it backs off from there (default 1s)
  --impersonate <email>   act as this service account (the worker's LRO_IMPERSONATION_ALLOWED must allow it)
  --wait                  stay, show progress, and exit with the outcome's code`;
export const REF_OPTIONS: Record<string, OptionSpec> = {
  service: { type: 'string' },
  'api-version': { type: 'string' },
};
export const START_OPTIONS: Record<string, OptionSpec> = {
  ...REF_OPTIONS,
  'task-queue': { type: 'string' },
  'not-found-grace': { type: 'string' },
  'poll-interval': { type: 'string' },
  impersonate: { type: 'string' },
  wait: { type: 'boolean' },
};

/** Input fields named by their flags in error messages. */
export const FLAG_FOR_FIELD: Readonly<Record<string, string>> = {
  timeout: '--timeout',
  cancelTimeout: '--cancel-timeout',
  notFoundGracePeriod: '--not-found-grace',
  'poll.initialInterval': '--poll-interval',
  'poll.maximumInterval': '--poll-interval',
  service: '--service',
  impersonate: '--impersonate',
  apiVersion: '--api-version',
  'select.service': '--service',
  'select.apiVersion': '--api-version',
  'select.parent': '--parent',
  'select.filter': '--filter',
  'select.createdBefore': '--created-before',
  'select.metadataType': '--metadata-type',
  concurrency: '--concurrency',
  cancelsPerSecond: '--cancels-per-second',
  maxOperations: '--max-operations',
  'poll.mode': '--poll-mode',
};

/** The operation reference from the positional and `--service`/`--api-version`. */
export function refInput(operation: string | undefined, values: Values): OperationRefInput {
  return {
    operation: operation ?? '',
    ...optional('service', values['service']),
    ...optional('apiVersion', values['api-version']),
  };
}

/** The input fields `--not-found-grace`, `--poll-interval` and `--impersonate` set. */
export function startFields(
  values: Values,
): Pick<CancelOperationInput, 'notFoundGracePeriod' | 'poll' | 'impersonate'> {
  const interval = values['poll-interval'];
  return {
    ...duration('notFoundGracePeriod', values['not-found-grace']),
    ...(typeof interval === 'string' ? { poll: { initialInterval: interval as Duration } } : {}),
    ...optional('impersonate', values['impersonate']),
  };
}

export function optional<K extends string>(key: K, value: string | boolean | undefined): Partial<Record<K, string>> {
  return typeof value === 'string' ? ({ [key]: value } as Record<K, string>) : {};
}

/** Durations are checked by the input validators, which name the field. */
export function duration<K extends string>(key: K, value: string | boolean | undefined): Partial<Record<K, Duration>> {
  return optional(key, value) as Partial<Record<K, Duration>>;
}

/** `--task-queue`, else `TEMPORAL_TASK_QUEUE`, else the default. */
export function taskQueueOf(values: Values, io: CliIo): string {
  const flag = values['task-queue'];
  return typeof flag === 'string' ? flag : io.env[TASK_QUEUE_ENV]?.trim() || DEFAULT_TASK_QUEUE;
}

/** A whole-number flag within bounds, or `fallback` when absent. */
export function parseCount(
  flag: string,
  value: string | boolean | undefined,
  fallback: number,
  min = 1,
  max = 10_000,
): number {
  if (typeof value !== 'string') return fallback;
  const n = /^[0-9]+$/.test(value) ? Number(value) : NaN;
  if (!(n >= min && n <= max))
    throw new InvalidArgumentError(flag, `must be a whole number from ${min} to ${max}`, value);
  return n;
}
