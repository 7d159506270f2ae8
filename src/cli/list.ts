/** `list`: cancellers, newest first, from a visibility query on `LroOutcome`. */
import { InvalidArgumentError } from '../domain/invalid-argument';
import { EXIT_CODES } from '../domain/exit-codes';
import { OUTCOMES } from '../domain/outcome';
import { LRO_OPERATION, LRO_OUTCOME } from '../domain/search-attributes';
import { parseCount, type Command } from './command';
import { withClient } from './with-client';

/** What `list --outcome` accepts: the outcomes, and the other values of `LroOutcome`. */
export const LISTABLE_OUTCOMES = [...OUTCOMES, 'PENDING', 'ERROR', 'ABANDONED'] as const;

export const listCommand: Command = {
  usage: 'list [options]',
  summary: 'list cancellers, newest first, from a visibility query on LroOutcome',
  help: `  --outcome <outcome>     only this LroOutcome: ${LISTABLE_OUTCOMES.join(', ')}
  --limit <n>             at most this many rows (default 20)
  --json                  print JSON lines`,
  options: { outcome: { type: 'string' }, limit: { type: 'string' }, json: { type: 'boolean' } },
  positionals: 0,
  async run(values, _positionals, io) {
    const outcome = values['outcome'];
    if (typeof outcome === 'string' && !(LISTABLE_OUTCOMES as readonly string[]).includes(outcome)) {
      throw new InvalidArgumentError('--outcome', `must be one of ${LISTABLE_OUTCOMES.join(', ')}`, outcome);
    }
    const limit = parseCount('--limit', values['limit'], 20);
    const query =
      typeof outcome === 'string'
        ? `LroOutcome = "${outcome}"`
        : `WorkflowType IN ("cancelOperation", "awaitOperation")`;
    return withClient(io, async (client) => {
      const rows: string[][] = [];
      for await (const wf of client.workflow.list({ query, pageSize: Math.min(limit, 1000) })) {
        const row = {
          outcome: String(wf.typedSearchAttributes.get(LRO_OUTCOME) ?? '-'),
          status: wf.status.name,
          workflow: wf.type,
          started: wf.startTime.toISOString(),
          operation: String(wf.typedSearchAttributes.get(LRO_OPERATION) ?? wf.workflowId),
        };
        if (values['json'] === true) io.stdout.write(`${JSON.stringify({ workflowId: wf.workflowId, ...row })}\n`);
        rows.push(Object.values(row));
        if (rows.length >= limit) break;
      }
      if (values['json'] !== true) {
        io.stdout.write(table(['OUTCOME', 'STATUS', 'WORKFLOW', 'STARTED', 'OPERATION'], rows));
        if (rows.length === 0) io.stdout.write(`(no cancellers match ${query})\n`);
      }
      return EXIT_CODES.OK;
    });
  },
};

function table(header: string[], rows: string[][]): string {
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]): string =>
    `${cells.map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ')}\n`;
  return [header, ...rows].map(line).join('');
}
