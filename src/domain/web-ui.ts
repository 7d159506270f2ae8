/**
 * What the Temporal Web UI shows of a canceller: a one-line summary fixed when it starts, and current details the
 * workflow keeps up to date (a few lines of Markdown) so the story is on its page without running a query.
 *
 * Pure: safe to import from workflow code.
 */
import type { CancellerStatus } from './canceller-api';
import type { OperationRef } from './operation-ref';

/** The summary a canceller starts with: `Cancel <operation>` or `Await <operation>`. */
export function startSummary(workflowType: 'cancelOperation' | 'awaitOperation', ref: OperationRef): string {
  return `${workflowType === 'cancelOperation' ? 'Cancel' : 'Await'} ${ref.url}`;
}

/** The summary of the activity that sends the cancel. */
export const CANCEL_ACTIVITY_SUMMARY = 'cancel + first GetOperation';

/** The summary of the activity that makes poll number `poll` (1-based). */
export function pollActivitySummary(poll: number): string {
  return `GetOperation #${poll}`;
}

/** The summary of the timer before the next poll. */
export function pollTimerSummary(delayMs: number): string {
  return `next poll in ${seconds(delayMs)}`;
}

/** The canceller's current details, in Markdown: outcome so far, phase, polls, the cancel, next poll, deadline. */
export function currentDetails(status: CancellerStatus): string {
  const cancel = status.cancelAccepted
    ? 'accepted'
    : status.cancelRequestSent === 'maybe'
      ? 'may have been sent'
      : status.cancelSent
        ? 'answered, not accepted'
        : 'not sent';
  const requested = status.cancelRequested === undefined ? 'not reported' : status.cancelRequested ? 'yes' : 'no';
  const lines = [
    `**${status.outcome}** · ${status.phase} · ${status.polls} poll${status.polls === 1 ? '' : 's'}`,
    '',
    `- cancel request: ${cancel}; the service says cancel requested: ${requested}`,
    ...(status.lastOperation ? [`- operation: ${status.lastOperation.state}`] : []),
    ...(status.lastError ? [`- last error: ${status.lastError.status}: ${status.lastError.message}`] : []),
    ...(status.nextPollAt ? [`- next poll: ${status.nextPollAt}`] : []),
    `- deadline: ${status.deadline}`,
    ...(status.principal ? [`- acting as: ${status.principal}`] : []),
  ];
  return lines.join('\n');
}

function seconds(ms: number): string {
  const s = Math.max(1, Math.round(ms / 1000));
  return s < 120 ? `${s} s` : `${Math.round(s / 60)} min`;
}
