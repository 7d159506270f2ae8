/**
 * The ListOperations filters the package can check itself: AIP-160 terms `done = true|false` and
 * `metadata.<field> = "<value>"` joined by `AND`. A bulk cancel passes its filter to the service as a hint and
 * checks every listed operation against the same terms here, so a service that ignores the filter cannot widen
 * the set.
 *
 * Pure: safe to import from workflow code.
 */
import type { OperationSummary } from './operation-summary';

/** One term of a filter. */
export type FilterTerm = { done: boolean } | { path: string[]; value: string };

const FIELD_SEGMENT = '(?:@type|[A-Za-z_][A-Za-z0-9_]*)';
const TERM = new RegExp(
  `\\s*(?:done\\s*=\\s*(true|false)|metadata\\.(${FIELD_SEGMENT}(?:\\.${FIELD_SEGMENT})*)\\s*=\\s*"((?:[^"\\\\]|\\\\.)*)")`,
  'y',
);
const AND = /\s+AND\s+/y;
const END = /\s*$/y;

/**
 * The terms `text` states, or `undefined` when it is outside the subset: terms joined by ` AND `, each
 * `done = true`, `done = false` or `metadata.<field> = "<value>"` (a dotted field path; `\"` and `\\` escape in the
 * value), spaces around `=` optional. A blank filter has no terms.
 */
export function parseFilterTerms(text: string): FilterTerm[] | undefined {
  const terms: FilterTerm[] = [];
  let at = 0;
  END.lastIndex = 0;
  if (END.test(text)) return terms;
  for (;;) {
    TERM.lastIndex = at;
    const term = TERM.exec(text);
    if (!term) return undefined;
    at = TERM.lastIndex;
    const [, done, field, quoted] = term;
    terms.push(
      done !== undefined
        ? { done: done === 'true' }
        : { path: (field ?? '').split('.'), value: (quoted ?? '').replace(/\\(.)/g, '$1') },
    );
    END.lastIndex = at;
    if (END.test(text)) return terms;
    AND.lastIndex = at;
    if (!AND.test(text)) return undefined;
    at = AND.lastIndex;
  }
}

/**
 * Whether a summarised operation passes every term. What the summary does not hold (a nested field, one left out
 * to keep it bounded) does not pass: an operation we cannot show matches is not cancelled.
 */
export function summaryMatches(terms: readonly FilterTerm[], operation: OperationSummary): boolean {
  return terms.every((term) => {
    if ('done' in term) return operation.done === term.done;
    if (term.path.length !== 1) return false;
    const key = term.path[0] as string;
    const value = key === '@type' ? operation.metadata?.type : operation.metadata?.fields[key];
    if (typeof value === 'string') return value === term.value;
    return (typeof value === 'number' || typeof value === 'boolean') && String(value) === term.value;
  });
}
