/**
 * Who may call the operations routes: the access tokens the emulator issues and revokes, and the service-account
 * keys whose self-signed JWTs it trusts.
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
  private readonly liveTokens = new Map<string, number>();
  private readonly trustedKeys = new Map<string, TrustedKey>();

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

  /** A new access token, as the body of a token endpoint's answer. */
  issueToken(): Record<string, unknown> {
    const token = `ya29.emulator.${randomBytes(24).toString('base64url')}`;
    this.issuedTokens.push(token);
    this.liveTokens.set(token, Date.now() + this.tokenLifetimeSeconds * 1000);
    return { access_token: token, expires_in: this.tokenLifetimeSeconds, token_type: 'Bearer' };
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
    const expiresAt = this.liveTokens.get(token);
    if (expiresAt !== undefined) return now < expiresAt;
    return this.isTrustedJwt(token, now);
  }

  /** Whether `token` is an unexpired RS256 JWT signed by a trusted key and issued by that key's account. */
  isTrustedJwt(token: string, now: number): boolean {
    const parts = token.split('.');
    if (parts.length !== 3 || this.trustedKeys.size === 0) return false;
    const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
    const header = parseJsonObject(Buffer.from(headerPart, 'base64url').toString('utf8'));
    const payload = parseJsonObject(Buffer.from(payloadPart, 'base64url').toString('utf8'));
    if (!header || !payload || header['alg'] !== 'RS256') return false;
    const exp = payload['exp'];
    if (typeof exp !== 'number' || exp * 1000 <= now) return false;
    const kid = header['kid'];
    const byKid = typeof kid === 'string' ? this.trustedKeys.get(kid) : undefined;
    const candidates = byKid ? [byKid] : [...this.trustedKeys.values()];
    const signed = Buffer.from(`${headerPart}.${payloadPart}`, 'utf8');
    const signature = Buffer.from(signaturePart, 'base64url');
    return candidates.some(
      (key) => payload['iss'] === key.email && verifySignature('RSA-SHA256', signed, key.publicKey, signature),
    );
  }
}
