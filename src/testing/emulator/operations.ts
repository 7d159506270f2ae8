/** The scripted operations the emulator serves, and how it answers cancel, get and list requests for them. */
import { isRpcCodeName, type RpcCodeName } from '../../domain/rpc-code';
import {
  badRequest,
  cancelRejectionMessage,
  defaultMessage,
  envelope,
  errorInfo,
  JSON_TYPE,
  notFound,
  reply,
  type Answer,
} from './answers';
import { advance, clearPending, newEntry, render, type OperationEntry } from './operation-entry';
import { parseJsonObject, VERSION_PATTERN, type RouteMatch } from './routes';
import type { OperationState, ScriptedOperation, Transition } from './types';

const DEFAULT_AFTER_CANCEL: Transition = { to: { kind: 'cancelled' }, afterPolls: 1 };
const NAME_PATTERN = /^[A-Za-z0-9._~@()-]+(\/[A-Za-z0-9._~@()-]+)*$/;

const CANCEL_REJECTIONS: Readonly<
  Record<'unimplemented' | 'failed-precondition' | 'not-found' | 'permission-denied', RpcCodeName>
> = {
  unimplemented: 'UNIMPLEMENTED',
  'failed-precondition': 'FAILED_PRECONDITION',
  'not-found': 'NOT_FOUND',
  'permission-denied': 'PERMISSION_DENIED',
};

/** Operations by name, each moving through its script as it is polled, cancelled and timed. */
export class OperationStore {
  private readonly entries = new Map<string, OperationEntry>();

  /** Serve an operation, replacing any existing one of the same name; `finish` starts counting now. */
  add(script: ScriptedOperation): void {
    validateScript(script);
    const now = Date.now();
    const entry = newEntry(script, now);
    this.entries.set(script.name, entry);
    advance(entry, now);
  }

  /** Whether an operation of this name is served (even if gone or not visible yet). */
  has(name: string): boolean {
    return this.entries.has(name);
  }

  /** The Operation JSON a GET would return now, without counting a poll; see `GoogleEmulator.operation`. */
  operation(name: string): Record<string, unknown> | undefined {
    const entry = this.entries.get(name);
    if (!entry) return undefined;
    advance(entry, Date.now());
    return render(entry);
  }

  /** Move an operation to `state` by hand; pending transitions still apply while it is running. */
  setState(name: string, state: OperationState): void {
    const entry = this.entries.get(name);
    if (!entry) throw new Error(`No emulated operation named ${name}`);
    entry.state = state;
    if (state.kind !== 'running') clearPending(entry);
  }

  /** The answer of an authorized, unfaulted request on the `cancel`, `get` or `list` route. */
  answer(match: RouteMatch, method: string, body: string, query: URLSearchParams): Answer {
    const now = Date.now();
    if (match.route === 'list') return this.answerList(match, query, now);
    const name = match.name ?? '';
    const entry = this.reach(name, match.apiVersion, now);
    if (!entry) return notFound(name);

    if (match.route === 'get') {
      const json = entry.script.getError ? undefined : render(entry);
      entry.polls += 1;
      advance(entry, now);
      if (entry.script.getError) return envelope(entry.script.getError, defaultMessage(entry.script.getError, name));
      return json ? reply(200, json) : notFound(name);
    }

    if (method === 'POST' && !isEmptyCancelBody(body)) {
      return envelope('INVALID_ARGUMENT', invalidBodyMessage(body), [
        badRequest('body', 'The request body must be empty.'),
      ]);
    }
    const onCancel = entry.script.onCancel ?? 'accept';
    if (onCancel !== 'accept' && onCancel !== 'accept-empty') {
      const code = CANCEL_REJECTIONS[onCancel];
      return envelope(
        code,
        cancelRejectionMessage(code, name),
        code === 'PERMISSION_DENIED'
          ? [
              errorInfo(
                'IAM_PERMISSION_DENIED',
                { resource: name, permission: 'operations.cancel' },
                entry.script.service,
              ),
            ]
          : [],
      );
    }
    if (entry.state.kind !== 'running') {
      return envelope('FAILED_PRECONDITION', `Operation "${name}" has already completed and cannot be cancelled.`);
    }
    if (!entry.cancelRequested) {
      entry.cancelRequested = true;
      entry.afterCancel = {
        transition: entry.script.afterCancel ?? DEFAULT_AFTER_CANCEL,
        startedAt: now,
        pollsAtStart: entry.polls,
      };
      advance(entry, now);
    }
    return onCancel === 'accept-empty'
      ? { kind: 'reply', status: 200, headers: { 'content-type': JSON_TYPE }, body: '' }
      : reply(200, {});
  }

