/**
 * `cancelOperations`: cancel a set of operations (a list, or what a selector matches now) and record each one's
 * outcome, with the single canceller's rules. The set is resolved first (ListOperations, paged, every entry
 * checked on our side), then split into batches of at most {@link BATCH_SIZE}, each a child workflow
 * (`cancelOperationsBatch`) with its share of the pace: a set of 10,000 costs the parent a few hundred events, and
 * each batch continues as new before its own history grows long.
 */
import {
  ApplicationFailure,
  executeChild,
  isCancellation,
  log,
  ParentClosePolicy,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { BulkActivities } from '../activities/bulk';
import {
  BATCH_SIZE,
  MAX_BATCH_SIZE,
  batchProgressSignal,
  bulkStatusQuery,
  MAX_DRY_RUN_LISTED,
  MAX_NOT_CANCELLED_LISTED,
  type BatchInput,
  type BatchProgress,
  type BatchResult,
  type BulkRecordedOutcome,
  type BulkStatus,
  type CancelOperationsResult,
  type NotCancelled,
} from '../src/domain/bulk-api';
import type { CallCounts, ListCosts, Match } from '../src/domain/bulk-calls';
import { validateBulkInput, type BulkSettings, type CancelOperationsInput } from '../src/domain/bulk-input';
import { BULK_OUTCOMES, type BulkOutcome } from '../src/domain/bulk-progress';
import { bulkDetails, bulkSummary } from '../src/domain/bulk-web-ui';
import { InvalidArgumentError } from '../src/domain/invalid-argument';
import { parseOperationRef } from '../src/domain/operation-ref';
import { LRO_OPERATION, LRO_OUTCOME, LRO_SERVICE, operationSearchValue } from '../src/domain/search-attributes';
import { boundedUnlessRecorded } from './bounded-ids';
import { cancelOperationsBatch } from './cancel-operations-batch';

/** A listing that goes on past this many pages (a million operations) is refused, not followed forever. */
const MAX_SELECTION_PAGES = 1_000;
/** Confirmation reads (GETs, list pages) may go this many times faster than cancels: read quotas are larger. */
const READS_PER_CANCEL = 4;

const { listMatches } = proxyActivities<BulkActivities>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '60 seconds',
  retry: { maximumInterval: '60s', maximumAttempts: 20 },
});

