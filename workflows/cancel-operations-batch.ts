/**
 * One batch of a bulk cancel (`cancelOperationsBatch`): send the cancels of up to a thousand operations at the
 * batch's pace, then confirm them in rounds with backoff (ListOperations pages or GETs, whichever costs fewer
 * calls, or `:wait`), until each has an outcome. A batch continues as new before its history grows long; its
 * state (a few dozen bytes an operation) goes with it.
 */
import {
  continueAsNew,
  getExternalWorkflowHandle,
  metricMeter,
  proxyActivities,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { BulkActivities } from '../activities/bulk';
import { pollDelay } from '../src/domain/backoff';
import {
  batchProgressSignal,
  batchStatusQuery,
  MAX_NOT_CANCELLED_LISTED,
  type BatchInput,
  type BatchProgress,
  type BatchResult,
  type NotCancelled,
} from '../src/domain/bulk-api';
import type { CallCounts, ListCosts } from '../src/domain/bulk-calls';
import {
  afterObservation,
  afterSend,
  countOutcomes,
  expire,
  markRead,
  overdue,
  type OpState,
} from '../src/domain/bulk-progress';
import { WAIT_CALL_MAX_MS } from '../src/domain/canceller-input';
import { InvalidArgumentError } from '../src/domain/invalid-argument';
import { countOutcome } from '../src/domain/metrics';
import { parseOperationRef } from '../src/domain/operation-ref';

/** Cancels per `sendCancels` activity: small enough that a retried chunk costs little. */
const SEND_CHUNK = 100;
/** Continue as new past this many events, well before Temporal's suggestion at 4 Ki events... or its limits. */
const MAX_EVENTS_PER_RUN = 5_000;
/** Tell the parent of progress at most this often (workflow time): each report is an event in its history. */
const PROGRESS_EVERY_MS = 5_000;
const HEARTBEAT_TIMEOUT_MS = 30_000;
/** A confirmation round reads for at most this long; what it did not reach is read next round. */
const CONFIRM_BUDGET_MS = 60_000;
/** A wait answered sooner than this with nothing done: the service does not hold waits, so pace by the schedule. */
const EARLY_WAIT_ANSWER_MS = 1_000;

/** What continue-as-new carries. */
export interface BatchState {
  ops: OpState[];
  attempt: number;
  costs: ListCosts;
  waitUnsupported: boolean;
  calls: CallCounts;
}

/** Cancels one batch of a bulk cancel; see the module comment. */
export async function cancelOperationsBatch(input: BatchInput, carried?: BatchState): Promise<BatchResult> {
  checkBatchInput(input);
  if (carried !== undefined && carried !== null) {
    if (workflowInfo().continuedFromExecutionRunId === undefined) {
      throw new InvalidArgumentError('carried', 'is set by continue-as-new only');
    }
    const ops = (carried as { ops?: unknown }).ops;
    if (
      !Array.isArray(ops) ||
      ops.length !== input.operations.length ||
      !ops.every((op: { s?: unknown }) => op?.s === 'send' || op?.s === 'wait' || op?.s === 'done')
    ) {
      throw new InvalidArgumentError('carried', "must be the batch's state, one entry per operation");
    }
  }
  const state: BatchState = carried ?? {
    ops: input.operations.map(() => ({ s: 'send' })),
    attempt: 0,
    costs: { ...input.costs },
    waitUnsupported: false,
    calls: { cancel: 0, get: 0, list: 0, wait: 0 },
  };
  const rules = {
    timeoutMs: input.timeoutMs,
    notFoundGraceMs: input.notFoundGraceMs,
    resendDelayMs: input.schedule.initialIntervalMs,
  };
  const progress = (): BatchProgress => {
    const counts = countOutcomes(state.ops);
    return {
      batch: input.batch,
      total: state.ops.length,
      finished: state.ops.filter((op) => op.s === 'done').length,
      sent: state.ops.filter((op) => op.a || op.fp || op.o !== undefined).length,
      counts,
      calls: { ...state.calls },
    };
  };
  setHandler(batchStatusQuery, progress);
  // Progress goes to the run that started this batch as its child, never to a workflow its input names.
  const parentRun = workflowInfo().parent;
  const parent = parentRun ? getExternalWorkflowHandle(parentRun.workflowId, parentRun.runId) : undefined;
  // Each report is an event in the parent's history: the more batches, the rarer each one reports.
  const reportEveryMs = PROGRESS_EVERY_MS * Math.max(1, Math.ceil((input.batches ?? 1) / 10));
  let reportedAt = 0;
  let reported = '';
  const report = async (force = false): Promise<void> => {
    if (!parent) return;
    const now = Date.now();
    const current = progress();
    const key = JSON.stringify([current.finished, current.sent]);
    if (!force && (key === reported || now - reportedAt < reportEveryMs)) return;
    reported = key;
    reportedAt = now;
    await parent.signal(batchProgressSignal, current).catch(() => undefined);
  };

  const send = proxyActivities<BulkActivities>({
    startToCloseTimeout: `${Math.ceil((SEND_CHUNK / input.cancelsPerSecond) * 1000 + 120_000)} ms`,
    heartbeatTimeout: HEARTBEAT_TIMEOUT_MS,
    retry: { maximumInterval: '60s' },
  });
  const confirmer = proxyActivities<BulkActivities>({
    startToCloseTimeout: `${CONFIRM_BUDGET_MS + WAIT_CALL_MAX_MS + 60_000} ms`,
    heartbeatTimeout: HEARTBEAT_TIMEOUT_MS,
    retry: { maximumInterval: '60s' },
  });
  const open = (): boolean => state.ops.some((op) => op.s !== 'done');
  // Each operation's outcome is counted once, by the run in which it ended (the metric meter skips replays).
  const counted = state.ops.map((op) => op.s === 'done');
  const countEnded = (): void => {
    state.ops.forEach((op, i) => {
      if (op.s !== 'done' || counted[i]) return;
      counted[i] = true;
      countOutcome(metricMeter, op.o ?? 'TIMED_OUT');
    });
  };
  const due = (op: OpState, now: number): boolean => (op.nb ?? 0) <= now;
  let lastRoundAt = -Infinity;
  let lastRoundQuick = false;

  /** One confirmation round over the operations waiting now. */
  const confirmRound = async (): Promise<void> => {
    const now = Date.now();
    const waiting = state.ops.flatMap((op, i) => (op.s === 'wait' && due(op, now) ? [i] : []));
    if (waiting.length === 0) return;
    // A `:wait` holds a connection per operation: wait only when the waiting operations fit in the batch's
    // concurrency, and confirm a larger crowd by listing (one page confirms hundreds).
    const waitMode = input.mode === 'wait' && !state.waitUnsupported && waiting.length <= input.concurrency;
    const timeLeft = Math.min(...waiting.map((i) => (state.ops[i]?.d ?? Infinity) - now));
    const startedAt = now;
    const answer = await confirmer.confirmOperations({
      operations: waiting.map((i) => input.operations[i] as string),
      needsCancelFlag: waiting.flatMap((i, k) => (state.ops[i]?.fp ? [k] : [])),
      concurrency: input.concurrency,
      perSecond: input.readsPerSecond,
      costs: state.costs,
      mode: waitMode ? 'wait' : 'get',
      waitTimeoutMs: Math.max(0, Math.min(WAIT_CALL_MAX_MS, timeLeft)),
      budgetMs: CONFIRM_BUDGET_MS,
      round: state.attempt,
      ...(input.impersonate === undefined ? {} : { impersonate: input.impersonate }),
    });
    state.attempt += 1;
    const after = Date.now();
    const unread = new Set(answer.unread);
    waiting.forEach((i, k) => {
      if (!unread.has(k)) markRead(state.ops[i] as OpState, startedAt);
    });
    for (const seen of answer.observations) {
      const i = waiting[seen.i];
      if (i !== undefined) afterObservation(state.ops[i] as OpState, seen, after, rules);
    }
    state.costs = answer.costs;
    state.calls.get += answer.calls.get;
    state.calls.list += answer.calls.list;
    state.calls.wait += answer.calls.wait;
    if (answer.waitUnsupported) state.waitUnsupported = true;
    lastRoundAt = after;
    // A wait answered at once with nothing done: the next round waits on the schedule, as the canceller does.
    lastRoundQuick = waitMode && after - startedAt < EARLY_WAIT_ANSWER_MS && answer.observations.length === 0;
  };

  while (open()) {
    const now = Date.now();
    // Cancels to send, or to send again once their delay has passed (not visible yet, a transient failure).
    const toSend = state.ops.flatMap((op, i) => (op.s === 'send' && due(op, now) ? [i] : []));
    if (toSend.length > 0) {
      const chunk = toSend.slice(0, SEND_CHUNK);
      const { results } = await send.sendCancels({
        operations: chunk.map((i) => input.operations[i] as string),
        concurrency: input.concurrency,
        perSecond: input.cancelsPerSecond,
        ...(input.impersonate === undefined ? {} : { impersonate: input.impersonate }),
      });
      const sentAt = Date.now();
      chunk.forEach((i, k) => {
        const result = results[k];
        if (result) afterSend(state.ops[i] as OpState, result, sentAt, rules);
      });
      state.calls.cancel += chunk.length;
      // Between chunks of a slow batch, the cancels already sent are confirmed on their schedule, and at their deadline.
      if (
        lastRoundAt < 0 ||
        sentAt - lastRoundAt >= pollDelay(input.schedule, state.attempt, Math.random()) ||
        state.ops.some((op) => op.s === 'wait' && overdue(op, sentAt))
      ) {
        await confirmRound();
      }
    } else {
      const waitingNow = state.ops.filter((op) => op.s === 'wait' && due(op, now));
      if (waitingNow.length > 0) {
        const waitMode = input.mode === 'wait' && !state.waitUnsupported;
        // Right after the cancels, the first round goes at once (as a single canceller's first GET does); a wait
        // needs no timer unless the service answered at once.
        if (waitMode ? lastRoundQuick : lastRoundAt >= 0) {
          const nearest = Math.min(...waitingNow.map((op) => op.d ?? Infinity));
          const delay = pollDelay(input.schedule, Math.max(0, state.attempt - 1), Math.random());
          await sleep(Math.max(1, Math.min(delay, nearest - Date.now())));
        }
        await confirmRound();
      } else {
        // Nothing due: every open operation waits for a delay Google asked for, or a cancel to send again.
        const next = Math.min(...state.ops.map((op) => (op.s === 'done' ? Infinity : (op.nb ?? 0))));
        await sleep(Math.max(1, next - Date.now()));
      }
    }
    expire(state.ops, Date.now());
    countEnded();
    await report();
    if (open() && longHistory()) {
      await continueAsNew<typeof cancelOperationsBatch>(input, state);
    }
  }
  await report(true);
  return resultOf(input, state);
}

function longHistory(): boolean {
  const info = workflowInfo();
  return info.continueAsNewSuggested || info.historyLength > MAX_EVENTS_PER_RUN;
}

function resultOf(input: BatchInput, state: BatchState): BatchResult {
  const notCancelled: NotCancelled[] = [];
  let omitted = 0;
  state.ops.forEach((op, i) => {
    if (op.o === 'CANCELLED') return;
    if (notCancelled.length >= MAX_NOT_CANCELLED_LISTED) {
      omitted += 1;
      return;
    }
    notCancelled.push({
      operation: input.operations[i] as string,
      outcome: op.o ?? 'TIMED_OUT',
      ...(op.e ? { error: op.e } : {}),
    });
  });
  return {
    counts: countOutcomes(state.ops),
    sent: state.ops.filter((op) => op.a || op.fp).length,
    notCancelled,
    notCancelledOmitted: omitted,
    calls: state.calls,
  };
}

/** A batch can be started by hand (the Web UI): its operations pass the same syntax gate as any other input. */
function checkBatchInput(input: BatchInput): void {
  if (typeof input !== 'object' || input === null || !Array.isArray(input.operations)) {
    throw new InvalidArgumentError('operations', 'must be a list of operation URLs');
  }
  input.operations.forEach((operation, i) => {
    const ref = parseOperationRef({ operation });
    if (ref.url !== operation) throw new InvalidArgumentError(`operations[${i}]`, 'must be a canonical URL', operation);
  });
  for (const key of ['concurrency', 'timeoutMs', 'notFoundGraceMs'] as const) {
    if (typeof input[key] !== 'number' || !(input[key] >= 1)) {
      throw new InvalidArgumentError(key, 'must be a number of at least 1', input[key]);
    }
  }
  for (const key of ['cancelsPerSecond', 'readsPerSecond'] as const) {
    if (typeof input[key] !== 'number' || !(input[key] >= 0.001 && input[key] <= 10_000)) {
      throw new InvalidArgumentError(key, 'must be a number from 0.001 to 10000', input[key]);
    }
  }
  const schedule = input.schedule as unknown as Record<string, unknown> | undefined;
  if (
    !schedule ||
    !['initialIntervalMs', 'backoffCoefficient', 'maximumIntervalMs', 'jitter'].every(
      (key) => typeof schedule[key] === 'number' && Number.isFinite(schedule[key]) && (schedule[key] as number) >= 0,
    )
  ) {
    throw new InvalidArgumentError('schedule', 'must be a poll schedule (initialIntervalMs, backoffCoefficient, ...)');
  }
  if (input.mode !== 'get' && input.mode !== 'wait') throw new InvalidArgumentError('mode', 'must be get or wait');
  if (!Number.isInteger(input.batch) || input.batch < 0) {
    throw new InvalidArgumentError('batch', 'must be a whole number', input.batch);
  }
  if (typeof input.costs !== 'object' || input.costs === null) {
    throw new InvalidArgumentError('costs', 'must be an object');
  }
}
