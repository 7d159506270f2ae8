/** One emulated operation's life: where it stands, the transitions it waits for, and the Operation JSON it shows. */
import { RpcCode } from '../../domain/rpc-code';
import type { OperationState, ScriptedOperation, Transition } from './types';

const EMPTY_RESPONSE = { '@type': 'type.googleapis.com/google.protobuf.Empty' } as const;
const CANCELLED_ERROR = { code: RpcCode.CANCELLED, message: 'Operation was cancelled.' } as const;

/** A transition under way, counted from its trigger. */
export interface PendingTransition {
  readonly transition: Transition;
  /** Epoch milliseconds of the trigger. */
  readonly startedAt: number;
  /** {@link OperationEntry.polls} at the trigger. */
  readonly pollsAtStart: number;
}

/** A served operation: its script and where it stands now. */
export interface OperationEntry {
  readonly script: ScriptedOperation;
  state: OperationState;
  cancelRequested: boolean;
  /** Polls answered while visible: GETs, list pages that included it, waits. */
  polls: number;
  hiddenRequestsLeft: number;
  afterCancel?: PendingTransition;
  finish?: PendingTransition;
}

/** A new operation from `script`, its `finish` counted from `now`. */
export function newEntry(script: ScriptedOperation, now: number): OperationEntry {
  const entry: OperationEntry = {
    script: { ...script },
    state: script.initial ?? { kind: 'running' },
    cancelRequested: false,
    polls: 0,
    hiddenRequestsLeft: script.visibleAfterPolls ?? 0,
  };
  if (script.finish) entry.finish = { transition: script.finish, startedAt: now, pollsAtStart: 0 };
  return entry;
}

/** Apply the earliest due transition, if any; a done state never changes again. */
export function advance(entry: OperationEntry, now: number): void {
  if (entry.state.kind !== 'running') return;
  let chosen: 'afterCancel' | 'finish' | undefined;
  let chosenAt = Infinity;
  for (const which of ['afterCancel', 'finish'] as const) {
    const dueAt = dueTime(entry[which], entry.polls, now);
    if (dueAt !== undefined && dueAt < chosenAt) {
      chosen = which;
      chosenAt = dueAt;
    }
  }
  if (chosen === undefined) return;
  const pending = entry[chosen] as PendingTransition;
  delete entry[chosen];
  entry.state = pending.transition.to;
  if (entry.state.kind !== 'running') clearPending(entry);
}

/** Whether the operation would be done (or gone) after one more poll counted at `now`; nothing changes. */
export function doneAfterPoll(entry: OperationEntry, now: number): boolean {
  const trial: OperationEntry = { ...entry, polls: entry.polls + 1 };
  advance(trial, now);
  return trial.state.kind !== 'running';
}

/** Epoch milliseconds at which the earliest time-counted pending transition falls due, if any is pending. */
export function nextDueAt(entry: OperationEntry): number | undefined {
  let earliest: number | undefined;
  for (const pending of [entry.afterCancel, entry.finish]) {
    if (!pending) continue;
    const { afterMs, afterPolls } = pending.transition;
    if (afterMs === undefined && afterPolls !== undefined) continue;
    const dueAt = pending.startedAt + (afterMs ?? 0);
    if (earliest === undefined || dueAt < earliest) earliest = dueAt;
  }
  return earliest;
}

/**
 * When a pending transition became due, or `undefined` if it is not due. Poll-counted ones are checked right
 * after every poll, so one found due now became due now; a time-based one became due at its deadline.
 */
function dueTime(pending: PendingTransition | undefined, polls: number, now: number): number | undefined {
  if (!pending) return undefined;
  const { afterPolls, afterMs } = pending.transition;
  if (afterPolls === undefined && afterMs === undefined) return pending.startedAt;
  const byTime = afterMs !== undefined && now - pending.startedAt >= afterMs ? pending.startedAt + afterMs : undefined;
  const byPolls = afterPolls !== undefined && polls - pending.pollsAtStart >= afterPolls ? now : undefined;
  if (byTime === undefined) return byPolls;
  return byPolls === undefined ? byTime : Math.min(byTime, byPolls);
}

/** Drop the transitions still pending. */
export function clearPending(entry: OperationEntry): void {
  delete entry.afterCancel;
  delete entry.finish;
}

/** The Operation JSON of `entry` as it stands, or `undefined` once it is gone. */
export function render(entry: OperationEntry): Record<string, unknown> | undefined {
  const { script, state } = entry;
  if (state.kind === 'gone') return undefined;
  const json: Record<string, unknown> = { name: script.name };
  const metadata: Record<string, unknown> = { ...script.metadata };
  const flag = script.cancelFlag ?? 'requestedCancellation';
  if (flag !== 'none') metadata[flag] = entry.cancelRequested;
  if (script.metadataPaddingBytes) metadata['padding'] = 'x'.repeat(script.metadataPaddingBytes);
  if (Object.keys(metadata).length > 0) json['metadata'] = metadata;
  switch (state.kind) {
    case 'running':
      if (!script.omitFalseDone) json['done'] = false;
      break;
    case 'cancelled':
      json['done'] = true;
      json['error'] = { ...CANCELLED_ERROR };
      break;
    case 'succeeded': {
      json['done'] = true;
      const response: Record<string, unknown> = { ...(state.response ?? EMPTY_RESPONSE) };
      if (script.responsePaddingBytes) response['padding'] = 'x'.repeat(script.responsePaddingBytes);
      json['response'] = response;
      break;
    }
    case 'failed':
      json['done'] = true;
      json['error'] = { code: state.error.code, message: state.error.message };
      break;
    case 'done-without-result':
      json['done'] = true;
      break;
  }
  return json;
}
