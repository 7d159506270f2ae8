/**
 * What the Temporal Web UI shows of a canceller: a one-line summary fixed when it starts, and current details the
 * workflow keeps up to date (a few lines of Markdown) so the story is on its page without running a query.
 *
 * Pure: safe to import from workflow code.
 */
import type { CancellerStatus } from './canceller-api';
import type { OperationRef } from './operation-ref';

/** The longest operation URL a summary shows whole; Temporal bounds a summary (400 bytes by default). */
const MAX_SUMMARY_URL_LENGTH = 180;

/**
 * The summary a canceller starts with: ``Cancel `<operation>` `` or ``Await `<operation>` ``, a long URL shortened
 * in its middle. In a code span: the URL is the starter's input, not yet checked by the worker, so not a link.
 */
export function startSummary(workflowType: 'cancelOperation' | 'awaitOperation', ref: OperationRef): string {
  return `${verb(workflowType)} ${code(shortened(ref.url, MAX_SUMMARY_URL_LENGTH))}`;
}

/** The summary of the activity that sends the cancel. */
export const CANCEL_ACTIVITY_SUMMARY = 'cancel + first GetOperation';

/** The summary of the activity that makes poll number `poll` (1-based). */
export function pollActivitySummary(poll: number): string {
  return `GetOperation #${poll}`;
}

/** The summary of the activity that makes poll number `poll` (1-based) as a WaitOperation call of `timeoutMs`. */
export function waitActivitySummary(poll: number, timeoutMs: number): string {
  return `WaitOperation #${poll} (up to ${seconds(timeoutMs)})`;
}

/** The summary of the timer before the next poll. */
export function pollTimerSummary(delayMs: number): string {
  return `next poll in ${seconds(delayMs)}`;
}

/** The summary of the activity a parent reads an ended canceller's outcome with. */
export const CANCELLER_OUTCOME_SUMMARY = "read the ended canceller's outcome";

/** The summary of a joined parent's timer: when it checks that its canceller is still there. */
export function joinedTimerSummary(delayMs: number): string {
  return `waiting for the canceller; check it is still there in ${seconds(delayMs)}`;
}

/**
 * The canceller's current details, in Markdown: what it does (a run continued as new has no start summary), the
 * outcome so far, phase, polls, the cancel, next poll, deadline. Text from Google and accounts sit in code spans,
 * so an answer cannot put a link or an image on the operator's page.
 */
export function currentDetails(workflowType: 'cancelOperation' | 'awaitOperation', status: CancellerStatus): string {
  const cancel = status.cancelAccepted
    ? 'accepted'
    : status.cancelRequestSent === 'maybe'
      ? 'may have been sent'
      : status.cancelSent
        ? 'answered, not accepted'
        : 'not sent';
  const requested = status.cancelRequested === undefined ? 'not reported' : status.cancelRequested ? 'yes' : 'no';
  const lines = [
    `${verb(workflowType)} ${code(status.operation)}`,
    '',
    `**${status.outcome}** · ${status.phase} · ${status.polls} poll${status.polls === 1 ? '' : 's'}`,
    '',
    `- cancel request: ${cancel}; the service says cancel requested: ${requested}`,
    ...(status.lastOperation ? [`- operation: ${status.lastOperation.state}`] : []),
    ...(status.lastError ? [`- last error: ${status.lastError.status}: ${code(status.lastError.message)}`] : []),
    ...(status.pollMode && status.pollMode !== 'get' ? [`- poll mode: ${POLL_MODE_NOTES[status.pollMode]}`] : []),
    ...(status.waitingUntil ? [`- waiting for the operation until: ${status.waitingUntil}`] : []),
    ...(status.nextPollAt ? [`- next poll: ${status.nextPollAt}`] : []),
    `- deadline: ${status.deadline}`,
    ...(status.principal ? [`- acting as: ${code(status.principal)}`] : []),
    ...(status.waiters ? [`- workflows waiting for its outcome: ${status.waiters}`] : []),
  ];
  return lines.join('\n');
}

const POLL_MODE_NOTES = {
  wait: 'WaitOperation',
  'get (wait unsupported)': 'GetOperation (the service does not support WaitOperation)',
} as const;

function verb(workflowType: 'cancelOperation' | 'awaitOperation'): string {
  return workflowType === 'cancelOperation' ? 'Cancel' : 'Await';
}

/** `text` as a Markdown code span: nothing in it is read as Markdown. */
function code(text: string): string {
  return `\`${text.replace(/[`\r\n]/g, (c) => (c === '`' ? "'" : ' '))}\``;
}

/** `text`, cut in its middle to at most `max` characters. */
export function shortened(text: string, max: number): string {
  if (text.length <= max) return text;
  const head = Math.ceil((max - 1) / 2);
  return `${text.slice(0, head)}…${text.slice(text.length - (max - 1 - head))}`;
}

function seconds(ms: number): string {
  const s = Math.max(1, Math.round(ms / 1000));
  return s < 120 ? `${s} s` : `${Math.round(s / 60)} min`;
}
