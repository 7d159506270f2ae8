/**
 * The two activities against the Google emulator, through the real auth flow: google-auth-library's Application
 * Default Credentials from the emulator's metadata server, undici over a real socket. `MockActivityEnvironment`
 * only provides the activity Context.
 */
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { GoogleAuth } from 'google-auth-library';
import { Agent, type Dispatcher } from 'undici';
import { createActivities, type ActivityDeps } from '../activities';
import type { CancelAndGetAnswer, CancelAnswer, GetAnswer, OperationCall } from '../src/domain/call-answers';
import { CLOUD_PLATFORM_SCOPE, googleAuthorizer } from '../src/google/google-auth';
import { createDispatcher } from '../src/google/http-dispatcher';

import { parseAllowedHosts } from '../src/domain/host-allowlist';
import { GoogleEmulator, type RecordedRequest, type ScriptedOperation } from '../src/testing/emulator';
import { unique, useEmulatorCredentials } from './support/harness';

/** The metadata server's account: the worker's own identity here. */
const WORKER = 'emulator@emulator-project.iam.gserviceaccount.com';
let emulator: GoogleEmulator;
let decoy: GoogleEmulator;
let dispatcher: Dispatcher;
const savedMetadataHost = process.env['GCE_METADATA_HOST'];
const savedCredentials = process.env['GOOGLE_APPLICATION_CREDENTIALS'];

beforeAll(async () => {
  [emulator, decoy] = await Promise.all([GoogleEmulator.start(), GoogleEmulator.start()]);
  useEmulatorCredentials(emulator);
  dispatcher = createDispatcher();
});
afterAll(async () => {
  await dispatcher?.close();
  await Promise.all([emulator?.close(), decoy?.close()]);
  restoreEnv('GCE_METADATA_HOST', savedMetadataHost);
  restoreEnv('GOOGLE_APPLICATION_CREDENTIALS', savedCredentials);
});

/** Every failure an activity threw in this file: none may carry a token. */
const failures: ApplicationFailure[] = [];

/** Real dependencies aimed at the emulator, with their own authorizer (and so their own token cache). */
function deps(overrides: Partial<ActivityDeps> = {}): ActivityDeps {
  return {
    authorizer: googleAuthorizer(),
    dispatcher,
    allowlist: parseAllowedHosts(''),
    emulatorHost: emulator.hostPort,
    ...overrides,
  };
}

const quietLogger = new DefaultLogger('ERROR');

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function requestCancel(activityDeps: ActivityDeps, input: OperationCall): Promise<CancelAnswer> {
  const activities = createActivities(activityDeps);
  return new MockActivityEnvironment(undefined, { logger: quietLogger }).run(activities.requestCancel, input);
}

function getOperation(activityDeps: ActivityDeps, input: OperationCall): Promise<GetAnswer> {
  const activities = createActivities(activityDeps);
  return new MockActivityEnvironment(undefined, { logger: quietLogger }).run(activities.getOperation, input);
}

function cancelAndGet(activityDeps: ActivityDeps, input: OperationCall): Promise<CancelAndGetAnswer> {
  const activities = createActivities(activityDeps);
  return new MockActivityEnvironment(undefined, { logger: quietLogger }).run(activities.cancelAndGet, input);
}

