/**
 * Operation references: what a user types (a URL, or a resource name with its service and version) turned
 * into the exact GetOperation and CancelOperation URLs, or rejected before anything is sent.
 *
 * Pure: safe to import from workflow code. Parsing is hand-written on purpose: WHATWG `URL` silently
 * normalises `..`, backslashes and percent-encoding, which is exactly what a hostile input relies on.
 */
import { DEFAULT_PORT, splitAuthority, type HostTarget } from './host-allowlist';
import { InvalidArgumentError } from './invalid-argument';
import { assertOperationName, checkName } from './operation-name';

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
export interface OperationRef extends HostTarget {
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
 * The longest operation reference (and canonical URL) we accept, in characters. Workflow IDs and `LroOperation`
 * values derived from it are bounded to 255 (see `bounded-id.ts`).
 */
export const MAX_OPERATION_LENGTH = 900;

const GOOGLE_SUFFIX = '.googleapis.com';
const VERSION_RULE = /^v[0-9]+(?:p[0-9]+)?(?:(?:alpha|beta)[0-9]*)?$/;
const REGIONAL_PREFIX = /^[a-z]+-[a-z]+[0-9]+-(.+)$/;
/**
 * The labels of Google hosts that serve customer content, not APIs: a Cloud Storage host (its JSON and XML APIs,
 * its download and upload hosts, a bucket's own host, a regional or mTLS one) answers with whatever object sits at
 * the path, which anyone who can write to the bucket controls.
 */
const CONTENT_LABELS = new Set([
  'storage',
  'storage-download',
  'storage-upload',
  'content-storage',
  'commondatastorage',
  'firebasestorage',
]);

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

/** The API service name for a host: regional, `rep`, mTLS and Private Service Connect hosts map to their service. */
export function serviceForHost(host: string): string {
  if (!host.endsWith(GOOGLE_SUFFIX)) return host;
  const labels = host.slice(0, -GOOGLE_SUFFIX.length).split('.');
  // {service}.{region}.rep.googleapis.com
  if (labels.length === 3 && labels[2] === 'rep') return `${labels[0]}${GOOGLE_SUFFIX}`;
  // {service}.mtls.googleapis.com
  if (labels.length === 2 && labels[1] === 'mtls') return `${labels[0]}${GOOGLE_SUFFIX}`;
  // {service}-{endpoint}.p.googleapis.com (Private Service Connect; endpoint names hold no dash)
  const psc = labels.length === 2 && labels[1] === 'p' ? /^(.+)-[a-z0-9]+$/.exec(labels[0] ?? '') : null;
  if (psc?.[1]) return `${psc[1]}${GOOGLE_SUFFIX}`;
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
  if (
    host.endsWith(GOOGLE_SUFFIX) &&
    host
      .slice(0, -GOOGLE_SUFFIX.length)
      .split('.')
      .some((l) => CONTENT_LABELS.has(l))
  ) {
    throw new InvalidArgumentError(
      field,
      'must not name a Cloud Storage host: buckets serve objects anyone with write access controls, not operations',
      text,
    );
  }
  assertOperationName(field, name, serviceForHost(host));
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
