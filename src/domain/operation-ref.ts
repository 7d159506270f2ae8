/**
 * Operation references: what a user types (a URL, or a resource name with its service and version) turned
 * into the exact GetOperation and CancelOperation URLs, or rejected before anything is sent.
 *
 * Pure: safe to import from workflow code. Parsing is hand-written on purpose: WHATWG `URL` silently
 * normalises `..`, backslashes and percent-encoding, which is exactly what a hostile input relies on.
 */
import { InvalidArgumentError } from './invalid-argument';

/** How a user names an operation: a full URL, or a resource name with `service` and `apiVersion`. */
export interface OperationRefInput {
  /**
   * The operation's full URL (`https://alloydb.googleapis.com/v1beta/projects/p/locations/l/operations/op`)
   * or its resource name (`projects/p/locations/l/operations/op`, `operations/abc`, ...).
   */
  operation: string;
  /** The API host, e.g. `alloydb.googleapis.com`; required with a resource name. */
  service?: string;
  /** The API version, e.g. `v1beta`; required with a resource name. */
  apiVersion?: string;
}

/** A validated operation reference. */
export interface OperationRef {
  /** The canonical GetOperation URL: lower-case host, default port dropped. */
  url: string;
  /** The CancelOperation URL: `${url}:cancel`. */
  cancelUrl: string;
  scheme: 'https' | 'http';
  /** `host` or `host:port`, lower case, default port dropped. */
  host: string;
  /** The API service name, e.g. `aiplatform.googleapis.com` for `us-central1-aiplatform.googleapis.com`. */
  service: string;
  apiVersion: string;
  /** The operation's resource name, e.g. `projects/p/locations/l/operations/op`. */
  name: string;
  /** True for `*.googleapis.com` over https; other hosts must be on the worker's allowlist. */
  isGoogleHost: boolean;
}

/**
 * The longest operation reference (and canonical URL) we accept, in characters: it keeps the derived
 * workflow ID under Temporal's default 1,000-character limit.
 */
export const MAX_OPERATION_LENGTH = 900;

const GOOGLE_SUFFIX = '.googleapis.com';
const VERSION_RULE = /^v[0-9]+(?:p[0-9]+)?(?:(?:alpha|beta)[0-9]*)?$/;
const SEGMENT_RULE = /^[A-Za-z0-9._~=-]+$/;
const LABEL_RULE = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const IPV4_RULE =
  /^(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(?:\.(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])){3}$/;
const REGIONAL_PREFIX = /^[a-z]+-[a-z]+[0-9]+-(.+)$/;
const DEFAULT_PORT = { https: '443', http: '80' } as const;

/**
 * Validates an operation reference and builds its URLs. Throws {@link InvalidArgumentError} naming the field
 * and the rule. Does not consult the worker's allowlist: see {@link assertAllowed}.
 */
export function parseOperationRef(input: OperationRefInput): OperationRef {
  const operation = requireText('operation', input.operation, MAX_OPERATION_LENGTH);
  const hasService = input.service !== undefined;
  const hasVersion = input.apiVersion !== undefined;

  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(operation)) {
    const ref = parseUrl('operation', operation);
    if (hasService && normaliseService(input.service) !== ref.host) {
      throw new InvalidArgumentError(
        'service',
        `must match the host of the operation URL (${ref.host})`,
        input.service,
      );
    }
    if (hasVersion && input.apiVersion !== ref.apiVersion) {
      throw new InvalidArgumentError(
        'apiVersion',
        `must match the version in the operation URL (${ref.apiVersion})`,
        input.apiVersion,
      );
    }
    return ref;
  }

  if (operation.includes(':')) {
    throw new InvalidArgumentError('operation', 'must be an https URL or a resource name without ":"', operation);
  }
  if (!hasService) {
    throw new InvalidArgumentError('service', 'is required with a resource name (e.g. "alloydb.googleapis.com")');
  }
  if (!hasVersion) {
    throw new InvalidArgumentError('apiVersion', 'is required with a resource name (e.g. "v1")');
  }
  const service = requireText('service', input.service, 300);
  const apiVersion = requireText('apiVersion', input.apiVersion, 32);
  if (!VERSION_RULE.test(apiVersion)) {
    throw new InvalidArgumentError(
      'apiVersion',
      'must look like v<N>, optionally followed by alpha or beta<N>',
      apiVersion,
    );
  }
  const withScheme = /^https?:\/\//i.test(service) ? service : `https://${service}`;
  if (withScheme.slice(withScheme.indexOf('//') + 2).includes('/')) {
    throw new InvalidArgumentError(
      'service',
      'must be a host such as "alloydb.googleapis.com", without a path',
      service,
    );
  }
  checkName('operation', operation);
  const url = `${withScheme}/${apiVersion}/${operation}`;
  if (url.length > MAX_OPERATION_LENGTH) {
    throw new InvalidArgumentError('operation', `must make a URL of at most ${MAX_OPERATION_LENGTH} characters`);
  }
  return parseUrl('service', url);
}

