/**
 * The bulk activities: list what a selector matches, send a chunk's cancel requests at a bounded pace, and
 * confirm a batch of waiting cancels with the fewest calls (ListOperations pages where a parent's list is short
 * enough to pay, GETs where it is not, `:wait` where asked and supported). Every operation goes through the same
 * gate as a single canceller's (syntax, allowlist, the worker's policy) before anything is sent for it.
 */
import { setMaxListeners } from 'node:events';
import { ApplicationFailure, CancelledFailure, Context, log } from '@temporalio/activity';
import type {
  CallFailure,
  ConfirmAnswer,
  ConfirmCall,
  ListCosts,
  ListMatchesAnswer,
  ListMatchesCall,
  Match,
  Observation,
  SendCancelsAnswer,
  SendCancelsCall,
  SendResult,
} from '../src/domain/bulk-calls';
import type { GetAnswer } from '../src/domain/call-answers';
import { parseFilterTerms, summaryMatches } from '../src/domain/list-filter';
import { countGoogleApiError } from '../src/domain/metrics';
import { InvalidArgumentError } from '../src/domain/invalid-argument';
import { parseOperationRef } from '../src/domain/operation-ref';
import type { OperationSummary } from '../src/domain/operation-summary';
import { isRetryable } from '../src/domain/rpc-code';
import { GoogleCallFailure, type OperationsClient } from '../src/google/operations-client';
import { runPaced, StartClock } from '../src/google/pacer';

/** The most a list page holds (Google's services cap `pageSize` at about this). */
export const LIST_PAGE_SIZE = 1_000;
/** `listMatches` stops after this many matches or pages, so one activity's answer stays small. */
const MAX_MATCHES_PER_CALL = 1_000;
const MAX_PAGES_PER_CALL = 10;
const MAX_REFUSED_EXAMPLES = 5;
const HEARTBEAT_EVERY_MS = 1_000;
/** A parent that refused to be listed (no `operations.list` permission) is never listed again. */
const NEVER_LIST = 1e9;

/** Creates the bulk activities over the single canceller's client. */
export function createBulkActivities(client: OperationsClient) {
  return {
    /** Reads the selector's next pages and keeps what our own checks match: the service's filter is a hint. */
    async listMatches(call: ListMatchesCall): Promise<ListMatchesAnswer> {
      const { select } = call;
      const before = select.createdBefore === undefined ? undefined : timeOf(select.createdBefore);
      // The service's filter is a hint: the same terms are checked on every operation it lists.
      const terms = select.filter === undefined ? [] : parseFilterTerms(select.filter);
      if (terms === undefined) throw new InvalidArgumentError('select.filter', 'is not a filter we can check');
      const answer: ListMatchesAnswer = {
        matches: [],
        unreachable: [],
        listed: 0,
        pages: 0,
        refused: 0,
        refusedExamples: [],
      };
      const refuse = (what: string): void => {
        answer.refused += 1;
        if (answer.refusedExamples.length < MAX_REFUSED_EXAMPLES) answer.refusedExamples.push(what);
      };
      let token = call.pageToken;
      const signal = Context.current().cancellationSignal;
      do {
        const page = await classified(() =>
          client.list(
            {
              service: select.service,
              apiVersion: select.apiVersion,
              parent: select.parent,
              pageSize: LIST_PAGE_SIZE,
              ...(select.filter === undefined ? {} : { filter: select.filter }),
              ...(token === undefined ? {} : { pageToken: token }),
              ...(call.impersonate === undefined ? {} : { impersonate: call.impersonate }),
            },
            signal,
          ),
        );
        answer.pages += 1;
        answer.listed += page.operations.length + page.foreign;
        for (let i = 0; i < page.foreign; i++) refuse('an entry that is not an Operation under the parent');
        for (const location of page.unreachable) {
          if (!answer.unreachable.includes(location)) answer.unreachable.push(location);
        }
        for (const operation of page.operations) {
          if (select.notDone && operation.done) continue;
          const createTime = operation.metadata?.fields['createTime'];
          if (before !== undefined && !(typeof createTime === 'string' && timeOf(createTime) < before)) continue;
          if (select.metadataType !== undefined && operation.metadata?.type !== select.metadataType) continue;
          if (!summaryMatches(terms, operation)) continue;
          try {
            // The same gate as a single canceller's: an operation, on an allowed host, inside the worker's policy.
            client.resolve({
              operation: operation.name,
              service: select.service,
              apiVersion: select.apiVersion,
              ...(call.impersonate === undefined ? {} : { impersonate: call.impersonate }),
            });
          } catch (err) {
            refuse(`${operation.name.slice(0, 200)}: ${(err as Error).message}`);
            continue;
          }
          answer.matches.push(matchOf(operation, createTime));
        }
        token = page.nextPageToken;
        Context.current().heartbeat();
      } while (token && answer.matches.length < MAX_MATCHES_PER_CALL && answer.pages < MAX_PAGES_PER_CALL);
      if (token) answer.nextPageToken = token;
      return answer;
    },

    /**
     * Sends a chunk's cancel requests at its share of the pace. Its heartbeats carry the answers so far: a retry
     * after a worker died resumes where it stopped instead of cancelling the chunk again.
     */
    async sendCancels(call: SendCancelsCall): Promise<SendCancelsAnswer> {
      const context = Context.current();
      allowListeners(context.cancellationSignal, call.concurrency);
      const resumed = (context.info.heartbeatDetails as { results?: (SendResult | null)[] } | undefined)?.results;
      const results: (SendResult | null)[] = call.operations.map((_, i) => resumed?.[i] ?? null);
      const timer = setInterval(() => context.heartbeat({ results }), HEARTBEAT_EVERY_MS);
      try {
        const todo = results.flatMap((result, i) => (result === null ? [i] : []));
        await runPaced(
          todo,
          { concurrency: call.concurrency, perSecond: call.perSecond },
          async (i) => {
            const operation = call.operations[i] as string;
            results[i] = await sendOne(client, operation, call.impersonate, context.cancellationSignal);
          },
          context.cancellationSignal,
        );
      } finally {
        clearInterval(timer);
      }
      if (context.cancellationSignal.aborted) throw new CancelledFailure('cancelled while sending cancel requests');
      return { results: results as SendResult[] };
    },

    /** Where the waiting operations stand: by list page, GET or `:wait`, whichever costs fewer calls. */
    async confirmOperations(call: ConfirmCall): Promise<ConfirmAnswer> {
      return confirm(client, call);
    },
  };
}

