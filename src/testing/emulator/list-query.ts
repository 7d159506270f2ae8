/** Reading a ListOperations request: which operations its parent covers, its filter text, and where its page starts. */
import { envelope, type Answer } from './answers';

/** The most operations one page holds, as Google's services cap `pageSize`; a larger one is read as this. */
export const MAX_PAGE_SIZE = 1000;
const WILDCARD_LOCATION = '/locations/-';
const UNDER_A_LOCATION = /^([^/]+)\/operations\/./;

/** What a list request asks for. */
export interface ListQuery {
  /** Whether an operation of this name is under the parent and reachable. */
  covers(name: string): boolean;
  /** The `filter` parameter as sent, `''` when absent. */
  readonly filter: string;
  /** Operations per page, 1 to {@link MAX_PAGE_SIZE}, or 0 for all of them. */
  readonly pageSize: number;
  /** The position, in the order operations were first added, the page starts from. */
  readonly start: number;
  /** The unreachable locations a wildcard parent spans, to report in the answer. */
  readonly unreachable: readonly string[];
}

/**
 * The list request for `parent` (`undefined` for the root `operations` collection), or the error it answers.
 * A parent ending in `/locations/-` spans every location under it except the `unreachable` ones, reported when the
 * request asks for `returnPartialSuccess` (without it, such a listing answers 503 `UNAVAILABLE`); a parent that is
 * itself unreachable answers 503 `UNAVAILABLE`. Page tokens are positions among the `served` operations, so a
 * page starts where the last one stopped even when operations change state between pages.
 */
export function readListQuery(
  parent: string | undefined,
  query: URLSearchParams,
  served: number,
  unreachable: ReadonlySet<string>,
): ListQuery | Answer {
  if (parent !== undefined && unreachable.has(parent)) {
    return envelope('UNAVAILABLE', `The service is currently unavailable in location "${parent}".`);
  }
  const pageSizeText = query.get('pageSize');
  const pageSize = pageSizeText === null ? 0 : Number(pageSizeText);
  if (!Number.isInteger(pageSize) || pageSize < 0) {
    return envelope('INVALID_ARGUMENT', `Invalid value at 'page_size' (TYPE_INT32), "${pageSizeText ?? ''}"`);
  }
  const pageToken = query.get('pageToken') ?? '';
  const start = pageToken === '' ? 0 : Number(Buffer.from(pageToken, 'base64url').toString('utf8'));
  if (!Number.isInteger(start) || start < 0 || start > served) {
    return envelope('INVALID_ARGUMENT', 'Invalid page token.');
  }
  const common = { filter: query.get('filter') ?? '', pageSize: Math.min(pageSize, MAX_PAGE_SIZE), start };
  if (parent === undefined) return { ...common, covers: (name) => name.startsWith('operations/'), unreachable: [] };
  if (!parent.endsWith(WILDCARD_LOCATION)) {
    const prefix = `${parent}/operations/`;
    return { ...common, covers: (name) => name.startsWith(prefix), unreachable: [] };
  }
  const locations = parent.slice(0, -'-'.length);
  const missing = [...unreachable].filter(
    (location) => location.startsWith(locations) && !location.slice(locations.length).includes('/'),
  );
  // As Google's services do: `unreachable` only for a caller that asked for partial success; without it, a
  // location that cannot answer fails the whole listing.
  if (missing.length > 0 && query.get('returnPartialSuccess') !== 'true') {
    return envelope('UNAVAILABLE', `The service is currently unavailable in location "${missing[0] ?? ''}".`);
  }
  return {
    ...common,
    covers: (name) => {
      if (!name.startsWith(locations)) return false;
      const location = UNDER_A_LOCATION.exec(name.slice(locations.length))?.[1];
      return location !== undefined && !unreachable.has(`${locations}${location}`);
    },
    unreachable: missing,
  };
}

/** The page token that resumes a list at `position`. */
export function pageToken(position: number): string {
  return Buffer.from(String(position), 'utf8').toString('base64url');
}