/** The allowlist of non-Google hosts, from the worker's `LRO_ALLOWED_HOSTS`. */
export interface HostAllowlist {
  /** Entries as `host` (default port of either scheme) or `host:port`, lower case. */
  readonly hosts: ReadonlySet<string>;
}

/** The variable that names extra hosts the worker may call (and send its Google token to). */
export const ALLOWED_HOSTS_ENV = 'LRO_ALLOWED_HOSTS';

/**
 * Parses a comma-separated `host[:port]` list. An empty or missing value allows Google hosts only.
 * Throws {@link InvalidArgumentError} naming `LRO_ALLOWED_HOSTS` and the bad entry.
 */
export function parseAllowedHosts(value: string | undefined): HostAllowlist {
  const hosts = new Set<string>();
  for (const raw of (value ?? '').split(',')) {
    const entry = raw.trim();
    if (entry === '') continue;
    const { host, port } = splitAuthority(ALLOWED_HOSTS_ENV, entry.toLowerCase());
    hosts.add(port === undefined ? host : `${host}:${port}`);
  }
  return { hosts };
}

/**
 * Throws {@link InvalidArgumentError} unless the reference may be called: `*.googleapis.com` over https, or a
 * host (with its port) named in the allowlist. The worker's token goes to no other host.
 */
export function assertAllowed(ref: OperationRef, allowlist: HostAllowlist): void {
  if (ref.isGoogleHost) return;
  const onDefaultPort = !ref.host.includes(':');
  const explicit = onDefaultPort ? `${ref.host}:${DEFAULT_PORT[ref.scheme]}` : ref.host;
  const bare = ref.host.split(':')[0] ?? ref.host;
  if (allowlist.hosts.has(ref.host) || allowlist.hosts.has(explicit) || (onDefaultPort && allowlist.hosts.has(bare)))
    return;
  throw new InvalidArgumentError(
    'operation',
    `host ${ref.host} is not allowed: use a *.googleapis.com host, or add it to the worker's ${ALLOWED_HOSTS_ENV}`,
  );
}

/** The API service name for a host: regional and `rep` hosts map to their global service name. */
export function serviceForHost(host: string): string {
  if (!host.endsWith(GOOGLE_SUFFIX)) return host;
  const labels = host.slice(0, -GOOGLE_SUFFIX.length).split('.');
  // {service}.{region}.rep.googleapis.com
  if (labels.length === 3 && labels[2] === 'rep') return `${labels[0]}${GOOGLE_SUFFIX}`;
  // {region}-{service}.googleapis.com
  const regional = labels.length === 1 ? REGIONAL_PREFIX.exec(labels[0] ?? '') : null;
  if (regional?.[1]) return `${regional[1]}${GOOGLE_SUFFIX}`;
  return host;
}

function requireText(field: string, value: unknown, maxLength: number): string {
  if (typeof value !== 'string') throw new InvalidArgumentError(field, 'must be a string', value);
  if (value.length === 0) throw new InvalidArgumentError(field, 'must not be empty');
  if (value.length > maxLength) {
    throw new InvalidArgumentError(field, `must be at most ${maxLength} characters (got ${value.length})`);
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value)) {
    throw new InvalidArgumentError(field, 'must not contain control characters such as CR or LF', value);
  }
  if (/\s/.test(value)) throw new InvalidArgumentError(field, 'must not contain whitespace', value);
  if (/[^\u0021-\u007e]/.test(value)) {
    throw new InvalidArgumentError(field, 'must be plain ASCII (look-alike characters are refused)', value);
  }
  return value;
}

