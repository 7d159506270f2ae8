/**
 * The input of `cancelOperations` (cancel a set of operations: a list, or what a selector matches) and its
 * validation, field by field, before anything is listed or sent.
 *
 * Pure: safe to import from workflow code.
 */
import type { Duration } from '@temporalio/common';
import { DEFAULT_POLL_SCHEDULE, POLL_SCHEDULES, type PollSchedule, type PollScheduleName } from './backoff';
import { DEFAULT_NOT_FOUND_GRACE_MS, DEFAULT_TIMEOUT_MS, type ActAs } from './canceller-input';
import { parseDuration } from './durations';
import { InvalidArgumentError } from './invalid-argument';
import { parseFilterTerms } from './list-filter';
import { checkName } from './operation-name';
import { parseOperationRef, type OperationRef } from './operation-ref';
import { isAccountEmail } from './scope-policy';

/**
 * Which operations to cancel, by asking the service (ListOperations). The service's `filter` is a hint: every
 * listed operation is checked again here, against `parent` and the conditions.
 */
export interface OperationSelector {
  /** The API host, e.g. `alloydb.googleapis.com`. */
  service: string;
  /** e.g. `v1beta`. */
  apiVersion: string;
  /**
   * Whose operations: `projects/p/locations/l`, `organizations/o/locations/l`, every location of a project
   * (`projects/p/locations/-`), or `''` for a service's top-level `operations` collection.
   */
  parent: string;
  /**
   * An AIP-160 filter passed to ListOperations as it is, and checked again here on every listed operation (the
   * service may ignore it): `done = false`, `metadata.verb = "update"`, terms joined by `AND`.
   */
  filter?: string;
  /** Only operations still running. @default true */
  notDone?: boolean;
  /** Only operations whose `metadata.createTime` is before this RFC 3339 time (one without a createTime is left). */
  createdBefore?: string;
  /** Only operations whose metadata `@type` is this (e.g. `type.googleapis.com/google.cloud.alloydb.v1beta.OperationMetadata`). */
  metadataType?: string;
}

/** How confirmation rounds poll: the schedule between rounds, and whether to wait on the service (`:wait`). */
export interface BulkPollOptions {
  /** A named schedule (see `POLL_SCHEDULES`). @default "default" */
  schedule?: PollScheduleName;
  /** `get`: confirm with ListOperations pages or GETs; `wait`: WaitOperation calls, falling back to `get`. @default "get" */
  mode?: 'get' | 'wait';
}

/** The input of `cancelOperations`: exactly one of `operations` and `select`. */
export interface CancelOperationsInput extends ActAs {
  /** Operation URLs, or resource names with `service` and `apiVersion`. */
  operations?: string[];
  /** The API host for resource names in `operations`. */
  service?: string;
  /** The API version for resource names in `operations`. */
  apiVersion?: string;
  /** Cancel what this selector matches now. */
  select?: OperationSelector;
  /** List what would be cancelled, and send nothing. @default false */
  dryRun?: boolean;
  /** Google calls in flight at once, across the whole set. @default 10 */
  concurrency?: number;
  /** Cancel requests per second, across the whole set. @default 5 */
  cancelsPerSecond?: number;
  /** How long to wait for each cancel to be confirmed, from its first cancel request. @default "1h" */
  timeout?: Duration;
  /** How long a NOT_FOUND answer is taken as "not visible yet" before the outcome is `NOT_FOUND`. @default "30s" */
  notFoundGracePeriod?: Duration;
  poll?: BulkPollOptions;
  /** Refuse (before sending anything) a selector that matches more. @default 10000 */
  maxOperations?: number;
}

/** Defaults: one project's share of Google's usual per-project quotas (a few admin calls per second). */
export const DEFAULT_BULK_CONCURRENCY = 10;
export const DEFAULT_CANCELS_PER_SECOND = 5;
export const DEFAULT_MAX_OPERATIONS = 10_000;
/** The most operations one `cancelOperations` may take, whatever `maxOperations` says. */
export const MAX_OPERATIONS_LIMIT = 50_000;
const MAX_CONCURRENCY = 500;
const MAX_CANCELS_PER_SECOND = 1_000;

