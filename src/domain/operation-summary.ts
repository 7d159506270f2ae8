/**
 * A bounded summary of a google.longrunning.Operation: what the workflow needs to decide and to show,
 * and never the whole payload (a response can be megabytes; history is a budget).
 *
 * Pure: safe to import from workflow code.
 */
import { boundMessage } from './google-error';
import { rpcCodeName, type RpcCodeName } from './rpc-code';

/** A bounded view of an Operation's `metadata`. */
export interface MetadataSummary {
  /** The metadata's `@type`. */
  type?: string;
  /**
   * Whether the service recorded a cancel request: `requestedCancellation` (AlloyDB, Cloud Deploy,
   * Datastream, BeyondCorp) or `cancelRequested` (services built on google.cloud.common). Absent when the
   * service reports neither (e.g. dai).
   */
  cancelRequested?: boolean;
  /** Top-level scalar fields (strings cut to {@link MAX_FIELD_LENGTH}), at most {@link MAX_METADATA_FIELDS}. */
  fields: Record<string, string | number | boolean | null>;
  /** True when fields were left out or cut to stay within bounds. */
  truncated: boolean;
}

/** The error an Operation finished with. */
export interface OperationError {
  /** The numeric google.rpc code. */
  code: number;
  /** Its name, e.g. `CANCELLED`. */
  status: RpcCodeName;
  message: string;
}

interface SummaryBase {
  name: string;
  metadata?: MetadataSummary;
}

/** An Operation, by state. "Not done yet" is a value, not an error. */
export type OperationSummary =
  | (SummaryBase & { state: 'running'; done: false })
  | (SummaryBase & { state: 'cancelled'; done: true; error: OperationError })
  | (SummaryBase & { state: 'failed'; done: true; error: OperationError })
  | (SummaryBase & { state: 'succeeded'; done: true; responseType?: string })
  | (SummaryBase & { state: 'done-without-result'; done: true });

/** At most this many metadata fields are kept. */
export const MAX_METADATA_FIELDS = 24;
/** String fields are cut to this length. */
export const MAX_FIELD_LENGTH = 256;
const MAX_NAME_LENGTH = 1024;
const OPERATION_FIELDS = new Set(['name', 'metadata', 'done', 'error', 'response']);
const MAX_TYPE_LENGTH = 256;

/**
 * Summarises an Operation's JSON. Throws a `TypeError` when the value is not an Operation at all (not an
 * object, or `done` not a boolean when present): the caller treats that as a malformed answer.
 */
export function summarizeOperation(value: unknown): OperationSummary {
  if (!isObject(value)) throw new TypeError('the Operation is not a JSON object');
  // An Operation has these fields and no others (proto3 JSON writes no unknown field): a Firestore document or a
  // release that happens to sit under a collection named "operations" has others.
  const foreign = Object.keys(value).filter((key) => !OPERATION_FIELDS.has(key));
  if (foreign.length > 0) {
    throw new TypeError(`the answer has fields an Operation does not (${foreign.slice(0, 3).join(', ')})`);
  }
  const done = value['done'] ?? false;
  if (typeof done !== 'boolean') throw new TypeError('the Operation\'s "done" is not a boolean');
  const name = typeof value['name'] === 'string' ? value['name'].slice(0, MAX_NAME_LENGTH) : '';
  const metadata = isObject(value['metadata']) ? summarizeMetadata(value['metadata']) : undefined;
  const base: SummaryBase = metadata ? { name, metadata } : { name };
  if (!done) return { ...base, state: 'running', done };
  const error = value['error'];
  if (isObject(error)) {
    const code = typeof error['code'] === 'number' && Number.isInteger(error['code']) ? error['code'] : 2;
    const summary: OperationError = {
      code,
      status: rpcCodeName(code),
      message: boundMessage(typeof error['message'] === 'string' ? error['message'] : ''),
    };
    return code === 1
      ? { ...base, state: 'cancelled', done, error: summary }
      : { ...base, state: 'failed', done, error: summary };
  }
  const response = value['response'];
  if (isObject(response)) {
    const type = response['@type'];
    return typeof type === 'string'
      ? { ...base, state: 'succeeded', done, responseType: type.slice(0, MAX_TYPE_LENGTH) }
      : { ...base, state: 'succeeded', done };
  }
  return { ...base, state: 'done-without-result', done };
}

/**
 * Whether an answer's `name` names the operation that was asked for: the same operation ID (the last segment) in
 * the same collection. Services do not all answer with the name as asked: Speech-to-Text answers
 * `GET v1/operations/{id}` with the bare ID, Vertex AI may answer a short form with the operation's full nested
 * name, and services may put the project number where the request named the project ID. So what comes before the
 * collection may differ; an empty name, another ID or another collection may not.
 */
export function namesSameOperation(asked: string, answered: string): boolean {
  const a = asked.split('/');
  const b = answered.split('/');
  if (b.some((segment) => segment === '') || a.at(-1) !== b.at(-1)) return false;
  return a.length === 1 || b.length === 1 || a.at(-2) === b.at(-2);
}

function summarizeMetadata(metadata: Record<string, unknown>): MetadataSummary {
  const summary: MetadataSummary = { fields: {}, truncated: false };
  const type = metadata['@type'];
  if (typeof type === 'string') summary.type = type.slice(0, MAX_TYPE_LENGTH);
  const flag = metadata['requestedCancellation'] ?? metadata['cancelRequested'];
  if (typeof flag === 'boolean') summary.cancelRequested = flag;
  let kept = 0;
  for (const [key, field] of Object.entries(metadata)) {
    if (key === '@type') continue;
    const scalar = toScalar(field);
    if (scalar === undefined || key.length > 64) {
      summary.truncated = true;
      continue;
    }
    if (kept === MAX_METADATA_FIELDS) {
      summary.truncated = true;
      break;
    }
    if (typeof scalar === 'string' && scalar.length > MAX_FIELD_LENGTH) {
      summary.fields[key] = `${scalar.slice(0, MAX_FIELD_LENGTH - 1)}…`;
      summary.truncated = true;
    } else {
      summary.fields[key] = scalar;
    }
    kept++;
  }
  return summary;
}

function toScalar(value: unknown): string | number | boolean | null | undefined {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  return undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
