/**
 * What the Web UI and the memo show of a bulk cancel: a one-line summary, and current details kept up to date.
 *
 * Pure: safe to import from workflow code.
 */
import type { BulkStatus, CancelOperationsResult } from './bulk-api';
import { BULK_OUTCOMES, type BulkOutcome } from './bulk-progress';

/** The memo's line for a finished bulk cancel: `9,990 of 10,000 cancelled; not: 6 COMPLETED, 4 TIMED_OUT`. */
export function bulkSummary(result: CancelOperationsResult): string {
  if (result.dryRun) return `dry run: ${number(result.total)} operations would be cancelled; nothing was sent`;
  if (result.total === 0) return 'no operation matched; nothing was sent';
  const others = breakdown(result.counts, (o) => o !== 'CANCELLED');
  return `${number(result.counts.CANCELLED)} of ${number(result.total)} cancelled${others ? `; not: ${others}` : ''}`;
}

/** The bulk cancel's current details, in Markdown. */
export function bulkDetails(status: BulkStatus): string {
  const lines = [
    `**${status.outcome}** · ${status.phase}${status.dryRun ? ' (dry run)' : ''} · ${number(status.total)} operation${status.total === 1 ? '' : 's'}`,
    '',
  ];
  if (status.phase !== 'listing' || status.finished > 0) {
    lines.push(
      `- finished: ${number(status.finished)} of ${number(status.total)}${status.batches ? ` (${status.batches} batches)` : ''}`,
    );
    lines.push(`- cancel requests answered: ${number(status.sent)}`);
    const outcomes = breakdown(status.counts, () => true);
    if (outcomes) lines.push(`- outcomes: ${outcomes}`);
  }
  const { cancel, get, list, wait } = status.calls;
  lines.push(
    `- Google calls: ${number(cancel)} cancel, ${number(list)} list, ${number(get)} get, ${number(wait)} wait`,
  );
  if (status.unreachable.length > 0) {
    lines.push(`- unreachable: ${status.unreachable.map((u) => `\`${u.replace(/[`\r\n]/g, ' ')}\``).join(', ')}`);
  }
  lines.push(`- started: ${status.startedAt}`);
  return lines.join('\n');
}

function breakdown(counts: Record<BulkOutcome, number>, keep: (o: BulkOutcome) => boolean): string {
  return BULK_OUTCOMES.filter((o) => keep(o) && counts[o] > 0)
    .map((o) => `${number(counts[o])} ${o}`)
    .join(', ');
}

function number(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}
