/**
 * Google credentials for the worker: Application Default Credentials with the cloud-platform scope, and
 * short-lived tokens of the service accounts cancellers name (`impersonate`), as a small injected dependency.
 */
import { GoogleAuth, Impersonated, type AuthClient } from 'google-auth-library';
import { parseErrorResponse } from '../domain/google-error';
import { traceGoogleCall, type GoogleCallSpec } from './call-span';

/** The OAuth scope every Operations call needs. */
export const CLOUD_PLATFORM_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';

/** Adds credentials to a request, as the worker's own identity or as a service account it impersonates. */
export interface RequestAuthorizer {
  /**
   * Headers to send with a request to `url`: `authorization`, and `x-goog-user-project` when a quota project is
   * set. With `account`, the token is one minted for that service account (IAM Credentials' `generateAccessToken`,
   * authenticated by the worker's own token).
   */
  headers(url: string, account?: string): Promise<Record<string, string>>;
  /** Drops the cached token (of `account`, or the worker's own) so the next {@link headers} fetches anew (a 401). */
  refresh(account?: string): Promise<void>;
  /** Who acts: `account`, or the worker's own identity when the credentials tell (undefined otherwise). */
  principal(account?: string): Promise<string | undefined>;
}

/** Options for {@link googleAuthorizer}. */
export interface GoogleAuthorizerOptions {
  /**
   * Where impersonated tokens are minted (`LRO_EMULATOR_HOST` sends it to the emulator).
   * @default https://iamcredentials.googleapis.com
   */
  iamEndpoint?: string;
  /**
   * A token mint that takes longer is given up (and tried again by the next call), so no account's calls all hang
   * on one.
   * @default 20_000
   */
  mintTimeoutMs?: number;
}

/**
 * A {@link RequestAuthorizer} backed by google-auth-library: tokens are cached and refreshed shortly before
 * they expire by the library itself, one `Impersonated` client per account named, with the worker's Application
 * Default Credentials as its source.
 *
 * @param auth defaults to Application Default Credentials with the cloud-platform scope.
 */