/** The bulk activities' interface, for `proxyActivities`. */
export type BulkActivities = ReturnType<typeof createBulkActivities>;

async function sendOne(
  client: OperationsClient,
  operation: string,
  impersonate: string | undefined,
  signal: AbortSignal,
): Promise<SendResult> {
  try {
    const answer = await client.cancel({ operation, ...(impersonate === undefined ? {} : { impersonate }) }, signal);
    if (answer.result !== 'accepted') countGoogleApiError(Context.current().metricMeter, 'cancel', answer.result);
    return { answer };
  } catch (err) {
    const failed = failureOf(err);
    countGoogleApiError(Context.current().metricMeter, 'cancel', failed.code);
    return { failed };
  }
}

async function confirm(client: OperationsClient, call: ConfirmCall): Promise<ConfirmAnswer> {
  const context = Context.current();
  const signal = context.cancellationSignal;
  allowListeners(signal, call.concurrency);
  const calls = { get: 0, list: 0, wait: 0 };
  const costs: ListCosts = { ...call.costs };
  const observations: Observation[] = [];
  const flagged = new Set(call.needsCancelFlag);
  const observe = (i: number, operation: OperationSummary): void => {
    if (operation.state === 'running') {
      if (flagged.has(i)) {
        const seen: Observation = { i, state: 'running' };
        if (operation.metadata?.cancelRequested !== undefined)
          seen.cancelRequested = operation.metadata.cancelRequested;
        observations.push(seen);
      }
      return;
    }
    observations.push(
      operation.state === 'succeeded' || operation.state === 'done-without-result'
        ? { i, state: operation.state }
        : { i, state: operation.state, error: { ...operation.error } },
    );
  };
  const impersonate = call.impersonate === undefined ? {} : { impersonate: call.impersonate };
  const pace = { concurrency: call.concurrency, perSecond: call.perSecond };
  // List pages and GETs of the round share one pace; nothing new starts once the round's budget is spent.
  const clock = new StartClock(call.perSecond);
  const stopAt = Date.now() + call.budgetMs;
  const unread: number[] = [];
  const heartbeat = setInterval(() => context.heartbeat(), HEARTBEAT_EVERY_MS);
  try {
    let unseen = call.operations.map((_, i) => i);
    let waitUnsupported = false;
    if (call.mode === 'wait') {
      const left: number[] = [];
      await runPaced(
        unseen,
        pace,
        async (i) => {
          if (waitUnsupported) return void left.push(i);
          calls.wait += 1;
          try {
            const answer = await client.wait(
              { operation: call.operations[i] as string, ...impersonate },
              call.waitTimeoutMs,
              signal,
            );
            if ('unimplemented' in answer) {
              waitUnsupported = true;
              left.push(i);
            } else recordGet(i, answer, observe, observations);
          } catch (err) {
            observations.push({ i, failed: failureOf(err) });
          }
        },
        signal,
        clock,
      );
      if (!waitUnsupported) return { observations, costs, calls, unread };
      log.info('WaitOperation is not supported: confirming with GetOperation', { operation: call.operations[0] });
      unseen = left;
    }
    // By parent: one listing can confirm every waiting operation under it.
    const groups = new Map<string, ListGroup>();
    for (const i of unseen) {
      const ref = parseOperationRef({ operation: call.operations[i] as string });
      const at = ref.name.lastIndexOf('/operations/');
      const parent = ref.name.startsWith('operations/') && at <= 0 ? '' : ref.name.slice(0, Math.max(0, at));
      const key = `${ref.host}|${ref.apiVersion}|${parent}`;
      const group = groups.get(key) ?? { key, parent, service: ref.host, apiVersion: ref.apiVersion, indexes: [] };
      group.indexes.push(i);
      groups.set(key, group);
    }
    const toGet: number[] = [];
    for (const group of groups.values()) {
      const { left, deferred } = await confirmByListing(client, call, group, costs, calls, observe, clock, stopAt);
      toGet.push(...left);
      unread.push(...deferred);
    }
    await runPaced(
      toGet,
      pace,
      async (i) => {
        if (Date.now() >= stopAt) return void unread.push(i);
        calls.get += 1;
        try {
          const answer = await client.get({ operation: call.operations[i] as string, ...impersonate }, signal);
          recordGet(i, answer, observe, observations);
        } catch (err) {
          observations.push({ i, failed: failureOf(err) });
        }
      },
      signal,
      clock,
    );
    return { observations, costs, calls, unread, ...(waitUnsupported ? { waitUnsupported: true as const } : {}) };
  } finally {
    clearInterval(heartbeat);
  }
}