/** A validated `cancelOperations` input. */
export interface BulkSettings {
  /** The operations of a list, canonical and without repeats; absent for a selector. */
  refs?: OperationRef[];
  select?: Required<Pick<OperationSelector, 'service' | 'apiVersion' | 'parent' | 'notDone'>> &
    Pick<OperationSelector, 'filter' | 'createdBefore' | 'metadataType'>;
  dryRun: boolean;
  concurrency: number;
  cancelsPerSecond: number;
  timeoutMs: number;
  notFoundGraceMs: number;
  schedule: PollSchedule;
  mode: 'get' | 'wait';
  maxOperations: number;
  impersonate?: string;
}

const FIELDS = new Set([
  'operations',
  'service',
  'apiVersion',
  'select',
  'dryRun',
  'concurrency',
  'cancelsPerSecond',
  'timeout',
  'notFoundGracePeriod',
  'poll',
  'maxOperations',
  'impersonate',
]);
const SELECT_FIELDS = new Set([
  'service',
  'apiVersion',
  'parent',
  'filter',
  'notDone',
  'createdBefore',
  'metadataType',
]);
const POLL_FIELDS = new Set(['schedule', 'mode']);
const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)$/;

/** Validates a `cancelOperations` input; throws {@link InvalidArgumentError} naming the field and the rule. */
export function validateBulkInput(input: unknown): BulkSettings {
  const object = requireObject('input', input, FIELDS);
  const hasList = object['operations'] !== undefined;
  const hasSelect = object['select'] !== undefined;
  if (hasList === hasSelect) {
    throw new InvalidArgumentError('operations', 'give exactly one of operations (a list) and select (a selector)');
  }
  const maxOperations = integer(object, 'maxOperations', DEFAULT_MAX_OPERATIONS, 1, MAX_OPERATIONS_LIMIT);
  const impersonate = object['impersonate'];
  if (impersonate !== undefined && (typeof impersonate !== 'string' || !isAccountEmail(impersonate))) {
    throw new InvalidArgumentError('impersonate', 'must be a service-account email in lower case', impersonate);
  }
  const settings: BulkSettings = {
    dryRun: boolean(object, 'dryRun', false),
    concurrency: integer(object, 'concurrency', DEFAULT_BULK_CONCURRENCY, 1, MAX_CONCURRENCY),
    cancelsPerSecond: number(object, 'cancelsPerSecond', DEFAULT_CANCELS_PER_SECOND, MAX_CANCELS_PER_SECOND),
    timeoutMs: object['timeout'] === undefined ? DEFAULT_TIMEOUT_MS : parseDuration('timeout', object['timeout']),
    notFoundGraceMs:
      object['notFoundGracePeriod'] === undefined
        ? DEFAULT_NOT_FOUND_GRACE_MS
        : parseDuration('notFoundGracePeriod', object['notFoundGracePeriod'], 0),
    ...parsePoll(object['poll']),
    maxOperations,
    ...(impersonate === undefined ? {} : { impersonate: impersonate as string }),
  };
  if (hasList) {
    settings.refs = parseList(object, maxOperations);
  } else {
    if (object['service'] !== undefined || object['apiVersion'] !== undefined) {
      throw new InvalidArgumentError('service', 'goes in select.service with a selector');
    }
    settings.select = parseSelector(object['select']);
  }
  return settings;
}

function parseList(object: Record<string, unknown>, maxOperations: number): OperationRef[] {
  const list = object['operations'];
  if (!Array.isArray(list)) throw new InvalidArgumentError('operations', 'must be a list of operation URLs or names');
  if (list.length > maxOperations) {
    throw new InvalidArgumentError('operations', `must hold at most maxOperations (${maxOperations}) operations`);
  }
  const seen = new Set<string>();
  const refs: OperationRef[] = [];
  list.forEach((operation, i) => {
    let ref: OperationRef;
    try {
      ref = parseOperationRef({
        operation: operation as string,
        ...(object['service'] === undefined ? {} : { service: object['service'] as string }),
        ...(object['apiVersion'] === undefined ? {} : { apiVersion: object['apiVersion'] as string }),
      });
    } catch (err) {
      if (err instanceof InvalidArgumentError && err.field === 'operation') {
        throw new InvalidArgumentError(`operations[${i}]`, err.rule, operation);
      }
      throw err;
    }
    if (seen.has(ref.url)) return;
    seen.add(ref.url);
    refs.push(ref);
  });
  return refs;
}

