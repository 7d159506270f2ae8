/**
 * Where the worker may send its Google token: `*.googleapis.com` over https, and the hosts an operator names in
 * `LRO_ALLOWED_HOSTS`, over https unless the entry says `http://` or the host is loopback.
 *
 * Pure: safe to import from workflow code.
 */
import { InvalidArgumentError } from './invalid-argument';

/** The variable that names extra hosts the worker may call (and send its Google token to). */
export const ALLOWED_HOSTS_ENV = 'LRO_ALLOWED_HOSTS';

/** The allowlist of non-Google hosts, from the worker's `LRO_ALLOWED_HOSTS`. */
export interface HostAllowlist {
  /** Entries as `host` (default port of either scheme) or `host:port`, lower case. */
  readonly hosts: ReadonlySet<string>;
  /** The entries written `http://…`: plain http is allowed to them (and to loopback hosts), to no other. */
  readonly plainHttp: ReadonlySet<string>;
}

/** Where a request goes, as the allowlist sees it. */
export interface HostTarget {
  scheme: 'https' | 'http';
  /** `host` or `host:port`, lower case, default port dropped. */
  host: string;
  /** True for `*.googleapis.com` over https. */
  isGoogleHost: boolean;
}

const LABEL_RULE = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const IPV4_RULE =
  /^(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(?:\.(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])){3}$/;
/** The default port of each scheme. */
export const DEFAULT_PORT = { https: '443', http: '80' } as const;

/**
 * Parses a comma-separated list of `host`, `host:port`, `https://host[:port]` or `http://host[:port]` entries. An
 * empty or missing value allows Google hosts only. Throws {@link InvalidArgumentError} naming `LRO_ALLOWED_HOSTS`
 * and the bad entry.
 */
export function parseAllowedHosts(value: string | undefined): HostAllowlist {
  const hosts = new Set<string>();
  const plainHttp = new Set<string>();
  for (const raw of (value ?? '').split(',')) {
    const entry = raw.trim().toLowerCase();
    if (entry === '') continue;
    const scheme = /^(https?):\/\//.exec(entry)?.[1];
    const authority = scheme ? entry.slice(scheme.length + 3) : entry;
    if (authority.includes('/')) {
      throw new InvalidArgumentError(
        ALLOWED_HOSTS_ENV,
        'entries are hosts (host[:port], http://host[:port]), without a path',
        raw.trim(),
      );
    }
    const { host, port } = splitAuthority(ALLOWED_HOSTS_ENV, authority);
    const key = port === undefined ? host : `${host}:${port}`;
    hosts.add(key);
    if (scheme === 'http') plainHttp.add(key);
  }
  return { hosts, plainHttp };
}

/**
 * Throws {@link InvalidArgumentError} unless the target may be called: `*.googleapis.com` over https, or a host
 * (with its port) named in the allowlist, over plain http only when its entry says `http://` or it is loopback.
 * The worker's token goes to no other host, and never in clear text over the network.
 */
export function assertAllowed(target: HostTarget, allowlist: HostAllowlist): void {
  if (target.isGoogleHost) return;
  const onDefaultPort = !target.host.includes(':');
  const explicit = onDefaultPort ? `${target.host}:${DEFAULT_PORT[target.scheme]}` : target.host;
  const bare = target.host.split(':')[0] ?? target.host;
  const entry = [target.host, explicit, ...(onDefaultPort ? [bare] : [])].find((key) => allowlist.hosts.has(key));
  if (entry === undefined) {
    throw new InvalidArgumentError(
      'operation',
      `host ${target.host} is not allowed: use a *.googleapis.com host, or add it to the worker's ${ALLOWED_HOSTS_ENV}`,
    );
  }
  if (target.scheme === 'http' && !allowlist.plainHttp.has(entry) && !isLoopback(bare)) {
    throw new InvalidArgumentError(
      'operation',
      `must use https for ${target.host}: plain http would send the worker's token in clear text (only loopback hosts, or ${ALLOWED_HOSTS_ENV} entries written http://, take http)`,
    );
  }
}

/** `localhost` and 127.0.0.0/8: traffic that never leaves the machine. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || (IPV4_RULE.test(host) && host.startsWith('127.'));
}

/**
 * Splits `host[:port]` and checks both: a DNS name or dotted IPv4 address, a port from 1 to 65535. Throws
 * {@link InvalidArgumentError} naming `field`.
 */
export function splitAuthority(field: string, authority: string): { host: string; port?: string } {
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
