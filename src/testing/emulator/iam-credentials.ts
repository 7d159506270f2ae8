/**
 * IAM Credentials' `generateAccessToken`, as a worker impersonating a service account calls it: the caller's own
 * token authenticates the call, only callers told they may (`GoogleEmulator.allowImpersonation`) get a token, and
 * the token they get acts as the target account.
 */
import { envelope, reply, unauthenticated, type Answer } from './answers';
import type { Credentials } from './credentials';
import { parseJsonObject } from './routes';

/** The path of `generateAccessToken` for an account: `/v1/projects/-/serviceAccounts/{email}:generateAccessToken`. */
export const GENERATE_ACCESS_TOKEN = /^\/v1\/projects\/-\/serviceAccounts\/([^/:]+):generateAccessToken$/;
const MAX_LIFETIME_SECONDS = 3600;

/** Answers `generateAccessToken` from {@link Credentials}. */
export class IamCredentials {
  constructor(private readonly credentials: Credentials) {}

  /** The answer to a `generateAccessToken` call for `target` carrying `bearer`, with `body`. */
  answer(target: string, bearer: string | undefined, body: string): Answer {
    const now = Date.now();
    const caller = bearer === undefined ? undefined : this.credentials.principalOf(bearer, now);
    if (caller === undefined) return unauthenticated(bearer !== undefined);
    if (!this.credentials.mayImpersonate(caller, target)) {
      return envelope(
        'PERMISSION_DENIED',
        "Permission 'iam.serviceAccounts.getAccessToken' denied on resource (or it may not exist).",
        [
          {
            '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
            reason: 'IAM_PERMISSION_DENIED',
            domain: 'iam.googleapis.com',
            metadata: { permission: 'iam.serviceAccounts.getAccessToken' },
          },
        ],
      );
    }
    const request = parseJsonObject(body);
    const scope = request?.['scope'];
    if (!Array.isArray(scope) || scope.length === 0) {
      return envelope('INVALID_ARGUMENT', 'Scope required.');
    }
    const asked = /^([0-9]+)s$/.exec(String(request?.['lifetime'] ?? '3600s'));
    const lifetime = Math.min(MAX_LIFETIME_SECONDS, Number(asked?.[1] ?? MAX_LIFETIME_SECONDS));
    const accessToken = this.credentials.mint(target, lifetime);
    return reply(200, { accessToken, expireTime: new Date(now + lifetime * 1000).toISOString() });
  }
}