function parseSelector(value: unknown): NonNullable<BulkSettings['select']> {
  const select = requireObject('select', value, SELECT_FIELDS);
  const text = (field: string, max: number): string => {
    const got = select[field];
    if (typeof got !== 'string' || got.length > max) {
      throw new InvalidArgumentError(`select.${field}`, `must be text of at most ${max} characters`, got);
    }
    return got;
  };
  const service = text('service', 300);
  const apiVersion = text('apiVersion', 32);
  const parent = text('parent', 600).replace(/\/+$/, '');
  if (parent !== '') checkName('select.parent', parent);
  // The parent is checked as the name of an operation under it would be: the same rules, the same host rules.
  const probe = parent === '' ? 'operations/x' : `${parent}/operations/x`;
  let host: string;
  try {
    host = parseOperationRef({ operation: probe, service, apiVersion }).host;
  } catch (err) {
    if (err instanceof InvalidArgumentError) {
      const field = err.field === 'operation' ? 'select.parent' : `select.${err.field}`;
      throw new InvalidArgumentError(field, err.rule, field === 'select.parent' ? parent : undefined);
    }
    throw err;
  }
  const filter = select['filter'] === undefined ? undefined : text('filter', 1_000);
  // The service may ignore the filter: only terms we can check ourselves on every listed operation are taken.
  const terms = filter === undefined ? [] : parseFilterTerms(filter);
  if (terms === undefined || terms.some((term) => 'path' in term && term.path.length !== 1)) {
    throw new InvalidArgumentError(
      'select.filter',
      'must be terms we can check on every listed operation: done = true|false, or metadata.<top-level field> = "<text>", joined by AND',
      filter,
    );
  }
  const notDone = select['notDone'] ?? true;
  if (typeof notDone !== 'boolean') throw new InvalidArgumentError('select.notDone', 'must be true or false', notDone);
  let createdBefore: string | undefined;
  if (select['createdBefore'] !== undefined) {
    createdBefore = text('createdBefore', 40);
    if (!RFC3339.test(createdBefore) || Number.isNaN(Date.parse(createdBefore))) {
      throw new InvalidArgumentError(
        'select.createdBefore',
        'must be an RFC 3339 time such as 2026-11-30T09:00:00Z',
        createdBefore,
      );
    }
  }
  const metadataType = select['metadataType'] === undefined ? undefined : text('metadataType', 256);
  return {
    // The host as the gate canonicalised it: the same selector typed two ways is one set (one workflow ID).
    service: host,
    apiVersion,
    parent,
    notDone,
    ...(filter === undefined ? {} : { filter }),
    ...(createdBefore === undefined ? {} : { createdBefore }),
    ...(metadataType === undefined ? {} : { metadataType }),
  };
}

function parsePoll(value: unknown): { schedule: PollSchedule; mode: 'get' | 'wait' } {
  if (value === undefined) return { schedule: DEFAULT_POLL_SCHEDULE, mode: 'get' };
  const poll = requireObject('poll', value, POLL_FIELDS);
  const name = poll['schedule'];
  if (name !== undefined && (typeof name !== 'string' || !Object.hasOwn(POLL_SCHEDULES, name))) {
    throw new InvalidArgumentError('poll.schedule', `must be one of ${Object.keys(POLL_SCHEDULES).join(', ')}`, name);
  }
  const mode = poll['mode'] ?? 'get';
  if (mode !== 'get' && mode !== 'wait') throw new InvalidArgumentError('poll.mode', 'must be get or wait', mode);
  return { schedule: name === undefined ? DEFAULT_POLL_SCHEDULE : POLL_SCHEDULES[name as PollScheduleName], mode };
}

function requireObject(field: string, value: unknown, allowed: ReadonlySet<string>): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidArgumentError(field, 'must be a JSON object');
  }
  for (const key of Object.keys(value)) {
    if (!allowed.has(key)) {
      const prefix = field === 'input' ? '' : `${field}.`;
      throw new InvalidArgumentError(`${prefix}${key}`, `is not a field (known: ${[...allowed].join(', ')})`);
    }
  }
  return value as Record<string, unknown>;
}

function boolean(object: Record<string, unknown>, field: string, fallback: boolean): boolean {
  const value = object[field] ?? fallback;
  if (typeof value !== 'boolean') throw new InvalidArgumentError(field, 'must be true or false', value);
  return value;
}

function integer(object: Record<string, unknown>, field: string, fallback: number, min: number, max: number): number {
  const value = object[field] ?? fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidArgumentError(field, `must be a whole number from ${min} to ${max}`, value);
  }
  return value;
}

function number(object: Record<string, unknown>, field: string, fallback: number, max: number): number {
  const value = object[field] ?? fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > max) {
    throw new InvalidArgumentError(field, `must be a number above 0 and at most ${max}`, value);
  }
  return value;
}