/** Cancels every operation of a set and records each one's outcome; see the module comment. */
export async function cancelOperations(input: CancelOperationsInput): Promise<CancelOperationsResult> {
  const startedAt = new Date().toISOString();
  const counts = zeroCounts();
  const calls: CallCounts = { cancel: 0, get: 0, list: 0, wait: 0 };
  const progress = new Map<number, BatchProgress>();
  const unreachable: string[] = [];
  let phase: BulkStatus['phase'] = 'listing';
  let outcome: BulkRecordedOutcome = 'PENDING';
  let total = 0;
  let batches = 0;
  let dryRun = false;

  const status = (): BulkStatus => {
    const merged = zeroCounts();
    let finished = 0;
    let sent = 0;
    const live = { ...calls };
    for (const p of progress.values()) {
      for (const o of BULK_OUTCOMES) merged[o] += p.counts[o];
      finished += p.finished;
      sent += p.sent;
      live.cancel += p.calls.cancel;
      live.get += p.calls.get;
      live.list += p.calls.list;
      live.wait += p.calls.wait;
    }
    return {
      phase,
      outcome,
      dryRun,
      total,
      finished,
      counts: merged,
      sent,
      batches,
      unreachable: [...unreachable],
      calls: live,
      startedAt,
    };
  };
  const showDetails = (): void => setCurrentDetails(bulkDetails(status()));
  setHandler(bulkStatusQuery, status);
  setHandler(batchProgressSignal, (p) => {
    // Anyone can signal a workflow (the Web UI, the CLI): only a well-formed report of one of our batches counts.
    if (!isBatchProgress(p) || p.batch >= batches || phase !== 'cancelling') return;
    progress.set(p.batch, p);
    showDetails();
  });
  const record = (recorded: BulkRecordedOutcome, line: string): void => {
    outcome = recorded;
    upsertSearchAttributes([{ key: LRO_OUTCOME, value: recorded }]);
    upsertMemo({ summary: `${recorded}: ${line}` });
    log.info('outcome recorded', { outcome: recorded, summary: line });
  };

  const finished = (result: CancelOperationsResult): CancelOperationsResult => {
    phase = 'finished';
    record(result.outcome, bulkSummary(result));
    showDetails();
    return result;
  };

  let settings: BulkSettings;
  try {
    settings = validateBulkInput(input);
  } catch (err) {
    if (err instanceof InvalidArgumentError) record('ERROR', `INVALID_ARGUMENT: ${err.message}`);
    throw err;
  }
  dryRun = settings.dryRun;
  upsertSearchAttributes([
    { key: LRO_OUTCOME, value: 'PENDING' },
    ...(settings.select
      ? [
          { key: LRO_SERVICE, value: settings.select.service },
          { key: LRO_OPERATION, value: listedSearchValue(listUrl(settings.select)) },
        ]
      : []),
  ]);
  showDetails();

  try {
    // The set: the list as given, or what the selector matches now.
    const matches: (Match & { operation: string })[] = [];
    const costs: ListCosts = {};
    let refused = 0;
    const refusedExamples: string[] = [];
    if (settings.refs) {
      for (const ref of settings.refs) matches.push({ operation: ref.url, name: ref.name });
    } else {
      const select = settings.select as NonNullable<BulkSettings['select']>;
      const seen = new Set<string>();
      let pageToken: string | undefined;
      let pages = 0;
      do {
        const page = await listMatches({
          select,
          ...(pageToken === undefined ? {} : { pageToken }),
          ...(settings.impersonate === undefined ? {} : { impersonate: settings.impersonate }),
        });
        calls.list += page.pages;
        pages += page.pages;
        refused += page.refused;
        for (const example of page.refusedExamples) if (refusedExamples.length < 5) refusedExamples.push(example);
        for (const location of page.unreachable) if (!unreachable.includes(location)) unreachable.push(location);
        for (const match of page.matches) {
          const ref = parseOperationRef({
            operation: match.name,
            service: select.service,
            apiVersion: select.apiVersion,
          });
          if (seen.has(ref.url)) continue;
          seen.add(ref.url);
          matches.push({ ...match, operation: ref.url });
        }
        total = matches.length;
        if (matches.length > settings.maxOperations) {
          throw ApplicationFailure.create({
            type: 'RESOURCE_EXHAUSTED',
            message: `the selector matches more than maxOperations (${settings.maxOperations}) operations; narrow it or raise maxOperations; nothing was cancelled`,
            nonRetryable: true,
          });
        }
        pageToken = page.nextPageToken;
        if (pageToken && pages >= MAX_SELECTION_PAGES) {
          throw ApplicationFailure.create({
            type: 'RESOURCE_EXHAUSTED',
            message: `the selector's listing goes on past ${MAX_SELECTION_PAGES} pages; narrow it (parent, filter); nothing was cancelled`,
            nonRetryable: true,
          });
        }
        showDetails();
      } while (pageToken);
      // A whole listing of one parent without a filter is what confirming by listing will cost.
      if (select.filter === undefined && !select.parent.endsWith('/-')) {
        const host = parseOperationRef({
          operation: `${select.parent === '' ? '' : `${select.parent}/`}operations/x`,
          service: select.service,
          apiVersion: select.apiVersion,
        }).host;
        costs[`${host}|${select.apiVersion}|${select.parent}`] = { pages, exact: true };
      }
    }
    total = matches.length;
    const common = {
      dryRun: settings.dryRun,
      total,
      unreachable,
      refused,
      refusedExamples,
      startedAt,
    };

    if (settings.dryRun || total === 0) {
      const result: CancelOperationsResult = {
        ...common,
        outcome: settings.dryRun ? 'DRY_RUN' : 'NONE',
        counts,
        notCancelled: [],
        notCancelledOmitted: 0,
        ...(settings.dryRun ? { operations: matches.slice(0, MAX_DRY_RUN_LISTED) } : {}),
        calls,
        finishedAt: new Date().toISOString(),
      };
      return finished(result);
    }

    phase = 'cancelling';
    // Every batch keeps at least one call in flight: no more batches than `concurrency` allows, up to
    // MAX_BATCH_SIZE operations each (a set beyond concurrency × MAX_BATCH_SIZE has one call in flight per batch).
    batches = Math.min(
      Math.ceil(total / BATCH_SIZE),
      Math.max(settings.concurrency, Math.ceil(total / MAX_BATCH_SIZE)),
    );
    const size = Math.ceil(total / batches);
    showDetails();
    const share = (value: number): number => value / batches;
    const workflowId = workflowInfo().workflowId;
    const results: BatchResult[] = await Promise.all(
      Array.from({ length: batches }, (_, batch) => {
        const batchInput: BatchInput = {
          batch,
          batches,
          operations: matches.slice(batch * size, (batch + 1) * size).map((m) => m.operation),
          concurrency: Math.max(1, Math.floor(share(settings.concurrency))),
          cancelsPerSecond: share(settings.cancelsPerSecond),
          readsPerSecond: share(settings.cancelsPerSecond * READS_PER_CANCEL),
          timeoutMs: settings.timeoutMs,
          notFoundGraceMs: settings.notFoundGraceMs,
          schedule: settings.schedule,
          mode: settings.mode,
          costs,
          ...(settings.impersonate === undefined ? {} : { impersonate: settings.impersonate }),
        };
        return executeChild(cancelOperationsBatch, {
          workflowId: `${workflowId}/batch-${batch}`,
          args: [batchInput],
          parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
          staticSummary: `batch ${batch + 1} of ${batches}: ${batchInput.operations.length} operations`,
        });
      }),
    );

    const notCancelled: NotCancelled[] = [];
    let omitted = 0;
    results.forEach((r, batch) => {
      for (const o of BULK_OUTCOMES) counts[o] += r.counts[o];
      calls.cancel += r.calls.cancel;
      calls.get += r.calls.get;
      calls.list += r.calls.list;
      calls.wait += r.calls.wait;
      for (const entry of r.notCancelled) {
        if (notCancelled.length < MAX_NOT_CANCELLED_LISTED) notCancelled.push(entry);
        else omitted += 1;
      }
      omitted += r.notCancelledOmitted;
      progress.set(batch, {
        batch,
        total: Object.values(r.counts).reduce((a, b) => a + b, 0),
        finished: Object.values(r.counts).reduce((a, b) => a + b, 0),
        sent: r.sent,
        counts: r.counts,
        calls: { cancel: 0, get: 0, list: 0, wait: 0 },
      });
    });
    const result: CancelOperationsResult = {
      ...common,
      outcome: counts.CANCELLED === total ? 'CANCELLED' : 'MIXED',
      counts,
      notCancelled,
      notCancelledOmitted: omitted,
      calls,
      finishedAt: new Date().toISOString(),
    };
    return finished(result);
  } catch (err) {
    phase = 'finished';
    if (isCancellation(err)) record('ABANDONED', 'the bulk cancel was cancelled; its batches were asked to stop');
    else record('ERROR', innermostMessage(err));
    showDetails();
    throw err;
  }
}

