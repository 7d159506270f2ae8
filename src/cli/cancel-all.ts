/**
 * `cancel-all`: cancel every operation a selector matches (`--parent` with `--service`/`--api-version`), or every
 * operation of a file; `--dry-run` prints what would be cancelled as a table and sends nothing; `--wait` shows
 * progress and exits 0 only when every operation ended `CANCELLED`.
 */
import { readFile } from 'node:fs/promises';
import type { WorkflowHandle } from '@temporalio/client';
import { bulkStatusQuery, type BulkStatus, type CancelOperationsResult } from '../domain/bulk-api';
import { validateBulkInput, type CancelOperationsInput } from '../domain/bulk-input';
import { BULK_OUTCOMES } from '../domain/bulk-progress';
import { EXIT_CODES, ExitError } from '../domain/exit-codes';
import { InvalidArgumentError } from '../domain/invalid-argument';
import { startCancelAll } from '../temporal/bulk-client';
import { duration, optional, REF_OPTIONS, taskQueueOf, type CliIo, type Command, type Values } from './command';
import { describeFailure, formatDuration, withTimeout } from './progress';
import { withClient } from './with-client';

/** Exit code of `cancel-all --wait` when some operation did not end `CANCELLED`. */
export const SOME_NOT_CANCELLED_EXIT = 16;
/** Lines of operations that did not end `CANCELLED` printed after `--wait`. */
const NOT_CANCELLED_SHOWN = 20;

export const cancelAllCommand: Command = {
  usage: 'cancel-all (--parent <p> --service <host> --api-version <v> | --operations-file <f>) [options]',
  summary: 'cancel every operation a selector matches, or every operation of a file, and confirm each',
  help: `  --parent <p>            whose operations: projects/p/locations/l, organizations/o/locations/l, projects/p/locations/-
  --service <host>        the API host (e.g. alloydb.googleapis.com); with --operations-file, for resource names
  --api-version <v>       the API version (e.g. v1beta)
  --filter <f>            a ListOperations filter, passed to the service as a hint (every match is checked here)
  --created-before <t>    only operations whose metadata.createTime is before this RFC 3339 time
  --metadata-type <t>     only operations whose metadata @type is this
  --include-done          also operations already done (default: running ones only)
  --operations-file <f>   operation URLs (or names), one per line ("-" for standard input) instead of a selector
  --dry-run               print what would be cancelled, as a table; send nothing
  --concurrency <n>       Google calls in flight at once (default 10)
  --cancels-per-second <n> cancel requests per second (default 5)
  --timeout <d>           how long to wait for each cancel to be confirmed (default 1h)
  --poll-mode <m>         get (default) or wait (WaitOperation, where the service has it)
  --max-operations <n>    refuse a selector that matches more (default 10000)
  --impersonate <email>   act as this service account (the worker's LRO_IMPERSONATION_ALLOWED must allow it)
  --task-queue <queue>    where the worker polls
  --wait                  stay, show progress; exit 0 only if every operation ended CANCELLED and none was
                          left out (unreachable, refused); else ${SOME_NOT_CANCELLED_EXIT}`,
  options: {
    ...REF_OPTIONS,
    parent: { type: 'string' },
    filter: { type: 'string' },
    'created-before': { type: 'string' },
    'metadata-type': { type: 'string' },
    'include-done': { type: 'boolean' },
    'operations-file': { type: 'string' },
    'dry-run': { type: 'boolean' },
    concurrency: { type: 'string' },
    'cancels-per-second': { type: 'string' },
    timeout: { type: 'string' },
    'poll-mode': { type: 'string' },
    'max-operations': { type: 'string' },
    impersonate: { type: 'string' },
    'task-queue': { type: 'string' },
    wait: { type: 'boolean' },
  },
  positionals: 0,
  async run(values, _positionals, io) {
    const input = await inputOf(values);
    validateBulkInput(input);
    return withClient(io, async (client) => {
      const handle = await startCancelAll(client, input, { taskQueue: taskQueueOf(values, io) });
      if (input.dryRun) {
        const result = await handle.result().catch(async (err: unknown) => {
          throw new ExitError(`the dry run failed: ${await describeFailure(err)}`, EXIT_CODES.ERROR);
        });
        io.stdout.write(dryRunTable(result));
        return EXIT_CODES.OK;
      }
      io.stdout.write(`${handle.workflowId}\n`);
      if (values['wait'] !== true) return EXIT_CODES.OK;
      return follow(handle, io);
    });
  },
};

async function inputOf(values: Values): Promise<CancelOperationsInput> {
  const file = values['operations-file'];
  const common: CancelOperationsInput = {
    ...(values['dry-run'] === true ? { dryRun: true } : {}),
    ...numberFlag('concurrency', '--concurrency', values['concurrency']),
    ...numberFlag('cancelsPerSecond', '--cancels-per-second', values['cancels-per-second']),
    ...numberFlag('maxOperations', '--max-operations', values['max-operations']),
    ...duration('timeout', values['timeout']),
    ...optional('impersonate', values['impersonate']),
    ...(typeof values['poll-mode'] === 'string' ? { poll: { mode: values['poll-mode'] as 'get' | 'wait' } } : {}),
  };
  if (typeof file === 'string') {
    for (const flag of ['parent', 'filter', 'created-before', 'metadata-type', 'include-done']) {
      if (values[flag] !== undefined) {
        throw new InvalidArgumentError(
          `--${flag}`,
          'selects from a listing: give it with --parent, not --operations-file',
        );
      }
    }
    const text =
      file === '-'
        ? await readStdin()
        : await readFile(file, 'utf8').catch((err: Error) => {
            throw new InvalidArgumentError('--operations-file', `cannot be read: ${err.message}`);
          });
    const operations = text
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#'));
    return {
      ...common,
      operations,
      ...optional('service', values['service']),
      ...optional('apiVersion', values['api-version']),
    };
  }
  if (typeof values['parent'] !== 'string') {
    throw new InvalidArgumentError('--parent', 'is required (or --operations-file): whose operations to cancel');
  }
  return {
    ...common,
    select: {
      service: typeof values['service'] === 'string' ? values['service'] : '',
      apiVersion: typeof values['api-version'] === 'string' ? values['api-version'] : '',
      parent: values['parent'],
      ...optional('filter', values['filter']),
      ...optional('createdBefore', values['created-before']),
      ...optional('metadataType', values['metadata-type']),
      ...(values['include-done'] === true ? { notDone: false } : {}),
    },
  };
}

