/** `status <operation>`: a canceller's live progress, or its result once it has ended. */
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import { statusQuery, type CancellerStatus } from '../domain/canceller-api';
import { EXIT_CODES, ExitError } from '../domain/exit-codes';
import { parseOperationRef } from '../domain/operation-ref';
import type { AwaitOperationResult, CancelOperationResult } from '../domain/outcome';
import { LRO_OUTCOME } from '../domain/search-attributes';
import { awaitWorkflowId, cancelWorkflowId } from '../domain/workflow-id';
import { optional, refInput, REF_HELP, REF_OPTIONS, type Command } from './command';
import { describeFailure, formatProgress, withTimeout, type CancellerHandle } from './progress';
import { withClient } from './with-client';

export const statusCommand: Command = {
  usage: 'status <operation> [options]',
  summary: "show a canceller's progress, or its result once finished (the cancel canceller first, then the await one)",
  help: `${REF_HELP}
  --impersonate <email>   the canceller that acts as this service account
  --json                  print JSON`,
  options: { ...REF_OPTIONS, impersonate: { type: 'string' }, json: { type: 'boolean' } },
  positionals: 1,
  async run(values, [operation], io) {
    const ref = parseOperationRef(refInput(operation, values));
    const asAccount = { operation: ref.url, ...optional('impersonate', values['impersonate']) };
    const ids = [cancelWorkflowId(asAccount), awaitWorkflowId(asAccount)];
    return withClient(io, async (client) => {
      for (const workflowId of ids) {
        const report = await describeCanceller(client, workflowId);
        if (!report) continue;
        io.stdout.write(values['json'] === true ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
        return EXIT_CODES.OK;
      }
      throw new ExitError(`no canceller found for ${ref.url} (workflow IDs ${ids.join(', ')})`, EXIT_CODES.ERROR);
    });
  },
};

interface CancellerReport {
  workflowId: string;
  workflowType: string;
  status: string;
  outcome: string;
  startedAt: string;
  closedAt?: string;
  /** The result, once finished with an outcome. */
  result?: CancelOperationResult | AwaitOperationResult;
  /** Live progress, while running. */
  progress?: CancellerStatus;
  /** Why it ended without an outcome. */
  failure?: string;
}

async function describeCanceller(client: Client, workflowId: string): Promise<CancellerReport | undefined> {
  const handle = client.workflow.getHandle(workflowId) as CancellerHandle;
  let description;
  try {
    description = await handle.describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
  const report: CancellerReport = {
    workflowId,
    workflowType: description.type,
    status: description.status.name,
    outcome: String(description.typedSearchAttributes.get(LRO_OUTCOME) ?? 'PENDING'),
    startedAt: description.startTime.toISOString(),
    ...(description.closeTime ? { closedAt: description.closeTime.toISOString() } : {}),
  };
  if (description.status.name === 'RUNNING') {
    const progress = await withTimeout(handle.query(statusQuery), 10_000).catch(() => undefined);
    return progress ? { ...report, progress, outcome: progress.outcome } : report;
  }
  if (description.status.name === 'CONTINUED_AS_NEW') return report;
  try {
    const result = await handle.result();
    return { ...report, result, outcome: result.outcome };
  } catch (err) {
    return { ...report, failure: await describeFailure(err) };
  }
}

function formatReport(report: CancellerReport): string {
  const rows: [string, string][] = [
    ['workflow', report.workflowId],
    ['type', report.workflowType],
    ['status', report.status],
    ['outcome', report.outcome],
  ];
  const { result, progress } = report;
  if (result) {
    rows.push(
      ['operation', result.operation],
      ['polls', String(result.polls)],
      ['cancel', result.cancelAccepted ? 'accepted' : 'not accepted'],
    );
    if ('timedOut' in result) rows.push(['timed out', String(result.timedOut)]);
    if (result.error) rows.push(['error', `${result.error.status} (${result.error.code}): ${result.error.message}`]);
    if (result.responseType) rows.push(['response', result.responseType]);
    if (result.metadata?.cancelRequested !== undefined)
      rows.push(['cancel requested', String(result.metadata.cancelRequested)]);
    rows.push(['started', result.startedAt], ['finished', result.finishedAt]);
  } else if (progress) {
    rows.push(
      ['operation', progress.operation],
      ['progress', formatProgress(progress, Date.now())],
      ['deadline', progress.deadline],
    );
    if (progress.lastOperation) rows.push(['last state', progress.lastOperation.state]);
    rows.push(['started', progress.startedAt]);
  } else {
    rows.push(['started', report.startedAt]);
    if (report.closedAt) rows.push(['closed', report.closedAt]);
  }
  if (report.failure) rows.push(['failure', report.failure]);
  const width = Math.max(...rows.map(([key]) => key.length));
  return rows.map(([key, value]) => `${key.padEnd(width)}  ${value}\n`).join('');
}