/** The waiting operations of one parent, on one host and API version. */
interface ListGroup {
  key: string;
  parent: string;
  service: string;
  apiVersion: string;
  indexes: number[];
}

/**
 * Lists a parent's operations while listing pays: a page costs one call, as one GET does. What earlier rounds
 * learned decides whether to list at all (a whole listing, or the pages it took to see ours, shorter than the GETs
 * it replaces); an unknown parent gets one page, and more only while every page so far saved at least one GET.
 * So a round never costs more calls than a GET per waiting operation: when a list call saved nothing (or failed),
 * one operation still unseen waits for the next round instead of its GET (`round` picks which, in turn). Answers
 * the indexes to GET (not listed, or dropped out of a whole listing) and the one deferred, if any.
 */
async function confirmByListing(
  client: OperationsClient,
  call: ConfirmCall,
  group: ListGroup,
  costs: ListCosts,
  calls: { list: number },
  observe: (i: number, operation: OperationSummary) => void,
  clock: StartClock,
  stopAt: number,
): Promise<{ left: number[]; deferred: number[] }> {
  const signal = Context.current().cancellationSignal;
  const { key } = group;
  // By operation ID: under one parent it is unique, and a service may name the project by number in its list.
  const unseen = new Map<string, number>();
  for (const i of group.indexes) {
    unseen.set(operationId(parseOperationRef({ operation: call.operations[i] as string }).name), i);
  }
  const waiting = unseen.size;
  const known = costs[key];
  if (waiting < 2 || (known !== undefined && (!known.exact || known.pages >= waiting))) {
    return { left: [...unseen.values()], deferred: [] };
  }
  let pages = 0;
  let seen = 0;
  let lastCallSaved = true;
  let token: string | undefined;
  try {
    do {
      if (pages >= unseen.size || seen < pages || Date.now() >= stopAt) {
        // Another page would cost more than the GETs it can save, or listing has not paid so far.
        if (Date.now() < stopAt) costs[key] = { pages: pages + 1, exact: false };
        break;
      }
      await clock.slot(signal);
      lastCallSaved = false;
      calls.list += 1;
      const page = await client.list(
        {
          service: group.service,
          apiVersion: group.apiVersion,
          parent: group.parent,
          pageSize: LIST_PAGE_SIZE,
          ...(token === undefined ? {} : { pageToken: token }),
          ...(call.impersonate === undefined ? {} : { impersonate: call.impersonate }),
        },
        signal,
      );
      pages += 1;
      let saved = 0;
      for (const operation of page.operations) {
        const id = operationId(operation.name);
        const i = unseen.get(id);
        if (i === undefined) continue;
        unseen.delete(id);
        observe(i, operation);
        saved += 1;
      }
      seen += saved;
      lastCallSaved = saved > 0;
      token = page.nextPageToken;
      // The pages it took to see all of ours, or a whole listing: what the next round will cost.
      if (unseen.size === 0 || !token) costs[key] = { pages, exact: true };
    } while (token && unseen.size > 0);
  } catch (err) {
    const failed = failureOf(err);
    log.warn('ListOperations failed; confirming with GetOperation', { parent: group.parent, code: failed.code });
    // A parent we may not list is never listed again; a transient failure is tried again next round.
    if (!failed.retryable) costs[key] = { pages: NEVER_LIST, exact: false };
  }
  const left = [...unseen.values()];
  // A list call that saved nothing was one call more than the GETs: one operation waits for the next round instead.
  const deferred = !lastCallSaved && left.length > 0 ? left.splice(call.round % left.length, 1) : [];
  return { left, deferred };
}

