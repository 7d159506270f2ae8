/**
 * Registers the `Lro*` search attributes with a namespace if they are missing. Upserting an unregistered
 * attribute makes a workflow task fail and retry forever, so workers and test servers do this first.
 */
import type { ConnectionLike } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { LRO_SEARCH_ATTRIBUTES } from '../domain/search-attributes';

/**
 * Adds whichever of `LroOperation`, `LroService`, `LroOutcome` the namespace lacks. Throws an `Error` with
 * one clear sentence when the server refuses (e.g. Temporal Cloud, where they are added in its console or
 * with `tcld`).
 *
 * @returns the names it added.
 */
export async function ensureSearchAttributes(
  connection: Pick<ConnectionLike, 'operatorService'>,
  namespace: string,
): Promise<string[]> {
  const wanted = LRO_SEARCH_ATTRIBUTES.map((key) => key.name);
  let missing = wanted;
  try {
    const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
    missing = wanted.filter((name) => !(customAttributes && name in customAttributes));
  } catch (err) {
    // The time-skipping test server can add search attributes but not list them: add them all.
    if (grpcCode(err) !== UNIMPLEMENTED) {
      throw new Error(
        `cannot list search attributes of namespace ${namespace} (${firstLine(err)}); register ${wanted.join(', ')} as Keyword yourself`,
      );
    }
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
    if (grpcCode(err) === ALREADY_EXISTS) return [];
    throw new Error(
      `cannot register search attributes ${missing.join(', ')} in namespace ${namespace} (${firstLine(err)}); register them as Keyword yourself (on Temporal Cloud: its console or tcld)`,
    );
  }
  return missing;
}

const ALREADY_EXISTS = 6;
const UNIMPLEMENTED = 12;

function grpcCode(err: unknown): number | undefined {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'number' ? code : undefined;
}

function firstLine(err: unknown): string {
  return String((err as Error)?.message ?? err).split('\n')[0] ?? '';
}