/** The message of the deepest cause: an activity's or a batch's failure, not "Activity task failed". */
function innermostMessage(err: unknown): string {
  let message = err instanceof Error ? err.message : String(err);
  for (let cause: unknown = err; cause instanceof Error; cause = cause.cause) message = cause.message;
  return message;
}

function isBatchProgress(p: unknown): p is BatchProgress {
  if (typeof p !== 'object' || p === null) return false;
  const { batch, total, finished, sent, counts, calls } = p as Record<string, unknown>;
  const count = (n: unknown): boolean => typeof n === 'number' && Number.isInteger(n) && n >= 0;
  const record = (r: unknown, keys: readonly string[]): boolean =>
    typeof r === 'object' && r !== null && keys.every((k) => count((r as Record<string, unknown>)[k]));
  return (
    [batch, total, finished, sent].every(count) &&
    record(counts, BULK_OUTCOMES) &&
    record(calls, ['cancel', 'get', 'list', 'wait'])
  );
}

function zeroCounts(): Record<BulkOutcome, number> {
  return Object.fromEntries(BULK_OUTCOMES.map((o) => [o, 0])) as Record<BulkOutcome, number>;
}

/** The ListOperations URL a selector reads. */
function listUrl(select: NonNullable<BulkSettings['select']>): string {
  const host = parseOperationRef({
    operation: `${select.parent === '' ? '' : `${select.parent}/`}operations/x`,
    service: select.service,
    apiVersion: select.apiVersion,
  }).url;
  return host.slice(0, -'/x'.length);
}

/** The listing URL as `LroOperation`: bounded, unless this run recorded it whole before values were bounded. */
function listedSearchValue(url: string): string {
  return boundedUnlessRecorded(operationSearchValue(url), url);
}
