/** Reading a request: the route its method and path take, and the parts of it the routes look at. */
import type { IncomingHttpHeaders } from 'node:http';

import { GENERATE_ACCESS_TOKEN } from './iam-credentials';
import type { ConnectionKind, RecordedRequest } from './types';

/** Where every metadata-server path starts. */
export const METADATA_PREFIX = '/computeMetadata/v1/';
/** An API version segment: `v1`, `v1beta`, `v2alpha1`. */
export const VERSION_PATTERN = /^v\d+((alpha|beta)\d*)?$/;

/** The route a request takes, with the operation name (or list parent) and API version in its path. */
export interface RouteMatch {
  readonly route: RecordedRequest['route'];
  readonly name?: string;
  readonly apiVersion?: string;
}

/**
 * The route of `method` and `path` (not percent-decoded). A GET whose path ends in `/operations` is a list
 * unless `isOperation` says an operation has that very name.
 */
export function matchRoute(method: string, path: string, isOperation: (name: string) => boolean): RouteMatch {
  if (path.startsWith(METADATA_PREFIX)) {
    return {
      route: /^instance\/service-accounts\/[^/]+\/token$/.test(path.slice(METADATA_PREFIX.length))
        ? 'token'
        : 'metadata',
    };
  }
  if (path === '/token' && method === 'POST') return { route: 'token' };
  const impersonated = method === 'POST' ? GENERATE_ACCESS_TOKEN.exec(path) : null;
  if (impersonated) return { route: 'iam', name: impersonated[1] as string };
  const versioned = /^\/([^/]+)\/(.+)$/.exec(path);
  if (!versioned || !VERSION_PATTERN.test(versioned[1] ?? '')) return { route: 'other' };
  const apiVersion = versioned[1] as string;
  const rest = versioned[2] as string;
  for (const verb of ['cancel', 'wait'] as const) {
    const suffix = `:${verb}`;
    if (method === 'POST' && rest.endsWith(suffix) && rest.length > suffix.length) {
      return { route: verb, name: rest.slice(0, -suffix.length), apiVersion };
    }
  }
  if (method !== 'GET') return { route: 'other' };
  if (isOperation(rest)) return { route: 'get', name: rest, apiVersion };
  if (rest === 'operations') return { route: 'list', apiVersion };
  if (rest.endsWith('/operations')) return { route: 'list', name: rest.slice(0, -'/operations'.length), apiVersion };
  return { route: 'get', name: rest, apiVersion };
}

/** What a connection whose first request targets `url` is for. */
export function connectionKind(url: string): ConnectionKind {
  return url.startsWith(METADATA_PREFIX) ? 'metadata' : 'api';
}

/** The headers with lower-cased names, repeated ones joined with `, `. */
export function flattenHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}

/** The token of an `Authorization: Bearer` header. */
export function parseBearer(authorization: string | undefined): string | undefined {
  const match = authorization === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  return match?.[1];
}

/** `text` as a JSON object, or `undefined` if it is not one. */
export function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