export function googleAuthorizer(
  auth: GoogleAuth = new GoogleAuth({ scopes: CLOUD_PLATFORM_SCOPE }),
  options: GoogleAuthorizerOptions = {},
): RequestAuthorizer {
  const impersonated = new Map<string, Impersonated>();
  /** The token being minted for an account: concurrent calls wait for it rather than each minting one. */
  const minting = new Map<string, Promise<void>>();
  let ownPrincipal: Promise<string | undefined> | undefined;

  const ensureToken = async (account: string, client: Impersonated): Promise<void> => {
    const { access_token: token, expiry_date: expiry } = client.credentials;
    if (token && expiry && expiry - Date.now() > REMINT_BEFORE_EXPIRY_MS) return;
    let pending = minting.get(account);
    if (!pending) {
      pending = mint(account, client).finally(() => minting.delete(account));
      minting.set(account, pending);
    }
    await pending;
  };

  /**
   * Mints a token for `account`: the worker's own token first (its failures are the worker's, and transient), then
   * IAM Credentials, whose HTTP answers come back as {@link ImpersonationRefused}. A mint that hangs is given up
   * after `mintTimeoutMs`; a failed one forgets the account's client.
   */
  const mint = async (account: string, client: Impersonated): Promise<void> => {
    await (await auth.getClient()).getAccessToken();
    await traceGoogleCall(
      mintCall(account, options.iamEndpoint),
      async (span) => {
        const timeoutMs = options.mintTimeoutMs ?? DEFAULT_MINT_TIMEOUT_MS;
        let timer: NodeJS.Timeout | undefined;
        try {
          await Promise.race([
            client.getAccessToken(),
            new Promise<never>((_, reject) => {
              timer = setTimeout(() => reject(new Error(`no token for ${account} within ${timeoutMs} ms`)), timeoutMs);
            }),
          ]);
        } catch (err) {
          impersonated.delete(account);
          const { config, response } = err as {
            config?: { url?: unknown };
            response?: { status?: unknown; data?: unknown };
          };
          if (String(config?.url ?? '').endsWith(':generateAccessToken') && typeof response?.status === 'number') {
            throw new ImpersonationRefused(account, response.status, response.data, (err as Error).message);
          }
          throw err;
        } finally {
          clearTimeout(timer);
        }
        span.answered(200);
      },
      refusal,
    );
  };

  const clientFor = async (account?: string): Promise<AuthClient> => {
    const source = await auth.getClient();
    if (account === undefined) return source;
    let client = impersonated.get(account);
    if (!client) {
      client = new Impersonated({
        sourceClient: source,
        targetPrincipal: account,
        targetScopes: [CLOUD_PLATFORM_SCOPE],
        lifetime: IMPERSONATED_TOKEN_LIFETIME_SECONDS,
        ...(options.iamEndpoint === undefined ? {} : { endpoint: options.iamEndpoint }),
      });
      // The quota project of the worker's credentials (or GOOGLE_CLOUD_QUOTA_PROJECT) is billed for its calls too.
      client.quotaProjectId = source.quotaProjectId;
      impersonated.set(account, client);
    }
    return client;
  };

  return {
    async headers(url, account) {
      const client = await clientFor(account);
      if (account !== undefined) await ensureToken(account, client as Impersonated);
      // v10 answers a Fetch Headers object (v9 a plain object): undici wants plain pairs.
      const headers = await client.getRequestHeaders(url);
      const plain: Record<string, string> = {};
      headers.forEach((value, key) => {
        plain[key.toLowerCase()] = value;
      });
      return plain;
    },
    async refresh(account) {
      const client = await clientFor(account);
      // Mark the cached token expired rather than clearing it: metadata-server and user credentials keep the
      // (placeholder) refresh token they need to fetch a new one in these credentials.
      client.setCredentials({ ...client.credentials, expiry_date: 1 });
    },
    async principal(account) {
      if (account !== undefined) return account;
      // Only an answer is kept: a lookup that failed (the metadata server restarting) is tried again next time.
      ownPrincipal ??= auth.getCredentials().then((credentials) => credentials.client_email);
      try {
        return await ownPrincipal;
      } catch {
        ownPrincipal = undefined;
        return undefined;
      }
    },
  };
}

/** The span of a token mint for `account` (IAM Credentials' `generateAccessToken`). */
function mintCall(account: string, endpoint = IAM_CREDENTIALS_ENDPOINT): GoogleCallSpec {
  return {
    method: 'POST',
    rpcService: 'google.iam.credentials.v1.IAMCredentials',
    rpcMethod: 'GenerateAccessToken',
    route: '{name}:generateAccessToken',
    url: `${endpoint}/v1/projects/-/serviceAccounts/${encodeURIComponent(account)}:generateAccessToken`,
  };
}

/** What IAM Credentials answered to a refused mint, for its span. */
function refusal(err: unknown) {
  if (!(err instanceof ImpersonationRefused)) return undefined;
  const { code } = parseErrorResponse(err.status, JSON.stringify(err.body ?? ''), undefined, Date.now());
  return { code, httpStatus: err.status, message: err.message };
}

/** IAM Credentials answered a `generateAccessToken` call for an account with an error: its HTTP status and body. */
export class ImpersonationRefused extends Error {
  override readonly name = 'ImpersonationRefused';

  constructor(
    /** The account the token was asked for. */
    readonly account: string,
    readonly status: number,
    /** The answer's body (Google's error envelope, usually). */
    readonly body: unknown,
    message: string,
  ) {
    super(message);
  }
}

/** How long an impersonated token lives; the library mints the next one shortly before it expires. */
const IMPERSONATED_TOKEN_LIFETIME_SECONDS = 3600;
const DEFAULT_MINT_TIMEOUT_MS = 20_000;
/** Where google-auth-library mints impersonated tokens unless told otherwise. */
const IAM_CREDENTIALS_ENDPOINT = 'https://iamcredentials.googleapis.com';
/**
 * A token this close to expiry is minted again, once for all the calls waiting on it: more than the library's own
 * margin (five minutes), so it never decides to mint on its own, once per concurrent call.
 */
const REMINT_BEFORE_EXPIRY_MS = 6 * 60_000;
