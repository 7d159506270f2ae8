/**
 * What the worker's operators allow it to act on, and as whom: the services (`LRO_ALLOWED_SERVICES`), the resources
 * an operation must fall under (`LRO_ALLOWED_RESOURCES`), and the service accounts a canceller may name to act as
 * (`LRO_IMPERSONATION_ALLOWED`). Checked in the worker, the trust boundary, before any token is fetched or any
 * request is sent.
 *
 * Pure: safe to import from workflow code.
 */
import { ApplicationFailure } from '@temporalio/common';
import { InvalidArgumentError } from './invalid-argument';
import type { OperationRef } from './operation-ref';

/** API service names the worker may act on, comma-separated; unset: any `*.googleapis.com` service. */
export const ALLOWED_SERVICES_ENV = 'LRO_ALLOWED_SERVICES';
/** Resource-name patterns an operation must fall under, comma-separated; unset: any. */
export const ALLOWED_RESOURCES_ENV = 'LRO_ALLOWED_RESOURCES';
/** Service accounts a canceller may act as (`impersonate`), comma-separated; unset: none. */
export const IMPERSONATION_ALLOWED_ENV = 'LRO_IMPERSONATION_ALLOWED';

/**
 * A resource-name pattern: segments separated by `/`, each a literal, `*` (any one segment), or a literal prefix
 * ending in `*` (`prod-*`: any segment that starts with `prod-`). No other wildcard, no regular expression. It
 * matches a name whose leading segments it matches, one for one: `projects/prod-*` takes
 * `projects/prod-eu/locations/l/operations/o`.
 */
export type ResourcePattern = readonly string[];

/** The worker's scope policy. Absent parts allow anything. */
export interface ScopePolicy {
  services?: ReadonlySet<string>;
  resources?: readonly ResourcePattern[];
  /** Exact emails, or `*@domain` for every account of a domain (`*@my-project.iam.gserviceaccount.com`). */
  impersonation?: readonly string[];
}

const SERVICE_RULE = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/;
const LITERAL_RULE = /^[A-Za-z0-9._~=()-]+$/;
/** A service account, or any Google identity a token can be minted for: `name@domain`. */
const EMAIL_RULE =
  /^[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$/;

/**
 * Reads the policy from the worker's environment. Throws {@link InvalidArgumentError} naming the variable and the
 * bad entry, which stops the worker at start-up.
 */
export function scopePolicyFromEnv(env: Readonly<Record<string, string | undefined>>): ScopePolicy {
  const services = list(env[ALLOWED_SERVICES_ENV]);
  const resources = list(env[ALLOWED_RESOURCES_ENV]);
  const impersonation = list(env[IMPERSONATION_ALLOWED_ENV]);
  return {
    ...(services && { services: new Set(services.map(parseService)) }),
    ...(resources && { resources: resources.map(parseResourcePattern) }),
    ...(impersonation && { impersonation: impersonation.map(parseAccountPattern) }),
  };
}

/**
 * Throws the non-retryable `PERMISSION_DENIED` failure, naming the variable that refused it, unless the policy
 * allows acting on `ref` as `impersonate` (the worker's own identity when undefined).
 */
export function checkScope(policy: ScopePolicy, ref: OperationRef, impersonate?: string): void {
  if (policy.services && !policy.services.has(ref.service)) {
    throw permissionDenied(ALLOWED_SERVICES_ENV, `the worker may not act on ${ref.service}`);
  }
  if (policy.resources && !policy.resources.some((pattern) => fallsUnder(ref.name, pattern))) {
    throw permissionDenied(ALLOWED_RESOURCES_ENV, `${ref.name} falls under none of the allowed resources`);
  }
  // An account is checked as an email before it is matched: it goes into the IAM Credentials URL as it is.
  if (impersonate !== undefined && !isAccountEmail(impersonate)) {
    throw new InvalidArgumentError('impersonate', 'must be a service-account email in lower case', impersonate);
  }
  if (impersonate !== undefined && !mayImpersonate(policy, impersonate)) {
    throw permissionDenied(
      IMPERSONATION_ALLOWED_ENV,
      policy.impersonation
        ? `the worker may not act as ${impersonate}`
        : 'is not set: no canceller may name an account to act as',
    );
  }
}

/** Whether `name` falls under `pattern`: it has more segments, and its leading ones match the pattern's. */
export function fallsUnder(name: string, pattern: ResourcePattern): boolean {
  const segments = name.split('/');
  if (segments.length <= pattern.length) return false;
  return pattern.every((part, i) => {
    const segment = segments[i] ?? '';
    if (part === '*') return true;
    return part.endsWith('*') ? segment.startsWith(part.slice(0, -1)) : segment === part;
  });
}

function mayImpersonate(policy: ScopePolicy, email: string): boolean {
  const domain = email.slice(email.indexOf('@') + 1);
  return (policy.impersonation ?? []).some((allowed) =>
    allowed.startsWith('*@') ? allowed.slice(2) === domain : allowed === email,
  );
}

/** Whether `value` is an account email a token can be minted for (`name@domain`, lower case). */
export function isAccountEmail(value: string): boolean {
  return value.length <= 254 && EMAIL_RULE.test(value);
}

function permissionDenied(variable: string, rule: string): ApplicationFailure {
  return ApplicationFailure.create({
    type: 'PERMISSION_DENIED',
    message: `${variable}: ${rule}`,
    nonRetryable: true,
    details: [{ variable }],
  });
}

function list(value: string | undefined): string[] | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  return value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
}

function parseService(entry: string): string {
  const service = entry.toLowerCase();
  if (!SERVICE_RULE.test(service)) {
    throw new InvalidArgumentError(
      ALLOWED_SERVICES_ENV,
      'entries are API service names such as alloydb.googleapis.com',
      entry,
    );
  }
  return service;
}

function parseResourcePattern(entry: string): ResourcePattern {
  const parts = entry.split('/');
  const rule =
    'entries are resource-name patterns such as projects/prod-* or organizations/4242: segments that are literals, *, or a literal prefix ending in *';
  for (const part of parts) {
    const literal = part.endsWith('*') ? part.slice(0, -1) : part;
    // `.*` is a regular expression's "anything", not a prefix: refused rather than read as "starts with a dot".
    if (
      part === '' ||
      part.includes('.*') ||
      literal.includes('*') ||
      (literal !== '' && !LITERAL_RULE.test(literal)) ||
      part === '.' ||
      part === '..'
    ) {
      throw new InvalidArgumentError(ALLOWED_RESOURCES_ENV, rule, entry);
    }
  }
  return parts;
}

function parseAccountPattern(entry: string): string {
  const account = entry.toLowerCase();
  const email = account.startsWith('*@') ? `x${account.slice(1)}` : account;
  if (!EMAIL_RULE.test(email)) {
    throw new InvalidArgumentError(
      IMPERSONATION_ALLOWED_ENV,
      'entries are service-account emails, or *@domain for every account of a domain (*@my-project.iam.gserviceaccount.com)',
      entry,
    );
  }
  return account;
}