/** Shows progress until the bulk cancel ends; 0 only when every operation ended `CANCELLED`. */
async function follow(handle: WorkflowHandle, io: CliIo): Promise<number> {
  const result = handle.result().then(
    (value: CancelOperationsResult) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  let settled = false;
  void result.then(() => (settled = true));
  let last = '';
  while (!settled) {
    const status = await withTimeout(handle.query(bulkStatusQuery), 5_000).catch(() => undefined);
    if (status && !settled) {
      const line = progressLine(status, Date.now());
      if (line !== last) io.stdout.write(`${line}\n`);
      last = line;
    }
    await Promise.race([result, new Promise((resolve) => setTimeout(resolve, 1_000))]);
  }
  const settledResult = await result;
  if (!settledResult.ok) {
    throw new ExitError(
      `the bulk cancel did not finish: ${await describeFailure(settledResult.error)}`,
      EXIT_CODES.ERROR,
    );
  }
  const r = settledResult.value;
  io.stdout.write(`${r.outcome}: ${r.counts.CANCELLED} of ${r.total} cancelled${breakdown(r.counts, true)}\n`);
  for (const entry of r.notCancelled.slice(0, NOT_CANCELLED_SHOWN)) {
    const error = entry.error ? ` (${entry.error.status}: ${entry.error.message})` : '';
    io.stdout.write(`  ${entry.outcome}: ${entry.operation}${error}\n`);
  }
  const more = r.notCancelled.length - NOT_CANCELLED_SHOWN + r.notCancelledOmitted;
  if (more > 0) io.stdout.write(`  … and ${more} more\n`);
  for (const location of r.unreachable) io.stdout.write(`  unreachable (not listed): ${printable(location)}\n`);
  if (r.refused > 0)
    io.stdout.write(`  refused by our checks: ${r.refused} (e.g. ${printable(r.refusedExamples[0] ?? '')})\n`);
  // Operations that could not even be considered were not cancelled either.
  const whole = r.unreachable.length === 0 && r.refused === 0;
  return whole && (r.outcome === 'CANCELLED' || r.outcome === 'NONE') ? EXIT_CODES.OK : SOME_NOT_CANCELLED_EXIT;
}

/** `cancelling | 420 of 1000 finished | sent 1000 | CANCELLED 400, TIMED_OUT 20 | elapsed 35s` */
export function progressLine(status: BulkStatus, now: number): string {
  const parts: string[] = [status.phase];
  if (status.phase === 'listing') parts.push(`${status.total} found`);
  else parts.push(`${status.finished} of ${status.total} finished`, `sent ${status.sent}`);
  const outcomes = breakdown(status.counts, false).replace(/^; /, '');
  if (outcomes) parts.push(outcomes);
  parts.push(`elapsed ${formatDuration(now - Date.parse(status.startedAt))}`);
  return parts.join(' | ');
}

function breakdown(counts: Record<string, number>, othersOnly: boolean): string {
  const shown = BULK_OUTCOMES.filter((o) => (counts[o] ?? 0) > 0 && !(othersOnly && o === 'CANCELLED'));
  return shown.length === 0 ? '' : `; ${shown.map((o) => `${o} ${counts[o]}`).join(', ')}`;
}

/** The dry run's table: one operation a line, with when it was created and its metadata type. */
export function dryRunTable(result: CancelOperationsResult): string {
  const rows = (result.operations ?? []).map((o) => [
    o.operation,
    printable(o.createTime ?? '-'),
    printable(o.metadataType ?? '-'),
  ]);
  const header = ['OPERATION', 'CREATED', 'TYPE'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  const out = [line(header), ...rows.map(line)];
  const shown = rows.length < result.total ? ` (the first ${rows.length} shown)` : '';
  out.push(`${result.total} operation${result.total === 1 ? '' : 's'} would be cancelled${shown}; nothing was sent`);
  for (const location of result.unreachable) out.push(`unreachable (not listed): ${location}`);
  if (result.refused > 0)
    out.push(`refused by our checks: ${result.refused} (e.g. ${result.refusedExamples[0] ?? ''})`);
  return `${out.join('\n')}\n`;
}

function numberFlag<K extends string>(
  key: K,
  flag: string,
  value: string | boolean | undefined,
): Partial<Record<K, number>> {
  if (typeof value !== 'string') return {};
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError(flag, 'must be a number', value);
  return { [key]: n } as Record<K, number>;
}

/** Text from the service, made safe for a terminal: no control characters (escape sequences). */
function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
