/** The AIP-160 filters the emulated ListOperations understands, applied to an Operation's JSON. */
import { parseFilterTerms } from '../../domain/list-filter';

/** Whether an Operation, as its JSON, passes a filter. */
export type OperationFilter = (operation: Record<string, unknown>) => boolean;

/**
 * The filter `text` states (see `parseFilterTerms`), or `undefined` when it is outside the subset. A metadata term
 * matches a string field equal to the value, or a number or boolean field that prints as it. A blank filter
 * matches everything.
 */
export function parseListFilter(text: string): OperationFilter | undefined {
  const terms = parseFilterTerms(text);
  if (terms === undefined) return undefined;
  return (operation) =>
    terms.every((term) =>
      'done' in term ? (operation['done'] === true) === term.done : fieldIs(operation, term.path, term.value),
    );
}

function fieldIs(operation: Record<string, unknown>, path: readonly string[], wanted: string): boolean {
  let value: unknown = operation['metadata'];
  for (const key of path) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
    value = (value as Record<string, unknown>)[key];
  }
  if (typeof value === 'string') return value === wanted;
  return (typeof value === 'number' || typeof value === 'boolean') && String(value) === wanted;
}
