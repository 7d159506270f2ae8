/**
 * Google credentials for the worker: Application Default Credentials with the cloud-platform scope, as a
 * small injected dependency.
 */
import { GoogleAuth } from 'google-auth-library';

/** The OAuth scope every Operations call needs. */
export const CLOUD_PLATFORM_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';

/** Adds credentials to a request. */
export interface RequestAuthorizer {
  /** Headers to send with a request to `url`: `authorization`, and `x-goog-user-project` when a quota project is set. */
  headers(url: string): Promise<Record<string, string>>;
  /** Drops the cached token so the next {@link headers} call fetches a new one (after a 401). */
  refresh(): Promise<void>;
}

/**
 * A {@link RequestAuthorizer} backed by google-auth-library: tokens are cached and refreshed shortly before
 * they expire by the library itself.
 *
 * @param auth defaults to Application Default Credentials with the cloud-platform scope.
 */
export function googleAuthorizer(
  auth: GoogleAuth = new GoogleAuth({ scopes: CLOUD_PLATFORM_SCOPE }),
): RequestAuthorizer {
  return {
    async headers(url) {
      // v10 answers a Fetch Headers object (v9 a plain object): undici wants plain pairs.
      const headers = await auth.getRequestHeaders(url);
      const plain: Record<string, string> = {};
      headers.forEach((value, key) => {
        plain[key.toLowerCase()] = value;
      });
      return plain;
    },
    async refresh() {
      const client = await auth.getClient();
      // Mark the cached token expired rather than clearing it: metadata-server and user credentials keep the
      // (placeholder) refresh token they need to fetch a new one in these credentials.
      client.setCredentials({ ...client.credentials, expiry_date: 1 });
    },
  };
}

/** Replaces anything that looks like a credential in `text`, for messages that leave the process. */
export function redactCredentials(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length >= 8) out = out.split(secret).join('[redacted]');
  }
  return (
    out
      .replace(/Bearer\s+[A-Za-z0-9._~+/=-]+/gi, 'Bearer [redacted]')
      .replace(/ya29\.[A-Za-z0-9._~+/=-]+/g, '[redacted]')
      // A JWT, or what is left of one after a message was cut.
      .replace(/eyJ[A-Za-z0-9_-]{8,}(?:\.[A-Za-z0-9_-]*)+/g, '[redacted]')
  );
}
