/**
 * The scripted operations the emulator serves, how their services behave, and how it answers cancel, get, list and
 * wait requests for them.
 */
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
import { parseListFilter } from './list-filter';
import { pageToken, readListQuery } from './list-query';
import {
  advance,
  clearPending,
  doneAfterPoll,
  newEntry,
  nextDueAt,
  render,
  type OperationEntry,
} from './operation-entry';
import { parseJsonObject, VERSION_PATTERN, type RouteMatch } from './routes';
import type { OperationState, ScriptedOperation, ServiceBehaviour, Transition } from './types';

const DEFAULT_AFTER_CANCEL: Transition = { to: { kind: 'cancelled' }, afterPolls: 1 };
const NAME_PATTERN = /^[A-Za-z0-9._~@()-]+(\/[A-Za-z0-9._~@()-]+)*$/;
const LOCATION_PATTERN = /^[A-Za-z0-9._~@()-]+(\/[A-Za-z0-9._~@()-]+)*\/locations\/[A-Za-z0-9._~@()-]+$/;

const CANCEL_REJECTIONS: Readonly<
  Record<'unimplemented' | 'failed-precondition' | 'not-found' | 'permission-denied', RpcCodeName>
> = {
  unimplemented: 'UNIMPLEMENTED',
  'failed-precondition': 'FAILED_PRECONDITION',
  'not-found': 'NOT_FOUND',
  'permission-denied': 'PERMISSION_DENIED',
};

/**
 * Operations by name, each moving through its script as it is polled, cancelled and timed, in the order they were
 * first added (a replaced operation keeps its place), with the behaviour of their services and the locations a
 * list cannot reach.
 */
export class OperationStore {
  private readonly entries = new Map<string, OperationEntry>();
  private readonly services = new Map<string, ServiceBehaviour>();
  private unreachable: ReadonlySet<string> = new Set();
  private readonly listeners: ((name: string) => void)[] = [];

  /** Serve an operation, replacing any existing one of the same name; `finish` starts counting now. */
  add(script: ScriptedOperation): void {
    validateScript(script);
    const now = Date.now();
    const entry = newEntry(script, now);
    this.entries.set(script.name, entry);
    advance(entry, now);
    this.changed(script.name);
  }

  /** Give `service`'s operations `behaviour`, replacing what it was given before; see `GoogleEmulator`. */
  configureService(service: string, behaviour: ServiceBehaviour): void {
    if (typeof service !== 'string' || service === '') throw new RangeError('service must be a non-empty string');
    const { listFilter, wait } = behaviour;
    if (listFilter !== undefined && listFilter !== 'honour' && listFilter !== 'ignore') {
      throw new RangeError(`listFilter must be 'honour' or 'ignore', got '${String(listFilter)}'`);
    }
    if (wait !== undefined && typeof wait !== 'boolean') throw new RangeError(`wait must be a boolean, got ${wait}`);
    this.services.set(service, { ...behaviour });
  }

  /** The locations lists cannot reach from now on, replacing the previous ones; see `GoogleEmulator`. */
  setUnreachable(locations: readonly string[]): void {
    for (const location of locations) {
      if (!LOCATION_PATTERN.test(location) || location.endsWith('/-')) {
        throw new RangeError(`An unreachable location must look like projects/p/locations/l, got '${location}'`);
      }
    }
    this.unreachable = new Set(locations);
  }

