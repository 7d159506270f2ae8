/**
 * Starting a bulk cancel from client code: one `cancelOperations` per set, joined rather than duplicated while it
 * runs.
 */
import { createHash } from 'node:crypto';
import type { Client, WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import type { cancelOperations } from '../../workflows';
import { validateBulkInput, type BulkSettings, type CancelOperationsInput } from '../domain/bulk-input';
import { LRO_OUTCOME } from '../domain/search-attributes';
import { DEFAULT_TASK_QUEUE } from '../domain/task-queue';
import type { StartOptions } from './client';

/** Where every bulk cancel's workflow ID starts. */
export const CANCEL_ALL_ID_PREFIX = 'lro-cancel-all:';

/**
 * The workflow ID of a bulk cancel: the same for the same set (the same operations in any order and with any
 * repeats, or the same selector), acting as the same account; a dry run has IDs of its own. Throws
 * `InvalidArgumentError` for bad input.
 */
export function cancelAllWorkflowId(input: CancelOperationsInput): string {
  return workflowIdOf(validateBulkInput(input));
}

/**
 * Starts `cancelOperations` for a set, or joins the one running for the same set (`USE_EXISTING`): a second
 * start while it runs sends no second cancel. Rejects with `InvalidArgumentError` for bad input before contacting
 * the server.
 */
export async function startCancelAll(
  client: Client,
  input: CancelOperationsInput,
  options: StartOptions = {},
): Promise<WorkflowHandleWithFirstExecutionRunId<typeof cancelOperations>> {
  const settings = validateBulkInput(input);
  const what = settings.select
    ? `${settings.select.service}/${settings.select.apiVersion}/${settings.select.parent || 'operations'}`
    : `${settings.refs?.length ?? 0} operations`;
  return client.workflow.start<typeof cancelOperations>('cancelOperations', {
    args: [input],
    taskQueue: options.taskQueue ?? DEFAULT_TASK_QUEUE,
    workflowId: options.workflowId ?? workflowIdOf(settings),
    workflowIdConflictPolicy: 'USE_EXISTING',
    typedSearchAttributes: [{ key: LRO_OUTCOME, value: 'PENDING' }],
    memo: { summary: `PENDING: ${settings.dryRun ? 'dry run of ' : ''}cancelling ${what}` },
    staticSummary: `${settings.dryRun ? 'Dry run: cancel' : 'Cancel'} ${settings.select ? `what \`${what}\` lists` : what}`,
  });
}

function workflowIdOf(settings: BulkSettings): string {
  const set = settings.refs
    ? { operations: settings.refs.map((ref) => ref.url).sort() }
    : { select: Object.fromEntries(Object.entries(settings.select ?? {}).sort(([a], [b]) => a.localeCompare(b))) };
  const digest = createHash('sha256')
    .update(JSON.stringify({ ...set, as: settings.impersonate ?? null }))
    .digest('hex')
    .slice(0, 32);
  return `${CANCEL_ALL_ID_PREFIX}${settings.dryRun ? 'dry-run:' : ''}${digest}`;
}
