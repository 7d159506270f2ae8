/**
 * Registers the `Lro*` search attributes with a namespace if they are missing. Upserting an unregistered
 * attribute makes a workflow task fail and retry forever, so workers and test servers do this first.
 */
import type { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { LRO_SEARCH_ATTRIBUTES } from './search-attributes';

/**
 * Adds whichever of `LroOperation`, `LroService`, `LroOutcome` the namespace lacks. Throws an `Error` with
 * one clear sentence when the server refuses (e.g. Temporal Cloud, where they are added in its console or
 * with `tcld`).
 *
 * @returns the names it added.
 */
export async function ensureSearchAttributes(connection: Connection, namespace: string): Promise<string[]> {
  const wanted = LRO_SEARCH_ATTRIBUTES.map((key) => key.name);
  let missing: string[];
  try {
    const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
    missing = wanted.filter((name) => !(customAttributes && name in customAttributes));
  } catch (err) {
    throw new Error(
      `cannot list search attributes of namespace ${namespace} (${firstLine(err)}); register ${wanted.join(', ')} as Keyword yourself`,
    );
  }
  if (missing.length === 0) return [];
  try {
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(
        missing.map((name) => [name, temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD]),
      ),
    });
  } catch (err) {
    throw new Error(
      `cannot register search attributes ${missing.join(', ')} in namespace ${namespace} (${firstLine(err)}); register them as Keyword yourself (on Temporal Cloud: its console or tcld)`,
    );
  }
  return missing;
}

function firstLine(err: unknown): string {
  return String((err as Error)?.message ?? err).split('\n')[0] ?? '';
}