/** The ApplicationFailure a call throws; it fails the test if the call succeeds or throws anything else. */
async function failureOf(call: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await call.then(
    (value) => {
      throw new Error(`expected a failure, got ${JSON.stringify(value)}`);
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApplicationFailure);
  const failure = err as ApplicationFailure;
  failures.push(failure);
  expectNoSecrets(failure);
  return failure;
}

/** Every access token the emulator issued and every bearer (JWTs included) it received. */
function secretsSeen(): string[] {
  return [...emulator.tokensIssued(), ...emulator.requests.flatMap((r) => (r.bearer ? [r.bearer] : []))];
}

function expectNoSecrets(failure: ApplicationFailure): void {
  const text = JSON.stringify({ message: failure.message, details: failure.details, stack: failure.stack });
  for (const secret of secretsSeen()) expect(text).not.toContain(secret);
  expect(text).not.toMatch(/ya29\.|eyJ[A-Za-z0-9_-]{8,}\./);
}

/** The five seed URL shapes. */
const SEEDS = {
  alloydb: {
    host: 'alloydb.googleapis.com',
    version: 'v1beta',
    name: (id: string) => `projects/p/locations/us-central1/operations/${id}`,
  },
  clouddeploy: {
    host: 'clouddeploy.googleapis.com',
    version: 'v1',
    name: (id: string) => `projects/p/locations/europe-west1/operations/${id}`,
  },
  beyondcorp: {
    host: 'beyondcorp.googleapis.com',
    version: 'v1',
    name: (id: string) => `organizations/o/locations/global/operations/${id}`,
  },
  dai: { host: 'dai.googleapis.com', version: 'v1', name: (id: string) => `operations/ingest/jobs/batch-7/${id}` },
  datastream: {
    host: 'datastream.googleapis.com',
    version: 'v1',
    name: (id: string) => `projects/p/locations/us-central1/operations/stream-ops.${id}`,
  },
};

/** Registers an operation of a seed shape; returns the activity input, the resource name and the API version. */
function scripted(seed: keyof typeof SEEDS = 'alloydb', script: Omit<ScriptedOperation, 'name'> = {}) {
  const { host, version } = SEEDS[seed];
  const name = SEEDS[seed].name(unique());
  emulator.addOperation({ name, apiVersion: version, service: host, ...script });
  return { input: { operation: `https://${host}/${version}/${name}` }, name, version };
}

function logFor(name: string): RecordedRequest[] {
  return emulator.requests.filter((r) => r.name === name);
}

function tokenFetchesSince(index: number): number {
  return emulator.requests.slice(index).filter((r) => r.route === 'token').length;
}

describe('the five seed URL shapes', () => {
  let shared: ActivityDeps;
  let logStart: number;
  beforeAll(() => {
    logStart = emulator.requests.length;
    shared = deps();
  });

  test.each(Object.keys(SEEDS) as (keyof typeof SEEDS)[])(
    '%s: POST {version}/{name}:cancel with an empty body, then GET {version}/{name}, with a bearer from the metadata server',
    async (seed) => {
      const op = scripted(seed, seed === 'dai' ? { cancelFlag: 'none' } : {});
      expect(await requestCancel(shared, op.input)).toEqual({ result: 'accepted' });
      const got = await getOperation(shared, op.input);
      expect(got).toMatchObject({ found: true, operation: { name: op.name, state: 'running', done: false } });
      if (got.found) expect(got.operation.metadata?.cancelRequested).toBe(seed === 'dai' ? undefined : true);

      const log = logFor(op.name);
      expect(log.map((r) => [r.method, r.path, r.body, r.status])).toEqual([
        ['POST', `/${op.version}/${op.name}:cancel`, '', 200],
        ['GET', `/${op.version}/${op.name}`, '', 200],
      ]);
      const issued = emulator.tokensIssued();
      for (const request of log) {
        expect(issued).toContain(request.bearer);
        expect(request.headers['authorization']).toBe(`Bearer ${request.bearer}`);
        expect(request.authorized).toBe(true);
      }
      // Tokens are cached: one fetch for every call of this describe so far.
      expect(tokenFetchesSince(logStart)).toBe(1);
    },
  );
});

describe('cancel and get answers', () => {
  let shared: ActivityDeps;
  beforeAll(() => {
    shared = deps();
  });

  test('a cancel accepted with {} and one accepted with an empty body', async () => {
    const withObject = scripted('alloydb', { onCancel: 'accept' });
    const withEmpty = scripted('beyondcorp', { onCancel: 'accept-empty' });
    expect(await requestCancel(shared, withObject.input)).toEqual({ result: 'accepted' });
    expect(await requestCancel(shared, withEmpty.input)).toEqual({ result: 'accepted' });
    expect(emulator.operation(withEmpty.name)).toMatchObject({ metadata: { requestedCancellation: true } });
  });

  test.each([
    ['unimplemented', 'UNIMPLEMENTED'],
    ['not-found', 'NOT_FOUND'],
    ['failed-precondition', 'FAILED_PRECONDITION'],
  ] as const)("a cancel answered %s is the value { result: '%s' }", async (onCancel, result) => {
    const op = scripted('alloydb', { onCancel });
    expect(await requestCancel(shared, op.input)).toEqual({ result, message: expect.any(String) });
  });

  test('cancelAndGet sends the cancel, then the GET, and answers both', async () => {
    const op = scripted('alloydb', { afterCancel: { to: { kind: 'cancelled' } } });
    expect(await cancelAndGet(shared, op.input)).toEqual({
      cancel: { result: 'accepted' },
      get: { found: true, operation: expect.objectContaining({ done: true, state: 'cancelled' }), principal: WORKER },
      principal: WORKER,
    });
    expect(emulator.requests.filter((r) => r.name === op.name).map((r) => r.route)).toEqual(['cancel', 'get']);
  });

  test('cancelAndGet sends no GET after UNIMPLEMENTED', async () => {
    const op = scripted('alloydb', { onCancel: 'unimplemented' });
    expect(await cancelAndGet(shared, op.input)).toEqual({
      cancel: { result: 'UNIMPLEMENTED', message: expect.any(String) },
      principal: WORKER,
    });
    expect(emulator.count({ route: 'get', name: op.name })).toBe(0);
  });

  test('cancelAndGet answers a failed GET with its code and asked-for delay instead of failing', async () => {
    const op = scripted('alloydb');
    emulator.failNext({ route: 'get', name: op.name }, { code: 'UNAVAILABLE', retryDelay: '3s' });
    expect(await cancelAndGet(shared, op.input)).toEqual({
      cancel: { result: 'accepted' },
      getFailed: { code: 'UNAVAILABLE', message: 'The service is currently unavailable.', retryDelayMs: 3_000 },
      principal: WORKER,
    });
  });

  test('cancelAndGet throws a GET failure that no retry can fix', async () => {
    const op = scripted('alloydb');
    emulator.failNext({ route: 'get', name: op.name }, { code: 'PERMISSION_DENIED' });
    const failure = await failureOf(cancelAndGet(shared, op.input));
    expect(failure).toMatchObject({ type: 'PERMISSION_DENIED', nonRetryable: true });
    expect(emulator.count({ route: 'cancel', name: op.name })).toBe(1);
  });

  test('cancelAndGet cancelled during its GET fails, rather than answering getFailed', async () => {
    const op = scripted('alloydb');
    emulator.setFaults({ latencyMs: 1_000 });
    try {
      const env = new MockActivityEnvironment(undefined, { logger: quietLogger });
      const running = env.run(createActivities(shared).cancelAndGet, op.input);
      for (let i = 0; i < 500 && emulator.count({ route: 'get', name: op.name }) === 0; i++) await sleep(10);
      env.cancel();
      const failure = await running.catch((e: unknown) => e);
      // It says the cancel went out, and what it answered.
      expect(failure).toBeInstanceOf(CancelledFailure);
      expect((failure as CancelledFailure).details).toEqual([
        { cancelRequestSent: 'yes', cancel: { result: 'accepted' } },
      ]);
    } finally {
      emulator.setFaults({});
    }
  });

  test('cancelAndGet cancelled during its cancel request says the request may have been sent', async () => {
    const op = scripted('alloydb');
    emulator.failNext({ route: 'cancel', name: op.name }, { stallMs: 5_000 });
    const env = new MockActivityEnvironment(undefined, { logger: quietLogger });
    const running = env.run(createActivities(shared).cancelAndGet, op.input);
    for (let i = 0; i < 500 && emulator.count({ route: 'cancel', name: op.name }) === 0; i++) await sleep(10);
    env.cancel();
    const failure = await running.catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(CancelledFailure);
    expect((failure as CancelledFailure).details).toEqual([{ cancelRequestSent: 'maybe' }]);
  });

  test('cancelAndGet cancelled before it sends anything says so, and sends nothing', async () => {
    const op = scripted('alloydb');
    const env = new MockActivityEnvironment(undefined, { logger: quietLogger });
    env.cancel();
    const failure = await env.run(createActivities(shared).cancelAndGet, op.input).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(CancelledFailure);
    expect((failure as CancelledFailure).details).toEqual([{ cancelRequestSent: 'no' }]);
    expect(emulator.count({ route: 'cancel', name: op.name })).toBe(0);
  });

  test('a GET of an unknown operation is the value { found: false }', async () => {
    const input = { operation: `https://alloydb.googleapis.com/v1beta/projects/p/locations/l/operations/${unique()}` };
    expect(await getOperation(shared, input)).toEqual({
      found: false,
      message: expect.stringMatching(/not found/),
      principal: WORKER,
    });
  });

  test('PERMISSION_DENIED is thrown, non-retryable, with that type', async () => {
    const op = scripted('alloydb', { onCancel: 'permission-denied' });
    const failure = await failureOf(requestCancel(shared, op.input));
    expect(failure).toMatchObject({ type: 'PERMISSION_DENIED', nonRetryable: true });
    expect(failure.details).toEqual([{ httpStatus: 403, reason: 'IAM_PERMISSION_DENIED' }]);
  });

  test('a 10 MB response and 1 MB of metadata make a GetOperation result under 64 KiB', async () => {
    const op = scripted('alloydb', {
      initial: { kind: 'succeeded' },
      responsePaddingBytes: 10 * 1024 * 1024,
      metadataPaddingBytes: 1024 * 1024,
    });
    const got = await getOperation(shared, op.input);
    expect(got).toMatchObject({
      found: true,
      operation: { state: 'succeeded', done: true, metadata: { truncated: true } },
    });
    expect(JSON.stringify(got).length).toBeLessThan(64 * 1024);
  });
});

describe('hosts', () => {
  test('an allowlisted http host is called directly, with the token', async () => {
    const name = `operations/${unique('direct')}`;
    emulator.addOperation({ name });
    const direct = deps({ allowlist: parseAllowedHosts(emulator.hostPort) });
    delete direct.emulatorHost;
    const input = { operation: `${emulator.url}/v1/${name}` };
    expect(await requestCancel(direct, input)).toEqual({ result: 'accepted' });
    expect(await getOperation(direct, input)).toMatchObject({ found: true, operation: { name } });
    expect(logFor(name).map((r) => [r.method, r.path, r.authorized])).toEqual([
      ['POST', `/v1/${name}:cancel`, true],
      ['GET', `/v1/${name}`, true],
    ]);
  });

  test('a host outside the allowlist is refused before any request or token fetch', async () => {
    const before = emulator.requests.length;
    const input = { operation: `${decoy.url}/v1/projects/p/locations/l/operations/o` };
    for (const call of [() => requestCancel(deps(), input), () => getOperation(deps(), input)]) {
      const failure = await failureOf(call());
      expect(failure).toMatchObject({ type: 'INVALID_ARGUMENT', nonRetryable: true });
      expect(failure.message).toMatch(new RegExp(`^operation: host ${decoy.hostPort} is not allowed`));
    }
    expect(decoy.requests).toHaveLength(0);
    // Not even the metadata server was asked: no credentials were looked up for the decoy.
    expect(emulator.requests.slice(before)).toEqual([]);
  });
});

describe('plain http only for loopback hosts and entries written http://', () => {
  // The decoy under a name that is not loopback: this dispatcher resolves *.corp.test to it, as a DNS server would.
  const corpDispatcher = new Agent({
    connect: {
      lookup: (_host: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) =>
        options.all ? callback(null, [{ address: '127.0.0.1', family: 4 }]) : callback(null, '127.0.0.1', 4),
    } as object,
  });
  afterAll(() => corpDispatcher.close());
  const decoyPort = (): string => decoy.hostPort.slice(decoy.hostPort.lastIndexOf(':') + 1);

  test('an http reference to a host allowlisted bare is refused, with zero requests and no token fetched', async () => {
    const before = emulator.requests.length;
    const decoyBefore = decoy.requests.length;
    const bare = deps({ dispatcher: corpDispatcher, allowlist: parseAllowedHosts(`api.corp.test:${decoyPort()}`) });
    const input = { operation: `http://api.corp.test:${decoyPort()}/v1/projects/p/locations/l/operations/o` };
    const failure = await failureOf(requestCancel(bare, input));
    expect(failure).toMatchObject({ type: 'INVALID_ARGUMENT', nonRetryable: true });
    expect(failure.message).toMatch(/^operation: must use https for api\.corp\.test/);
    expect(decoy.requests.length).toBe(decoyBefore);
    expect(emulator.requests.slice(before)).toEqual([]);
  });

  test('an entry written http:// takes http', async () => {
    const decoyBefore = decoy.requests.length;
    const explicit = deps({
      dispatcher: corpDispatcher,
      allowlist: parseAllowedHosts(`http://api.corp.test:${decoyPort()}`),
    });
    const input = { operation: `http://api.corp.test:${decoyPort()}/v1/projects/p/locations/l/operations/o` };
    // The decoy does not know the worker's token (401): what matters is that the request went out, over http.
    await requestCancel(explicit, input).catch(() => undefined);
    expect(decoy.requests.slice(decoyBefore).map((r) => r.route)).toContain('cancel');
  });

  test('a loopback host allowlisted bare takes http', async () => {
    const decoyBefore = decoy.requests.length;
    const loopback = deps({ allowlist: parseAllowedHosts(decoy.hostPort) });
    const input = { operation: `${decoy.url}/v1/projects/p/locations/l/operations/o` };
    await requestCancel(loopback, input).catch(() => undefined);
    expect(decoy.requests.slice(decoyBefore).map((r) => r.route)).toContain('cancel');
  });
});

describe('401 handling', () => {
  test('after the tokens are revoked, one 401, one token refresh, one retry that succeeds', async () => {
    const op = scripted('clouddeploy');
    const activityDeps = deps();
    const logStart = emulator.requests.length;
    expect(await getOperation(activityDeps, op.input)).toMatchObject({ found: true });
    emulator.revokeTokens();
    expect(await requestCancel(activityDeps, op.input)).toEqual({ result: 'accepted' });

    const log = emulator.requests.slice(logStart).filter((r) => r.route !== 'metadata');
    expect(log.map((r) => [r.route, r.status])).toEqual([
      ['token', 200],
      ['get', 200],
      ['cancel', 401],
      ['token', 200],
      ['cancel', 200],
    ]);
    const [firstToken, secondToken] = emulator.tokensIssued().slice(-2);
    expect(log[2]?.bearer).toBe(firstToken);
    expect(log[4]?.bearer).toBe(secondToken);
    expect(secondToken).not.toBe(firstToken);

    // The refreshed token is cached like the first one: later calls go straight through.
    expect(await getOperation(activityDeps, op.input)).toMatchObject({ found: true });
    expect(emulator.requests.at(-1)).toMatchObject({ route: 'get', status: 200, bearer: secondToken });
    expect(tokenFetchesSince(logStart)).toBe(2);
  });

  test('a 401 that persists after the refresh is thrown as non-retryable UNAUTHENTICATED', async () => {
    const op = scripted('clouddeploy');
    emulator.failNext({ name: op.name }, { code: 'UNAUTHENTICATED', times: 2 });
    const failure = await failureOf(requestCancel(deps(), op.input));
    expect(failure).toMatchObject({ type: 'UNAUTHENTICATED', nonRetryable: true });
    const log = logFor(op.name);
    expect(log.map((r) => [r.route, r.status, r.fault])).toEqual([
      ['cancel', 401, 'scripted'],
      ['cancel', 401, 'scripted'],
    ]);
    // The retry carried a freshly fetched token.
    expect(log[1]?.bearer).not.toBe(log[0]?.bearer);
    expect(emulator.tokensIssued()).toContain(log[1]?.bearer);
  });
});

describe('error classification', () => {
  let activityDeps: ActivityDeps;
  beforeAll(() => {
    activityDeps = deps();
  });
  afterEach(() => emulator.setFaults({}));

  test('429 with RetryInfo 2s: retryable RESOURCE_EXHAUSTED, nextRetryDelay 2000 ms', async () => {
    const op = scripted();
    emulator.failNext({ route: 'get', name: op.name }, { code: 'RESOURCE_EXHAUSTED', retryDelay: '2s' });
    const failure = await failureOf(getOperation(activityDeps, op.input));
    expect(failure).toMatchObject({ type: 'RESOURCE_EXHAUSTED', nonRetryable: false, nextRetryDelay: 2000 });
  });

  test('RetryInfo wins over Retry-After', async () => {
    const op = scripted();
    emulator.failNext({ name: op.name }, { code: 'RESOURCE_EXHAUSTED', retryDelay: '2s', retryAfter: '30' });
    const failure = await failureOf(requestCancel(activityDeps, op.input));
    expect(failure).toMatchObject({ type: 'RESOURCE_EXHAUSTED', nextRetryDelay: 2000 });
  });

  test('503 with Retry-After 3 and no RetryInfo: retryable UNAVAILABLE, nextRetryDelay 3000 ms', async () => {
    const op = scripted();
    emulator.failNext({ route: 'cancel', name: op.name }, { code: 'UNAVAILABLE', retryAfter: '3' });
    const failure = await failureOf(requestCancel(activityDeps, op.input));
    expect(failure).toMatchObject({ type: 'UNAVAILABLE', nonRetryable: false, nextRetryDelay: 3000 });
  });

  test('an HTML 502 from a proxy: retryable INTERNAL, no delay hint', async () => {
    const op = scripted();
    emulator.setFaults({ htmlRate: 1 });
    const failure = await failureOf(getOperation(activityDeps, op.input));
    expect(failure).toMatchObject({ type: 'INTERNAL', nonRetryable: false, details: [{ httpStatus: 502 }] });
    expect(failure.nextRetryDelay).toBeUndefined();
  });

  test('a connection reset: retryable UNAVAILABLE', async () => {
    const op = scripted();
    emulator.setFaults({ resetRate: 1 });
    for (const call of [() => requestCancel(activityDeps, op.input), () => getOperation(activityDeps, op.input)]) {
      const failure = await failureOf(call());
      expect(failure).toMatchObject({ type: 'UNAVAILABLE', nonRetryable: false, details: [{ httpStatus: 0 }] });
    }
    expect(logFor(op.name).map((r) => r.fault)).toEqual(['reset', 'reset']);
  });

  test('malformed JSON in a 200: retryable, for the cancel and the GET', async () => {
    const op = scripted();
    emulator.setFaults({ malformedJsonRate: 1 });
    for (const call of [() => requestCancel(activityDeps, op.input), () => getOperation(activityDeps, op.input)]) {
      const failure = await failureOf(call());
      expect(failure).toMatchObject({
        type: 'UNKNOWN',
        nonRetryable: false,
        message: expect.stringMatching(/malformed/),
      });
    }
  });

  test('400 INVALID_ARGUMENT: non-retryable', async () => {
    const op = scripted();
    emulator.failNext(
      { route: 'cancel', name: op.name },
      { code: 'INVALID_ARGUMENT', message: 'Invalid operation name.' },
    );
    const failure = await failureOf(requestCancel(activityDeps, op.input));
    expect(failure).toMatchObject({ type: 'INVALID_ARGUMENT', nonRetryable: true, message: 'Invalid operation name.' });
  });

  test('an error message that echoes the bearer token reaches the failure redacted', async () => {
    const op = scripted();
    await getOperation(activityDeps, op.input);
    const token = logFor(op.name).at(-1)?.bearer ?? '';
    expect(token).toMatch(/^ya29\./);
    emulator.failNext(
      { name: op.name },
      { code: 'INVALID_ARGUMENT', message: `Bad header "Authorization: Bearer ${token}" (${token})` },
    );
    const failure = await failureOf(requestCancel(activityDeps, op.input));
    expect(failure.message).not.toContain(token);
    expect(failure.message).toMatch(/\[redacted\]/);
  });
});

describe('a service-account key', () => {
  test('its self-signed JWT is accepted for a cancel, and no token is fetched', async () => {
    const key = emulator.trustServiceAccountKey();
    const op = scripted('datastream');
    const before = emulator.requests.length;
    const withKey = deps({
      authorizer: googleAuthorizer(new GoogleAuth({ credentials: key, scopes: CLOUD_PLATFORM_SCOPE })),
    });
    expect(await requestCancel(withKey, op.input)).toEqual({ result: 'accepted' });
    const [cancel] = logFor(op.name);
    expect(cancel).toMatchObject({ route: 'cancel', authorized: true, status: 200 });
    const [header, payload] = (cancel?.bearer ?? '')
      .split('.')
      .slice(0, 2)
      .map((part) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>);
    expect(header).toMatchObject({ alg: 'RS256', kid: key.private_key_id });
    expect(payload).toMatchObject({ iss: key.client_email });
    expect(tokenFetchesSince(before)).toBe(0);
  });
});

describe('the quota project', () => {
  test('GOOGLE_CLOUD_QUOTA_PROJECT reaches x-goog-user-project, for the worker and for an account it impersonates', async () => {
    const saved = process.env['GOOGLE_CLOUD_QUOTA_PROJECT'];
    process.env['GOOGLE_CLOUD_QUOTA_PROJECT'] = 'billing-project-7';
    try {
      const account = 'quota@team.iam.gserviceaccount.com';
      emulator.allowImpersonation(account);
      const billed = deps({
        authorizer: googleAuthorizer(new GoogleAuth({ scopes: CLOUD_PLATFORM_SCOPE }), { iamEndpoint: emulator.url }),
        policy: { impersonation: [account] },
      });
      const own = scripted('alloydb');
      const asAccount = scripted('alloydb');
      expect(await requestCancel(billed, own.input)).toEqual({ result: 'accepted' });
      expect(await requestCancel(billed, { ...asAccount.input, impersonate: account })).toEqual({ result: 'accepted' });
      for (const op of [own, asAccount]) {
        expect(logFor(op.name)[0]?.headers['x-goog-user-project']).toBe('billing-project-7');
      }
      expect(logFor(asAccount.name)[0]?.principal).toBe(account);
    } finally {
      if (saved === undefined) delete process.env['GOOGLE_CLOUD_QUOTA_PROJECT'];
      else process.env['GOOGLE_CLOUD_QUOTA_PROJECT'] = saved;
    }
  });

  test('without one, no x-goog-user-project is sent', async () => {
    const op = scripted('alloydb');
    await requestCancel(deps(), op.input);
    expect(logFor(op.name)[0]?.headers).not.toHaveProperty('x-goog-user-project');
  });
});

describe('secrets', () => {
  // Each failure is also checked when it is thrown; this checks them all again against every token issued since.
  test('no failure thrown in this file carries a token or a JWT in its message or details', () => {
    for (const failure of failures) expectNoSecrets(failure);
  });
});

function restoreEnv(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}

describe('impersonation at the activity: the gate, and whose failure it is', () => {
  const TEAM = 'team.iam.gserviceaccount.com';
  const asAccount = (account: string, extra: Partial<ActivityDeps> = {}) =>
    deps({
      authorizer: googleAuthorizer(new GoogleAuth({ scopes: CLOUD_PLATFORM_SCOPE }), { iamEndpoint: emulator.url }),
      policy: { impersonation: [`*@${TEAM}`] },
      ...extra,
    });

  test('an account that is not an email is refused before it can reach the IAM Credentials URL', async () => {
    const op = scripted('alloydb');
    const before = emulator.requests.length;
    const crafted = `../../../../v1/projects/-/serviceAccounts/109876543210987654321:generateAccessToken#@${TEAM}`;
    const failure = await failureOf(requestCancel(asAccount(crafted), { ...op.input, impersonate: crafted }));
    expect(failure).toMatchObject({ type: 'INVALID_ARGUMENT', nonRetryable: true });
    expect(failure.message).toMatch(/^impersonate: /);
    expect(emulator.requests.slice(before).filter((r) => r.route !== 'metadata' && r.route !== 'token')).toEqual([]);
  });

  test("the worker's own credentials failing is the worker's fault: retryable, not PERMISSION_DENIED", async () => {
    const account = `own-outage@${TEAM}`;
    emulator.allowImpersonation(account);
    const op = scripted('alloydb');
    const billed = asAccount(account);
    emulator.revokeTokens();
    emulator.setFaults({ tokenFailUntil: Date.now() + 60_000 });
    try {
      const failure = await failureOf(requestCancel(billed, { ...op.input, impersonate: account }));
      expect(failure).toMatchObject({ type: 'UNAVAILABLE', nonRetryable: false });
    } finally {
      emulator.setFaults({});
    }
  });

  test('IAM refusing a stale worker token (401) is retried with a fresh one', async () => {
    const account = `stale@${TEAM}`;
    emulator.allowImpersonation(account);
    const op = scripted('alloydb');
    const billed = asAccount(account);
    await requestCancel(billed, scripted('alloydb').input);
    emulator.revokeTokens();
    const first = await failureOf(requestCancel(billed, { ...op.input, impersonate: account }));
    expect(first).toMatchObject({ type: 'UNAVAILABLE', nonRetryable: false });
    expect(await requestCancel(billed, { ...op.input, impersonate: account })).toEqual({ result: 'accepted' });
  });

  test('IAM refusing the account (403) is PERMISSION_DENIED, for good', async () => {
    const op = scripted('alloydb');
    const failure = await failureOf(
      requestCancel(asAccount(''), { ...op.input, impersonate: `never-granted@${TEAM}` }),
    );
    expect(failure).toMatchObject({ type: 'PERMISSION_DENIED', nonRetryable: true });
    expect(failure.message).toMatch(/never-granted@/);
  });

  test('a mint that hangs is given up, retryably, and the next call mints afresh', async () => {
    const account = `slow@${TEAM}`;
    emulator.allowImpersonation(account);
    emulator.failNext({ route: 'iam', name: account }, { stallMs: 5_000 });
    const op = scripted('alloydb');
    const hurried = asAccount(account, {
      authorizer: googleAuthorizer(new GoogleAuth({ scopes: CLOUD_PLATFORM_SCOPE }), {
        iamEndpoint: emulator.url,
        mintTimeoutMs: 500,
      }),
    });
    const started = Date.now();
    const failure = await failureOf(requestCancel(hurried, { ...op.input, impersonate: account }));
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(failure).toMatchObject({ type: 'UNAVAILABLE', nonRetryable: false });
    expect(await requestCancel(hurried, { ...op.input, impersonate: account })).toEqual({ result: 'accepted' });
  });
});