  /** Call `listener` with an operation's name whenever it may have changed: added, set, cancelled or polled. */
  onChange(listener: (name: string) => void): void {
    this.listeners.push(listener);
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
    this.changed(name);
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
      this.poll(entry, now);
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
      this.changed(name);
    }
    return onCancel === 'accept-empty'
      ? { kind: 'reply', status: 200, headers: { 'content-type': JSON_TYPE }, body: '' }
      : reply(200, {});
  }

  /**
   * The answer a wait for `match.name` gets at once, before it is held: 404 `NOT_FOUND` as a GET would, 501
   * `UNIMPLEMENTED` when its service does not wait, or its `getError` envelope (counting a poll). `undefined`
   * when the wait goes on to {@link OperationStore.settleWait}.
   */
  startWait(match: RouteMatch, now: number): Answer | undefined {
    const name = match.name ?? '';
    const entry = this.reach(name, match.apiVersion, now);
    if (!entry) return notFound(name);
    if (this.behaviour(entry.script.service).wait === false) {
      return envelope('UNIMPLEMENTED', 'Operation wait is not supported by this service.');
    }
    const { getError } = entry.script;
    if (getError === undefined) return undefined;
    this.poll(entry, now);
    return envelope(getError, defaultMessage(getError, name));
  }

  /**
   * The answer of a wait for `name` that was started, if it answers now: when the operation is done, or would be
   * done by the poll the wait counts, or when `timedOut`. It counts that poll, then shows where it leads.
   * `undefined` while the wait should go on.
   */
  settleWait(name: string, timedOut: boolean, now: number): Answer | undefined {
    const entry = this.entries.get(name);
    if (!entry) return notFound(name);
    advance(entry, now);
    if (!timedOut && entry.state.kind === 'running' && !doneAfterPoll(entry, now)) return undefined;
    this.poll(entry, now);
    const json = render(entry);
    return json ? reply(200, json) : notFound(name);
  }

  /** When the operation `name` may next change on its own (a time-counted transition), if it may. */
  nextDueAt(name: string): number | undefined {
    const entry = this.entries.get(name);
    return entry && entry.state.kind === 'running' ? nextDueAt(entry) : undefined;
  }

  /** Count one answered poll of `entry` and apply what it makes due. */
  private poll(entry: OperationEntry, now: number): void {
    entry.polls += 1;
    advance(entry, now);
    this.changed(entry.script.name);
  }

  private changed(name: string): void {
    for (const listener of this.listeners) listener(name);
  }

  private behaviour(service: string | undefined): ServiceBehaviour {
    return (service === undefined ? undefined : this.services.get(service)) ?? {};
  }

  /** The entry a GET, wait or cancel reaches, consuming one hidden request of a not-yet-visible operation. */
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

  /**
   * One page of the operations under the list's parent, in the order they were first added. Each operation the
   * page includes counts one poll, after it is rendered, as a GET does.
   */
  private answerList(match: RouteMatch, query: URLSearchParams, now: number): Answer {
    const entries = [...this.entries.values()];
    const list = readListQuery(match.name, query, entries.length, this.unreachable);
    if ('kind' in list) return list;
    const ignoresFilter = entries.some(
      (entry) => list.covers(entry.script.name) && this.behaviour(entry.script.service).listFilter === 'ignore',
    );
    const filter = ignoresFilter ? undefined : parseListFilter(list.filter);
    if (!ignoresFilter && !filter) {
      return envelope(
        'INVALID_ARGUMENT',
        `Invalid filter "${list.filter}": expected done = true|false or metadata.<field> = "<value>", joined by AND.`,
        [badRequest('filter', `Unsupported filter: ${list.filter}`)],
      );
    }

    const page: { entry: OperationEntry; json: Record<string, unknown> }[] = [];
    let next: number | undefined;
    for (let position = list.start; position < entries.length; position += 1) {
      const entry = entries[position] as OperationEntry;
      if (!list.covers(entry.script.name) || entry.hiddenRequestsLeft > 0) continue;
      if (entry.script.apiVersion !== undefined && entry.script.apiVersion !== match.apiVersion) continue;
      advance(entry, now);
      const json = render(entry);
      if (!json || (filter && !filter(json))) continue;
      if (list.pageSize > 0 && page.length === list.pageSize) {
        next = position;
        break;
      }
      page.push({ entry, json });
    }
    for (const { entry } of page) this.poll(entry, now);

    const answer: Record<string, unknown> = { operations: page.map(({ json }) => json) };
    if (next !== undefined) answer['nextPageToken'] = pageToken(next);
    if (list.unreachable.length > 0) answer['unreachable'] = list.unreachable;
    return reply(200, answer);
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