/** What follows a name's collection `operations/`: unique under one parent. */
function operationId(name: string): string {
  const at = name.lastIndexOf('/operations/');
  return at === -1 ? name.replace(/^operations\//, '') : name.slice(at + '/operations/'.length);
}

function recordGet(
  i: number,
  answer: GetAnswer,
  observe: (i: number, operation: OperationSummary) => void,
  observations: Observation[],
): void {
  if (answer.found) observe(i, answer.operation);
  else observations.push({ i, notFound: answer.message });
}

function matchOf(operation: OperationSummary, createTime: unknown): Match {
  return {
    name: operation.name,
    ...(typeof createTime === 'string' ? { createTime: createTime.slice(0, 40) } : {}),
    ...(operation.metadata?.type === undefined ? {} : { metadataType: operation.metadata.type }),
  };
}

/** Any failure of one call, as a value: the workflow decides per operation. */
function failureOf(err: unknown): CallFailure & { retryDelayMs?: number } {
  if (err instanceof GoogleCallFailure) {
    const { code, message, retryDelayMs } = err.error;
    return { code, message, retryable: isRetryable(code), ...(retryDelayMs === undefined ? {} : { retryDelayMs }) };
  }
  if (err instanceof ApplicationFailure) {
    return { code: err.type ?? 'UNKNOWN', message: err.message, retryable: !err.nonRetryable };
  }
  return { code: 'UNKNOWN', message: (err as Error).message ?? String(err), retryable: true };
}

/** A list failure fails the activity, classified as the single canceller's calls are. */
async function classified<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (!(err instanceof GoogleCallFailure)) throw err;
    const { code, message, retryDelayMs } = err.error;
    countGoogleApiError(Context.current().metricMeter, 'get', code);
    throw ApplicationFailure.create({
      type: code,
      message,
      nonRetryable: !isRetryable(code),
      ...(retryDelayMs === undefined ? {} : { nextRetryDelay: retryDelayMs }),
    });
  }
}

/** Every call in flight listens for the activity's cancellation: that many listeners are expected, not a leak. */
function allowListeners(signal: AbortSignal, concurrency: number): void {
  setMaxListeners(concurrency + 16, signal);
}

/** Epoch milliseconds of an RFC 3339 time; fractions past milliseconds are dropped (Date reads three digits). */
function timeOf(text: string): number {
  return Date.parse(text.replace(/(\.\d{3})\d+/, '$1'));
}
