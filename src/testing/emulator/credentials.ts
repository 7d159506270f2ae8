/**
 * Who may call the operations routes, and as whom: the access tokens the emulator issues (each bound to the
 * account it was issued to) and revokes, the service-account keys whose self-signed JWTs it trusts, and which
 * accounts may mint tokens for which others (IAM Credentials' `generateAccessToken`).
 */
import { generateKeyPairSync, randomBytes, randomInt, verify as verifySignature, type KeyObject } from 'node:crypto';

import { parseJsonObject } from './routes';
import { EMULATOR_UNIVERSE_DOMAIN, type ServiceAccountKey } from './types';

interface TrustedKey {
  readonly publicKey: KeyObject;
  readonly email: string;
}

/** Access tokens issued (live until they expire or are revoked) and trusted service-account keys. */
export class Credentials {
  private readonly issuedTokens: string[] = [];
  private readonly liveTokens = new Map<string, { expiresAt: number; principal: string }>();
  private readonly trustedKeys = new Map<string, TrustedKey>();
  /** For each target account, the callers allowed to mint its tokens. */
  private readonly impersonators = new Map<string, Set<string>>();

  /**
   * @param projectId the project of the keys it makes.
   * @param tokenLifetimeSeconds how long an issued access token stays valid.
   * @param tokenUri the JWT-bearer endpoint its keys name.
   */
  constructor(
    private readonly projectId: string,
    private readonly tokenLifetimeSeconds: number,
    private readonly tokenUri: string,
  ) {}

  /** A new access token for `principal`, as the body of a token endpoint's answer. */
  issueToken(principal: string): Record<string, unknown> {
    const token = this.mint(principal, this.tokenLifetimeSeconds);
    return { access_token: token, expires_in: this.tokenLifetimeSeconds, token_type: 'Bearer' };
  }

  /** A new access token for `principal`, live for `lifetimeSeconds`. */
  mint(principal: string, lifetimeSeconds: number): string {
    const token = `ya29.emulator.${randomBytes(24).toString('base64url')}`;
    this.issuedTokens.push(token);
    this.liveTokens.set(token, { expiresAt: Date.now() + lifetimeSeconds * 1000, principal });
    return token;
  }

  /** Let `caller` mint tokens for `target`. */
  allowImpersonation(target: string, caller: string): void {
    const callers = this.impersonators.get(target) ?? new Set<string>();
    callers.add(caller);
    this.impersonators.set(target, callers);
  }

  /** Whether `caller` may mint tokens for `target`. */
  mayImpersonate(caller: string, target: string): boolean {
    return this.impersonators.get(target)?.has(caller) ?? false;
  }

  /** The account a valid bearer acts as: the one its token was issued to, or the trusted JWT's issuer. */
  principalOf(token: string, now: number): string | undefined {
    const live = this.liveTokens.get(token);
    if (live) return now < live.expiresAt ? live.principal : undefined;
    return this.trustedJwtIssuer(token, now);
  }

  /** Every access token issued so far, oldest first, including revoked and expired ones. */
  tokensIssued(): string[] {
    return this.issuedTokens.slice();
  }

  /** Invalidate every access token issued so far; trusted keys stay trusted. */
  revokeTokens(): void {
    this.liveTokens.clear();
  }

  /** Make and trust a new RSA service-account key; see `GoogleEmulator.trustServiceAccountKey`. */
  trustServiceAccountKey(): ServiceAccountKey {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const privateKeyId = randomBytes(20).toString('hex');
    const email = `emulator-sa-${this.trustedKeys.size + 1}@${this.projectId}.iam.gserviceaccount.com`;
    this.trustedKeys.set(privateKeyId, { publicKey, email });
    return {
      type: 'service_account',
      project_id: this.projectId,
      private_key_id: privateKeyId,
      private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      client_email: email,
      client_id: String(randomInt(1e9, 1e10 - 1)) + String(randomInt(1e9, 1e10 - 1)),
      token_uri: this.tokenUri,
      universe_domain: EMULATOR_UNIVERSE_DOMAIN,
    };
  }

  /** Whether `token` is a live access token or a trusted JWT at `now` (epoch milliseconds). */
  isValidBearer(token: string, now: number): boolean {
    return this.principalOf(token, now) !== undefined;
  }

  /** Whether `token` is an unexpired RS256 JWT signed by a trusted key and issued by that key's account. */
  isTrustedJwt(token: string, now: number): boolean {
    return this.trustedJwtIssuer(token, now) !== undefined;
  }

  /** The account of an unexpired RS256 JWT signed by a trusted key and issued by that key's account. */
  trustedJwtIssuer(token: string, now: number): string | undefined {
    const parts = token.split('.');
    if (parts.length !== 3 || this.trustedKeys.size === 0) return undefined;
    const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
    const header = parseJsonObject(Buffer.from(headerPart, 'base64url').toString('utf8'));
    const payload = parseJsonObject(Buffer.from(payloadPart, 'base64url').toString('utf8'));
    if (!header || !payload || header['alg'] !== 'RS256') return undefined;
    const exp = payload['exp'];
    if (typeof exp !== 'number' || exp * 1000 <= now) return undefined;
    const kid = header['kid'];
    const byKid = typeof kid === 'string' ? this.trustedKeys.get(kid) : undefined;
    const candidates = byKid ? [byKid] : [...this.trustedKeys.values()];
    const signed = Buffer.from(`${headerPart}.${payloadPart}`, 'utf8');
    const signature = Buffer.from(signaturePart, 'base64url');
    const signer = candidates.find(
      (key) => payload['iss'] === key.email && verifySignature('RSA-SHA256', signed, key.publicKey, signature),
    );
    return signer?.email;
  }
}