  /** The entry a GET or cancel reaches, consuming one hidden request of a not-yet-visible operation. */
  private reach(name: string, apiVersion: string | undefined, now: number): OperationEntry | undefined {
    const entry = this.entries.get(name);
    if (!entry) return undefined;
    if (entry.script.apiVersion !== undefined && entry.script.apiVersion !== apiVersion) return undefined;
    advance(entry, now);
    if (entry.state.kind === 'gone') return undefined;
    if (entry.hiddenRequestsLeft > 0) {
      entry.hiddenRequestsLeft -= 1;
      return undefined;
    }
    return entry;
  }

  private answerList(match: RouteMatch, query: URLSearchParams, now: number): Answer {
    const prefix = match.name === undefined ? 'operations/' : `${match.name}/operations/`;
    const operations: Record<string, unknown>[] = [];
    for (const entry of this.entries.values()) {
      if (!entry.script.name.startsWith(prefix) || entry.hiddenRequestsLeft > 0) continue;
      if (entry.script.apiVersion !== undefined && entry.script.apiVersion !== match.apiVersion) continue;
      advance(entry, now);
      const json = render(entry);
      if (json) operations.push(json);
    }

    const pageSizeText = query.get('pageSize');
    const pageSize = pageSizeText === null ? 0 : Number(pageSizeText);
    if (!Number.isInteger(pageSize) || pageSize < 0) {
      return envelope('INVALID_ARGUMENT', `Invalid value at 'page_size' (TYPE_INT32), "${pageSizeText ?? ''}"`);
    }
    const pageToken = query.get('pageToken') ?? '';
    const offset = pageToken === '' ? 0 : Number(Buffer.from(pageToken, 'base64url').toString('utf8'));
    if (!Number.isInteger(offset) || offset < 0 || offset > operations.length) {
      return envelope('INVALID_ARGUMENT', 'Invalid page token.');
    }
    const end = pageSize === 0 ? operations.length : Math.min(operations.length, offset + pageSize);
    const page: Record<string, unknown> = { operations: operations.slice(offset, end) };
    if (end < operations.length) page['nextPageToken'] = Buffer.from(String(end), 'utf8').toString('base64url');
    return reply(200, page);
  }
}

function invalidBodyMessage(body: string): string {
  const json = parseJsonObject(body);
  const field = json ? Object.keys(json)[0] : undefined;
  return field === undefined
    ? 'Invalid JSON payload received. The request body must be empty.'
    : `Invalid JSON payload received. Unknown name "${field}": Cannot find field.`;
}

function isEmptyCancelBody(body: string): boolean {
  if (body.trim() === '') return true;
  const json = parseJsonObject(body);
  return json !== undefined && Object.keys(json).length === 0;
}

function validateScript(script: ScriptedOperation): void {
  if (!NAME_PATTERN.test(script.name)) {
    throw new RangeError(
      `Operation name must be slash-separated [A-Za-z0-9._~@()-] segments without a leading slash, got '${script.name}'`,
    );
  }
  if (script.apiVersion !== undefined && !VERSION_PATTERN.test(script.apiVersion)) {
    throw new RangeError(`apiVersion must look like v1, v1beta or v2alpha1, got '${script.apiVersion}'`);
  }
  if (script.getError !== undefined && !isRpcCodeName(script.getError)) {
    throw new RangeError(`getError must be a google.rpc code name, got '${String(script.getError)}'`);
  }
  for (const key of ['visibleAfterPolls', 'responsePaddingBytes', 'metadataPaddingBytes'] as const) {
    const value = script[key];
    if (value !== undefined && !(Number.isInteger(value) && value >= 0)) {
      throw new RangeError(`${key} must be a non-negative integer, got ${value}`);
    }
  }
  for (const key of ['afterCancel', 'finish'] as const) {
    const transition = script[key];
    if (transition === undefined) continue;
    const { afterPolls, afterMs } = transition;
    if (afterPolls !== undefined && !(Number.isInteger(afterPolls) && afterPolls >= 0)) {
      throw new RangeError(`${key}.afterPolls must be a non-negative integer, got ${afterPolls}`);
    }
    if (afterMs !== undefined && !(Number.isFinite(afterMs) && afterMs >= 0)) {
      throw new RangeError(`${key}.afterMs must be >= 0, got ${afterMs}`);
    }
  }
}
