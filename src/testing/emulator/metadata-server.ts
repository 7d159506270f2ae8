/** The token routes: the GCE metadata server, and the `POST /token` endpoint that takes self-signed JWTs. */
import { escapeHtml, htmlError, reply, type Answer } from './answers';
import type { Credentials } from './credentials';
import { METADATA_PREFIX } from './routes';

const NUMERIC_PROJECT_ID = '123456789012';
const INSTANCE_ID = '4242424242424242424';
const ZONE = `projects/${NUMERIC_PROJECT_ID}/zones/us-central1-a`;
const CLOUD_PLATFORM_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';

/** A GCE instance's metadata server for one project, issuing tokens from {@link Credentials}. */
export class MetadataServer {
  /** The instance's service account: the worker's own identity, on GKE, Cloud Run or GCE. */
  readonly serviceAccountEmail: string;

  /**
   * @param projectId the project it reports.
   * @param credentials where its tokens come from.
   * @param tokenRoutesFailing whether the token routes answer 503 now.
   */
  constructor(
    private readonly projectId: string,
    private readonly credentials: Credentials,
    private readonly tokenRoutesFailing: () => boolean,
  ) {
    this.serviceAccountEmail = `emulator@${projectId}.iam.gserviceaccount.com`;
  }

  /** The answer of a request on the `metadata` or `token` route. */
  answer(method: string, path: string, headers: Record<string, string>, body: string, query: URLSearchParams): Answer {
    if (path === '/token') return this.answerTokenExchange(body);

    const withFlavor = (answer: Answer): Answer =>
      answer.kind === 'reply' ? { ...answer, headers: { ...answer.headers, 'metadata-flavor': 'Google' } } : answer;
    const text = (status: number, value: string): Answer =>
      withFlavor({ kind: 'reply', status, headers: { 'content-type': 'application/text' }, body: value });

    if (headers['metadata-flavor'] !== 'Google') {
      return withFlavor(
        htmlError(
          403,
          'Forbidden',
          `Your client does not have permission to get URL <code>${escapeHtml(path)}</code> from this server. Missing Metadata-Flavor:Google header.`,
        ),
      );
    }
    if (method !== 'GET') return text(405, 'Method Not Allowed');

    const key = path.slice(METADATA_PREFIX.length).replace(/\/$/, '');
    const account = /^instance\/service-accounts\/([^/]+)(?:\/(.*))?$/.exec(key);
    if (account) {
      if (account[1] !== 'default' && account[1] !== this.serviceAccountEmail) return text(404, 'Not Found');
      switch (account[2] ?? '') {
        case '':
          return text(200, 'aliases\nemail\nidentity\nscopes\ntoken\n');
        case 'email':
          return text(200, this.serviceAccountEmail);
        case 'aliases':
          return text(200, 'default');
        case 'scopes':
          return text(200, `${CLOUD_PLATFORM_SCOPE}\n`);
        case 'token': {
          if (this.tokenRoutesFailing()) return text(503, 'Service Unavailable');
          return withFlavor(reply(200, this.credentials.issueToken(this.serviceAccountEmail), 'application/json'));
        }
        default:
          return text(404, 'Not Found');
      }
    }
    switch (key) {
      case 'instance':
        return query.get('recursive') === 'true'
          ? withFlavor(reply(200, this.instanceJson(), 'application/json'))
          : text(200, 'attributes/\nhostname\nid\nservice-accounts/\nzone\n');
      case 'instance/id':
        return text(200, INSTANCE_ID);
      case 'instance/zone':
        return text(200, ZONE);
      case 'instance/hostname':
        return text(200, `emulator.us-central1-a.c.${this.projectId}.internal`);
      case 'instance/service-accounts':
        return text(200, `default/\n${this.serviceAccountEmail}/\n`);
      case 'project/project-id':
        return text(200, this.projectId);
      case 'project/numeric-project-id':
        return text(200, NUMERIC_PROJECT_ID);
      case 'universe/universe-domain':
        return text(200, 'googleapis.com');
      default:
        return text(404, 'Not Found');
    }
  }

  private answerTokenExchange(body: string): Answer {
    if (this.tokenRoutesFailing()) return reply(503, { error: 'temporarily_unavailable' });
    const form = new URLSearchParams(body);
    if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') {
      return reply(400, { error: 'unsupported_grant_type', error_description: 'Invalid grant_type.' });
    }
    const issuer = this.credentials.trustedJwtIssuer(form.get('assertion') ?? '', Date.now());
    if (issuer === undefined) {
      return reply(400, { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' });
    }
    return reply(200, this.credentials.issueToken(issuer));
  }

  private instanceJson(): Record<string, unknown> {
    return {
      id: INSTANCE_ID,
      zone: ZONE,
      hostname: `emulator.us-central1-a.c.${this.projectId}.internal`,
      serviceAccounts: {
        default: { aliases: ['default'], email: this.serviceAccountEmail, scopes: [CLOUD_PLATFORM_SCOPE] },
        [this.serviceAccountEmail]: {
          aliases: ['default'],
          email: this.serviceAccountEmail,
          scopes: [CLOUD_PLATFORM_SCOPE],
        },
      },
    };
  }
}