function normaliseService(service: unknown): string {
  const text = requireText('service', service, 300)
    .replace(/^https?:\/\//i, '')
    .toLowerCase();
  const { host, port } = splitAuthority('service', text);
  return port === undefined || port === DEFAULT_PORT.https ? host : `${host}:${port}`;
}

function parseUrl(field: string, text: string): OperationRef {
  if (text.includes('?')) throw new InvalidArgumentError(field, 'must not contain a query ("?")', text);
  if (text.includes('#')) throw new InvalidArgumentError(field, 'must not contain a fragment ("#")', text);
  if (text.includes('\\')) throw new InvalidArgumentError(field, 'must not contain backslashes', text);
  if (text.includes('%')) {
    throw new InvalidArgumentError(
      field,
      'must not contain percent-encoding (encoded dots or slashes are refused)',
      text,
    );
  }
  const match = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/([^/]*)(\/.*)?$/.exec(text);
  const scheme = match?.[1]?.toLowerCase();
  if (!match || (scheme !== 'https' && scheme !== 'http')) {
    throw new InvalidArgumentError(field, 'must be an https URL', text);
  }
  const authority = match[2] ?? '';
  if (authority.includes('@')) throw new InvalidArgumentError(field, 'must not contain user info ("@")', text);
  const { host, port } = splitAuthority(field, authority.toLowerCase());
  const isGoogle = host.endsWith(GOOGLE_SUFFIX) && host.length > GOOGLE_SUFFIX.length;
  if (isGoogle && scheme !== 'https') {
    throw new InvalidArgumentError(field, 'must use https for Google hosts', text);
  }
  const hostPort = port === undefined || port === DEFAULT_PORT[scheme] ? host : `${host}:${port}`;
  if (isGoogle && hostPort !== host) {
    throw new InvalidArgumentError(field, 'must not name a port on a Google host other than 443', text);
  }

  const path = match[3] ?? '';
  const slash = path.indexOf('/', 1);
  const apiVersion = slash === -1 ? path.slice(1) : path.slice(1, slash);
  if (!VERSION_RULE.test(apiVersion)) {
    throw new InvalidArgumentError(
      field,
      'must have an API version as its first path segment: v<N>, optionally followed by alpha or beta<N>',
      text,
    );
  }
  const name = slash === -1 ? '' : path.slice(slash + 1);
  checkName(field, name);
  const url = `${scheme}://${hostPort}/${apiVersion}/${name}`;
  if (url.length > MAX_OPERATION_LENGTH) {
    throw new InvalidArgumentError(field, `must make a URL of at most ${MAX_OPERATION_LENGTH} characters`);
  }
  return {
    url,
    cancelUrl: `${url}:cancel`,
    scheme,
    host: hostPort,
    service: serviceForHost(host),
    apiVersion,
    name,
    isGoogleHost: isGoogle,
  };
}

function checkName(field: string, name: string): void {
  if (name === '') throw new InvalidArgumentError(field, 'must name an operation after the API version');
  for (const segment of name.split('/')) {
    if (segment === '')
      throw new InvalidArgumentError(field, 'must not contain empty path segments ("//" or a trailing "/")', name);
    if (segment === '.' || segment === '..') {
      throw new InvalidArgumentError(field, 'must not contain "." or ".." path segments', name);
    }
    if (!SEGMENT_RULE.test(segment)) {
      throw new InvalidArgumentError(field, 'path segments may hold only letters, digits and . _ ~ = -', name);
    }
  }
}

function splitAuthority(field: string, authority: string): { host: string; port?: string } {
  const colon = authority.lastIndexOf(':');
  const host = colon === -1 ? authority : authority.slice(0, colon);
  const port = colon === -1 ? undefined : authority.slice(colon + 1);
  if (host.startsWith('['))
    throw new InvalidArgumentError(field, 'must name a DNS host, not an IPv6 literal', authority);
  if (port !== undefined && !/^[1-9][0-9]{0,4}$/.test(port)) {
    throw new InvalidArgumentError(field, 'must have a port from 1 to 65535', authority);
  }
  if (port !== undefined && Number(port) > 65535) {
    throw new InvalidArgumentError(field, 'must have a port from 1 to 65535', authority);
  }
  const labels = host.split('.');
  // WHATWG URL (and so undici) reads a host ending in a decimal, octal or hex number as an IPv4 address.
  const numericTail = /^(?:[0-9]+|0x[0-9a-f]*)$/.test(labels[labels.length - 1] ?? '');
  const validName = labels.every((label) => LABEL_RULE.test(label)) && !numericTail;
  if (host.length > 253 || !(validName || IPV4_RULE.test(host))) {
    throw new InvalidArgumentError(field, 'must name a valid host (a DNS name or a dotted IPv4 address)', authority);
  }
  return port === undefined ? { host } : { host, port };
}
