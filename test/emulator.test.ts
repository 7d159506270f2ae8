import { createSign, generateKeyPairSync } from 'node:crypto';

import * as gcpMetadata from 'gcp-metadata';
import { GoogleAuth } from 'google-auth-library';
import { Pool } from 'undici';

import { GoogleEmulator } from '../src/testing/emulator';
import type { OperationState, ScriptedOperation } from '../src/testing/emulator';

const OP = 'projects/p/locations/us-central1/operations/op-1';
const SCOPE = 'https://www.googleapis.com/auth/cloud-platform';
const METADATA = { 'Metadata-Flavor': 'Google' };

/** One fixture per Operation state, as gax names them. */
const STATES: Record<string, { state: OperationState; expected: Record<string, unknown> }> = {
  PENDING_OP: { state: { kind: 'running' }, expected: { done: false } },
  CANCELLED_OP: {
    state: { kind: 'cancelled' },
    expected: { done: true, error: { code: 1, message: 'Operation was cancelled.' } },
  },
  SUCCESSFUL_OP: {
    state: { kind: 'succeeded' },
    expected: { done: true, response: { '@type': 'type.googleapis.com/google.protobuf.Empty' } },
  },
  SUCCESSFUL_OP_WITH_RESPONSE: {
    state: { kind: 'succeeded', response: { '@type': 'type.googleapis.com/x.Cluster', id: 7 } },
    expected: { done: true, response: { '@type': 'type.googleapis.com/x.Cluster', id: 7 } },
  },
  ERROR_OP: {
    state: { kind: 'failed', error: { code: 9, message: 'Cluster is busy.' } },
    expected: { done: true, error: { code: 9, message: 'Cluster is busy.' } },
  },
  BAD_OP: { state: { kind: 'done-without-result' }, expected: { done: true } },
};

let emulator: GoogleEmulator;
let token: string;

async function accessToken(target: GoogleEmulator): Promise<string> {
  const res = await fetch(`${target.url}/computeMetadata/v1/instance/service-accounts/default/token`, {
    headers: METADATA,
  });
  const body = (await res.json()) as { access_token: string };
  return body.access_token;
}

function auth(bearer = token): Record<string, string> {
  return { authorization: `Bearer ${bearer}` };
}

async function getOp(name = OP, version = 'v1', bearer = token): Promise<Response> {
  return fetch(`${emulator.url}/${version}/${name}`, { headers: auth(bearer) });
}

async function cancelOp(name = OP, body?: string, version = 'v1'): Promise<Response> {
  return fetch(`${emulator.url}/${version}/${name}:cancel`, {
    method: 'POST',
    headers: { ...auth(), 'content-type': 'application/json' },
    ...(body !== undefined && { body }),
  });
}

async function cancelOpWithin(timeoutMs: number): Promise<Response> {
  return fetch(`${emulator.url}/v1/${OP}:cancel`, {
    method: 'POST',
    headers: auth(),
    signal: AbortSignal.timeout(timeoutMs),
  });
}

async function json(res: Response): Promise<Record<string, unknown>> {
  return (await res.json()) as Record<string, unknown>;
}

async function expectEnvelope(res: Response, status: number, rpc: string): Promise<Record<string, unknown>> {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toBe('application/json; charset=UTF-8');
  const body = await json(res);
  expect(Object.keys(body)).toEqual(['error']);
  const error = body['error'] as Record<string, unknown>;
  expect(error).toEqual({ code: status, message: expect.any(String), status: rpc, details: expect.any(Array) });
  return error;
}

function add(script: Partial<ScriptedOperation> = {}): void {
  emulator.addOperation({ name: OP, ...script });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

beforeEach(async () => {
  emulator = await GoogleEmulator.start();
  token = await accessToken(emulator);
});

afterEach(async () => {
  await emulator.close();
});

describe('operation states', () => {
  it.each(Object.entries(STATES))('renders %s', async (_fixture, { state, expected }) => {
    add({ initial: state, metadata: { '@type': 'type.googleapis.com/google.cloud.alloydb.v1.OperationMetadata' } });
    const res = await getOp();
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({
      name: OP,
      metadata: {
        '@type': 'type.googleapis.com/google.cloud.alloydb.v1.OperationMetadata',
        requestedCancellation: false,
      },
      ...expected,
    });
  });

  it('answers 404 NOT_FOUND for a gone operation, and operation() is undefined', async () => {
    add({ initial: { kind: 'gone' } });
    await expectEnvelope(await getOp(), 404, 'NOT_FOUND');
    await expectEnvelope(await cancelOp(), 404, 'NOT_FOUND');
    expect(emulator.operation(OP)).toBeUndefined();
  });

  it('leaves metadata out when there is none and the cancel flag is off, and can omit a false done', async () => {
    add({ cancelFlag: 'none', omitFalseDone: true });
    expect(await json(await getOp())).toEqual({ name: OP });
  });

  it('uses the cancelRequested flag when asked', async () => {
    add({ cancelFlag: 'cancelRequested', afterCancel: { to: { kind: 'cancelled' }, afterPolls: 5 } });
    expect((await json(await getOp()))['metadata']).toEqual({ cancelRequested: false });
    await cancelOp();
    expect((await json(await getOp()))['metadata']).toEqual({ cancelRequested: true });
  });

  it('setState moves an operation by hand and operation() shows it without counting a poll', async () => {
    add();
    emulator.setState(OP, { kind: 'succeeded' });
    expect(emulator.operation(OP)).toMatchObject({ done: true });
    expect(emulator.count({ route: 'get' })).toBe(0);
    expect(() => emulator.setState('projects/p/operations/nope', { kind: 'cancelled' })).toThrow(/No emulated/);
  });

  it('rejects invalid scripts', () => {
    expect(() => emulator.addOperation({ name: '/projects/p/operations/x' })).toThrow(RangeError);
    expect(() => emulator.addOperation({ name: 'a', apiVersion: '1' })).toThrow(RangeError);
    expect(() => emulator.addOperation({ name: 'a', finish: { to: { kind: 'running' }, afterPolls: -1 } })).toThrow(
      RangeError,
    );
  });
});

describe('cancel', () => {
  it('accepts with {} and confirms on the poll after the first one (default afterCancel)', async () => {
    add();
    const res = await cancelOp();
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('{}');
    expect(await json(await getOp())).toMatchObject({ done: false, metadata: { requestedCancellation: true } });
    expect(await json(await getOp())).toMatchObject({ done: true, error: { code: 1 } });
  });

  it('counts afterPolls from the accepted cancel, not from creation', async () => {
    add({ afterCancel: { to: { kind: 'cancelled' }, afterPolls: 3 } });
    await getOp();
    await getOp();
    await cancelOp();
    for (let i = 0; i < 3; i++) expect(await json(await getOp())).toMatchObject({ done: false });
    expect(await json(await getOp())).toMatchObject({ done: true, error: { code: 1 } });
  });

  it('applies afterMs on the wall clock, whichever of afterPolls and afterMs comes first', async () => {
    add({ afterCancel: { to: { kind: 'succeeded' }, afterMs: 150, afterPolls: 100 } });
    await cancelOp();
    expect(await json(await getOp())).toMatchObject({ done: false });
    await sleep(200);
    expect(await json(await getOp())).toMatchObject({ done: true, response: expect.any(Object) });
  });

  it('an immediate transition is visible on the next GET', async () => {
    add({ afterCancel: { to: { kind: 'cancelled' } } });
    await cancelOp();
    expect(await json(await getOp())).toMatchObject({ done: true, error: { code: 1 } });
  });

  it('is idempotent while running (without restarting the count) and FAILED_PRECONDITION once done', async () => {
    add({ afterCancel: { to: { kind: 'cancelled' }, afterPolls: 2 } });
    expect((await cancelOp()).status).toBe(200);
    await getOp();
    expect((await cancelOp()).status).toBe(200);
    expect(await json(await getOp())).toMatchObject({ done: false });
    expect(emulator.operation(OP)).toMatchObject({ done: true });
    const error = await expectEnvelope(await cancelOp(), 400, 'FAILED_PRECONDITION');
    expect(error['message']).toMatch(/already completed/);
  });

  it("answers 200 with an empty body for 'accept-empty'", async () => {
    add({ onCancel: 'accept-empty' });
    const res = await cancelOp();
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
    expect(emulator.operation(OP)).toMatchObject({ metadata: { requestedCancellation: true } });
  });

  it.each([
    ['unimplemented', 501, 'UNIMPLEMENTED'],
    ['failed-precondition', 400, 'FAILED_PRECONDITION'],
    ['not-found', 404, 'NOT_FOUND'],
    ['permission-denied', 403, 'PERMISSION_DENIED'],
  ] as const)("answers onCancel '%s' with %d %s and does not cancel", async (onCancel, status, rpc) => {
    add({ onCancel });
    await expectEnvelope(await cancelOp(), status, rpc);
    await getOp();
    expect(emulator.operation(OP)).toMatchObject({ done: false, metadata: { requestedCancellation: false } });
  });

  it('requires an empty body or {}', async () => {
    add();
    const error = await expectEnvelope(await cancelOp(OP, '{"force":true}'), 400, 'INVALID_ARGUMENT');
    expect(error['message']).toMatch(/Unknown name "force"/);
    expect(emulator.operation(OP)).toMatchObject({ metadata: { requestedCancellation: false } });
    expect((await cancelOp(OP, '{}')).status).toBe(200);
  });

  it('serves every seed name shape', async () => {
    const names = [
      'organizations/o/locations/global/operations/x',
      'operations/a/b/c',
      'bare-op.name_1~@x',
      'projects/p/locations/l/operations/operation-1700000000000-abc',
    ];
    for (const name of names) emulator.addOperation({ name });
    for (const name of names) {
      expect((await cancelOp(name, undefined, 'v1beta')).status).toBe(200);
      expect(await json(await getOp(name, 'v1alpha2'))).toMatchObject({ name, done: false });
    }
  });
});

describe('scripted lifecycle', () => {
  it('finish counts polls from creation', async () => {
    add({ finish: { to: { kind: 'failed', error: { code: 13, message: 'boom' } }, afterPolls: 2 } });
    expect(await json(await getOp())).toMatchObject({ done: false });
    expect(await json(await getOp())).toMatchObject({ done: false });
    expect(await json(await getOp())).toMatchObject({ done: true, error: { code: 13, message: 'boom' } });
  });

  it('a done state never changes on its own: finish then cancel leaves it succeeded', async () => {
    add({ finish: { to: { kind: 'succeeded' } }, afterCancel: { to: { kind: 'cancelled' } } });
    await expectEnvelope(await cancelOp(), 400, 'FAILED_PRECONDITION');
    expect(await json(await getOp())).toMatchObject({ done: true, response: expect.any(Object) });
  });

  it('visibleAfterPolls hides a just-created operation from the first GETs and cancels', async () => {
    add({ visibleAfterPolls: 2 });
    await expectEnvelope(await getOp(), 404, 'NOT_FOUND');
    await expectEnvelope(await cancelOp(), 404, 'NOT_FOUND');
    expect((await getOp()).status).toBe(200);
    expect((await cancelOp()).status).toBe(200);
  });

  it('apiVersion makes other versions answer NOT_FOUND', async () => {
    add({ apiVersion: 'v1beta' });
    await expectEnvelope(await getOp(OP, 'v1'), 404, 'NOT_FOUND');
    expect((await getOp(OP, 'v1beta')).status).toBe(200);
  });

  it('getError answers that envelope on every GET', async () => {
    add({ getError: 'PERMISSION_DENIED' });
    await expectEnvelope(await getOp(), 403, 'PERMISSION_DENIED');
  });

  it('pads the response and the metadata by the requested bytes', async () => {
    const tenMegabytes = 10 * 1024 * 1024;
    add({ initial: { kind: 'succeeded' }, responsePaddingBytes: tenMegabytes, metadataPaddingBytes: 1000 });
    const body = await json(await getOp());
    expect((body['response'] as { padding: string }).padding).toHaveLength(tenMegabytes);
    expect((body['metadata'] as { padding: string }).padding).toHaveLength(1000);
  });
});

describe('list', () => {
  it('lists operations under a parent and under the root', async () => {
    const parent = 'projects/p/locations/l';
    emulator.addOperation({ name: `${parent}/operations/a` });
    emulator.addOperation({ name: `${parent}/operations/b`, initial: { kind: 'cancelled' } });
    emulator.addOperation({ name: `${parent}/operations/gone`, initial: { kind: 'gone' } });
    emulator.addOperation({ name: 'projects/p/locations/other/operations/c' });
    emulator.addOperation({ name: 'operations/root-1' });

    const res = await fetch(`${emulator.url}/v1/${parent}/operations`, { headers: auth() });
    expect(res.status).toBe(200);
    const names = ((await json(res))['operations'] as { name: string }[]).map((op) => op.name);
    expect(names).toEqual([`${parent}/operations/a`, `${parent}/operations/b`]);

    const root = await json(await fetch(`${emulator.url}/v1/operations`, { headers: auth() }));
    expect(root).toEqual({ operations: [expect.objectContaining({ name: 'operations/root-1' })] });
    expect(emulator.requests.map((r) => [r.route, r.name])).toContainEqual(['list', parent]);
  });

  it('pages with pageSize and nextPageToken', async () => {
    for (const id of ['a', 'b', 'c']) emulator.addOperation({ name: `projects/p/operations/${id}` });
    const first = await json(await fetch(`${emulator.url}/v1/projects/p/operations?pageSize=2`, { headers: auth() }));
    expect(first['operations']).toHaveLength(2);
    const next = encodeURIComponent(first['nextPageToken'] as string);
    const second = await json(
      await fetch(`${emulator.url}/v1/projects/p/operations?pageSize=2&pageToken=${next}`, { headers: auth() }),
    );
    expect(second).toEqual({ operations: [expect.objectContaining({ name: 'projects/p/operations/c' })] });
  });
});

describe('errors and routing', () => {
  it('answers an unregistered name with the exact Google envelope', async () => {
    const res = await getOp('projects/p/locations/l/operations/missing');
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('application/json; charset=UTF-8');
    expect(await res.json()).toEqual({
      error: {
        code: 404,
        message: 'Operation "projects/p/locations/l/operations/missing" not found.',
        status: 'NOT_FOUND',
        details: [],
      },
    });
  });

  it.each(['/', '/foo', '/computeEngine/projects/p', '/v1'])(
    'answers %s with an HTML 404 like a wrong host',
    async (path) => {
      const res = await fetch(`${emulator.url}${path}`, { headers: auth() });
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toBe('text/html; charset=UTF-8');
      expect(await res.text()).toContain('<title>Error 404 (Not Found)!!1</title>');
      expect(emulator.requests.at(-1)).toMatchObject({ route: 'other', status: 404 });
    },
  );
});

describe('auth', () => {
  it('rejects a missing or unknown bearer with 401 UNAUTHENTICATED', async () => {
    add();
    const missing = await fetch(`${emulator.url}/v1/${OP}`);
    const error = await expectEnvelope(missing, 401, 'UNAUTHENTICATED');
    expect(error['details']).toEqual([expect.objectContaining({ reason: 'CREDENTIALS_MISSING' })]);
    await expectEnvelope(await getOp(OP, 'v1', 'ya29.forged'), 401, 'UNAUTHENTICATED');
    expect(emulator.requests.slice(-2).map((r) => [r.authorized, r.bearer])).toEqual([
      [false, undefined],
      [false, 'ya29.forged'],
    ]);
    expect(emulator.operation(OP)).toMatchObject({ metadata: { requestedCancellation: false } });
  });

  it('revokeTokens invalidates every token issued so far, and a new one works', async () => {
    add();
    expect((await getOp()).status).toBe(200);
    emulator.revokeTokens();
    await expectEnvelope(await getOp(), 401, 'UNAUTHENTICATED');
    const fresh = await accessToken(emulator);
    expect((await getOp(OP, 'v1', fresh)).status).toBe(200);
    expect(emulator.tokensIssued()).toEqual([token, fresh]);
  });

  it('issues tokens with the configured lifetime and rejects them once expired', async () => {
    const shortLived = await GoogleEmulator.start({ tokenLifetimeSeconds: 1 });
    try {
      shortLived.addOperation({ name: OP });
      const res = await fetch(`${shortLived.url}/computeMetadata/v1/instance/service-accounts/default/token`, {
        headers: METADATA,
      });
      const body = await json(res);
      expect(body).toEqual({
        access_token: expect.stringMatching(/^ya29\.emulator\./),
        expires_in: 1,
        token_type: 'Bearer',
      });
      const url = `${shortLived.url}/v1/${OP}`;
      const headers = auth(body['access_token'] as string);
      expect((await fetch(url, { headers })).status).toBe(200);
      await sleep(1050);
      expect((await fetch(url, { headers })).status).toBe(401);
    } finally {
      await shortLived.close();
    }
  });

  it('rejects JWTs that are expired or signed by an untrusted key', async () => {
    add();
    const key = emulator.trustServiceAccountKey();
    const now = Math.floor(Date.now() / 1000);
    const claims = { iss: key.client_email, sub: key.client_email, scope: SCOPE, iat: now };
    expect(
      (await getOp(OP, 'v1', signJwt(key.private_key, key.private_key_id, { ...claims, exp: now + 60 }))).status,
    ).toBe(200);
    expect(
      (await getOp(OP, 'v1', signJwt(key.private_key, key.private_key_id, { ...claims, exp: now - 1 }))).status,
    ).toBe(401);
    const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
      type: 'pkcs8',
      format: 'pem',
    });
    expect(
      (await getOp(OP, 'v1', signJwt(stranger.toString(), key.private_key_id, { ...claims, exp: now + 60 }))).status,
    ).toBe(401);
  });
});

describe('google-auth-library', () => {
  const saved = { host: process.env['GCE_METADATA_HOST'], credentials: process.env['GOOGLE_APPLICATION_CREDENTIALS'] };

  afterEach(() => {
    restoreEnv('GCE_METADATA_HOST', saved.host);
    restoreEnv('GOOGLE_APPLICATION_CREDENTIALS', saved.credentials);
    gcpMetadata.resetIsAvailableCache();
  });

  it('gets an access token through the ADC metadata-server flow', async () => {
    process.env['GCE_METADATA_HOST'] = emulator.hostPort;
    delete process.env['GOOGLE_APPLICATION_CREDENTIALS'];
    gcpMetadata.resetIsAvailableCache();

    emulator.clearLog();
    const accessTokenFromLibrary = await new GoogleAuth({ scopes: SCOPE }).getAccessToken();
    expect(emulator.tokensIssued()).toContain(accessTokenFromLibrary);
    const tokenRequest = emulator.requests.find((r) => r.route === 'token');
    expect(tokenRequest).toMatchObject({
      path: '/computeMetadata/v1/instance/service-accounts/default/token',
      headers: expect.objectContaining({ 'metadata-flavor': 'Google' }),
    });
    expect(new URLSearchParams(tokenRequest?.query).get('scopes')).toBe(SCOPE);

    add();
    expect((await getOp(OP, 'v1', accessTokenFromLibrary ?? '')).status).toBe(200);
  });

  it('signs its own JWT with a trusted service-account key, which the emulator accepts', async () => {
    add();
    const key = emulator.trustServiceAccountKey();
    expect(key).toMatchObject({ type: 'service_account', universe_domain: 'emulator.test' });
    const url = `${emulator.url}/v1/${OP}`;
    const headers = await new GoogleAuth({ credentials: key, scopes: SCOPE }).getRequestHeaders(url);
    const res = await fetch(url, { headers: Object.fromEntries(headers.entries()) });
    expect(res.status).toBe(200);
    const recorded = emulator.requests.at(-1);
    expect(recorded).toMatchObject({ route: 'get', authorized: true });
    expect(recorded?.bearer?.split('.')).toHaveLength(3);
  });

  it('exchanges a trusted JWT for an access token at token_uri', async () => {
    const key = emulator.trustServiceAccountKey();
    const now = Math.floor(Date.now() / 1000);
    const assertion = signJwt(key.private_key, key.private_key_id, {
      iss: key.client_email,
      scope: SCOPE,
      aud: key.token_uri,
      iat: now,
      exp: now + 60,
    });
    const res = await fetch(key.token_uri, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion }).toString(),
    });
    const body = await json(res);
    expect(emulator.tokensIssued()).toContain(body['access_token']);
  });
});

describe('metadata server', () => {
  it('answers with Metadata-Flavor: Google and refuses requests without it', async () => {
    const base = `${emulator.url}/computeMetadata/v1`;
    const refused = await fetch(`${base}/project/project-id`);
    expect(refused.status).toBe(403);
    expect(refused.headers.get('metadata-flavor')).toBe('Google');

    const expectations: [string, number, string | undefined][] = [
      ['/project/project-id', 200, 'emulator-project'],
      ['/universe/universe-domain', 200, 'googleapis.com'],
      ['/instance/service-accounts/default/email', 200, 'emulator@emulator-project.iam.gserviceaccount.com'],
      ['/instance', 200, undefined],
      ['/instance/attributes/cluster-name', 404, undefined],
    ];
    for (const [path, status, text] of expectations) {
      const res = await fetch(`${base}${path}`, { headers: METADATA });
      expect([path, res.status, res.headers.get('metadata-flavor')]).toEqual([path, status, 'Google']);
      if (text !== undefined) expect(await res.text()).toBe(text);
    }
  });

  it('fails the token route with 503 until tokenFailUntil', async () => {
    const tokenUrl = `${emulator.url}/computeMetadata/v1/instance/service-accounts/default/token`;
    emulator.setFaults({ tokenFailUntil: Date.now() + 60_000 });
    expect((await fetch(tokenUrl, { headers: METADATA })).status).toBe(503);
    emulator.setFaults({ tokenFailUntil: Date.now() - 1 });
    expect((await fetch(tokenUrl, { headers: METADATA })).status).toBe(200);
  });
});

describe('fault injection', () => {
  beforeEach(() => add());

  it('unavailable: 503 UNAVAILABLE envelope, and the poll is not counted', async () => {
    emulator.setFaults({ unavailableRate: 1 });
    await expectEnvelope(await cancelOp(), 503, 'UNAVAILABLE');
    expect(emulator.requests.at(-1)).toMatchObject({ fault: 'unavailable', status: 503 });
    emulator.setFaults({});
    expect(emulator.operation(OP)).toMatchObject({ metadata: { requestedCancellation: false } });
  });

  it('rate-limit: 429 RESOURCE_EXHAUSTED with RetryInfo and Retry-After rounded up', async () => {
    emulator.setFaults({ rateLimitRate: 1, retryDelay: '1.5s' });
    const res = await getOp();
    expect(res.headers.get('retry-after')).toBe('2');
    const error = await expectEnvelope(res, 429, 'RESOURCE_EXHAUSTED');
    expect(error['details']).toContainEqual({
      '@type': 'type.googleapis.com/google.rpc.RetryInfo',
      retryDelay: '1.5s',
    });
  });

  it('reset: the connection is dropped without an answer', async () => {
    emulator.setFaults({ resetRate: 1 });
    await expect(getOp()).rejects.toThrow();
    expect(emulator.requests.at(-1)).toMatchObject({ route: 'get', fault: 'reset', status: 0 });
    expect(emulator.count({ route: 'get' })).toBe(1);
  });

  it('stall: answers normally after stallMs', async () => {
    emulator.setFaults({ stallRate: 1, stallMs: 200 });
    const started = Date.now();
    const res = await getOp();
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(await json(res)).toMatchObject({ name: OP, done: false });
    expect(emulator.requests.at(-1)).toMatchObject({ fault: 'stall', status: 200 });
  });

  it('stall: a cancel takes effect on arrival even when the client gives up waiting', async () => {
    emulator.setFaults({ stallRate: 1 });
    await expect(cancelOpWithin(100)).rejects.toThrow();
    expect(emulator.operation(OP)).toMatchObject({ metadata: { requestedCancellation: true } });
    expect(emulator.requests.at(-1)).toMatchObject({ route: 'cancel', fault: 'stall', status: 0 });
  });

  it('malformed-json: 200 with a truncated JSON body', async () => {
    emulator.setFaults({ malformedJsonRate: 1 });
    const res = await getOp();
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const text = await res.text();
    expect(text).toBe('{"name": "projects/');
    expect(() => JSON.parse(text)).toThrow();
  });

  it('html: 502 text/html page', async () => {
    emulator.setFaults({ htmlRate: 1 });
    const res = await getOp();
    expect(res.status).toBe(502);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await res.text()).toContain('Error 502');
  });

  it('latencyMs delays every operations answer but not the metadata server', async () => {
    // A latency far above a loaded machine's own delays, so that "not delayed" cannot be noise.
    emulator.setFaults({ latencyMs: 1_000 });
    let started = Date.now();
    expect((await getOp()).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(990);
    started = Date.now();
    await accessToken(emulator);
    expect(Date.now() - started).toBeLessThan(900);
  });

  it('is deterministic for a given seed and applies at most one fault per request', async () => {
    const faults = { unavailableRate: 0.3, htmlRate: 0.3 };
    const run = async (): Promise<(string | undefined)[]> => {
      const other = await GoogleEmulator.start({ seed: 42, faults });
      try {
        const bearer = await accessToken(other);
        for (let i = 0; i < 20; i++) await fetch(`${other.url}/v1/${OP}`, { headers: auth(bearer) });
        return other.requests.filter((r) => r.route === 'get').map((r) => r.fault);
      } finally {
        await other.close();
      }
    };
    const first = await run();
    expect(await run()).toEqual(first);
    expect(new Set(first)).toEqual(new Set([undefined, 'unavailable', 'html']));
  });

  it('never faults the metadata server', async () => {
    emulator.setFaults({ unavailableRate: 1 });
    expect(await accessToken(emulator)).toMatch(/^ya29\./);
  });
});

describe('request log', () => {
  it('records method, path, body, bearer, headers and status', async () => {
    add();
    emulator.clearLog();
    await cancelOp(OP, '{}', 'v1beta');
    expect(emulator.requests).toEqual([
      {
        at: expect.any(Number),
        method: 'POST',
        path: `/v1beta/${OP}:cancel`,
        query: '',
        route: 'cancel',
        name: OP,
        apiVersion: 'v1beta',
        body: '{}',
        bearer: token,
        authorized: true,
        principal: emulator.serviceAccountEmail,
        status: 200,
        headers: expect.objectContaining({ authorization: `Bearer ${token}`, 'content-type': 'application/json' }),
      },
    ]);
    expect(emulator.count({ route: 'cancel', name: OP, method: 'POST' })).toBe(1);
    expect(emulator.count({ route: 'get' })).toBe(0);
    emulator.clearLog();
    expect(emulator.requests).toEqual([]);
  });
});

describe('lifecycle', () => {
  it('counts connections by what their first request asked for, open now and the most open at once', async () => {
    // beforeEach fetched a token over one connection of its own.
    expect(emulator.connections('metadata')).toMatchObject({ accepted: 1, peakOpen: 1 });
    add();
    const pool = new Pool(emulator.url, { connections: 3 });
    try {
      const get = () => pool.request({ path: `/v1/${OP}`, method: 'GET', headers: auth() }).then((r) => r.body.text());
      await Promise.all(Array.from({ length: 12 }, get));
      expect(emulator.connections('api')).toEqual({ accepted: 3, open: 3, peakOpen: 3 });
    } finally {
      await pool.close();
    }
    for (let i = 0; i < 100 && emulator.connections('api').open > 0; i++) await sleep(10);
    expect(emulator.connections('api')).toEqual({ accepted: 3, open: 0, peakOpen: 3 });
    expect(emulator.connections()).toMatchObject({ accepted: 4 });
    expect(emulator.connectionsAccepted).toBe(4);
  });

  it('listens on 127.0.0.1 only and refuses connections after close', async () => {
    const other = await GoogleEmulator.start();
    expect(other.url).toBe(`http://${other.hostPort}`);
    expect(other.hostPort).toMatch(/^127\.0\.0\.1:\d+$/);
    await other.close();
    await other.close();
    await expect(fetch(`${other.url}/`)).rejects.toThrow();
  });
});

function signJwt(privateKey: string, kid: string, payload: Record<string, unknown>): string {
  const encode = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  const unsigned = `${encode({ alg: 'RS256', typ: 'JWT', kid })}.${encode(payload)}`;
  return `${unsigned}.${createSign('RSA-SHA256').update(unsigned).sign(privateKey, 'base64url')}`;
}

function restoreEnv(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}

describe('failNext', () => {
  it('answers the next matching request with the envelope, RetryInfo and Retry-After, without touching the operation', async () => {
    add({ afterCancel: { to: { kind: 'cancelled' } } });
    emulator.failNext({ route: 'cancel', name: OP }, { code: 'RESOURCE_EXHAUSTED', retryDelay: '2s', retryAfter: '3' });
    const res = await cancelOp();
    expect(res.headers.get('retry-after')).toBe('3');
    const error = await expectEnvelope(res, 429, 'RESOURCE_EXHAUSTED');
    expect(error['details']).toEqual([{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '2s' }]);
    expect(emulator.requests.at(-1)).toMatchObject({
      route: 'cancel',
      fault: 'scripted',
      status: 429,
      authorized: true,
    });
    expect(emulator.operation(OP)).toMatchObject({ done: false, metadata: { requestedCancellation: false } });

    expect((await cancelOp()).status).toBe(200);
    expect(emulator.requests.at(-1)?.fault).toBeUndefined();
    expect(emulator.operation(OP)).toMatchObject({ done: true, error: { code: 1 } });
  });

  it('adds no RetryInfo or Retry-After unless asked, and takes the message given', async () => {
    add();
    emulator.failNext({}, { code: 'INVALID_ARGUMENT', message: 'no thanks' });
    const res = await getOp();
    expect(res.headers.get('retry-after')).toBeNull();
    expect(await expectEnvelope(res, 400, 'INVALID_ARGUMENT')).toEqual({
      code: 400,
      message: 'no thanks',
      status: 'INVALID_ARGUMENT',
      details: [],
    });
  });

  it('answers `times` matching requests, skips requests that do not match, and counts no poll', async () => {
    add({ finish: { to: { kind: 'succeeded' }, afterPolls: 1 } });
    emulator.addOperation({ name: 'operations/other' });
    emulator.failNext({ route: 'get', name: OP }, { code: 'UNAVAILABLE', times: 2 });
    expect((await getOp('operations/other')).status).toBe(200);
    expect((await cancelOp()).status).toBe(200);
    await expectEnvelope(await getOp(), 503, 'UNAVAILABLE');
    await expectEnvelope(await getOp(), 503, 'UNAVAILABLE');
    expect(await json(await getOp())).toMatchObject({ done: false });
    expect(await json(await getOp())).toMatchObject({ done: true });
    expect(emulator.requests.map((r) => r.fault ?? null).filter((f) => f !== null)).toEqual(['scripted', 'scripted']);
  });

  it('queues calls: a request takes the oldest matching answer left', async () => {
    add();
    emulator.failNext({ route: 'get' }, { code: 'INTERNAL' });
    emulator.failNext({}, { code: 'ABORTED' });
    await expectEnvelope(await cancelOp(), 409, 'ABORTED');
    await expectEnvelope(await getOp(), 500, 'INTERNAL');
    expect((await getOp()).status).toBe(200);
  });

  it('checks auth first: a request without a valid bearer answers 401 and uses nothing up', async () => {
    add();
    emulator.failNext({ route: 'get' }, { code: 'PERMISSION_DENIED' });
    const error = await expectEnvelope(await getOp(OP, 'v1', 'ya29.forged'), 401, 'UNAUTHENTICATED');
    expect(error['details']).toEqual([expect.objectContaining({ reason: 'ACCESS_TOKEN_TYPE_UNSUPPORTED' })]);
    expect(emulator.requests.at(-1)?.fault).toBeUndefined();
    await expectEnvelope(await getOp(), 403, 'PERMISSION_DENIED');
  });

  it('takes precedence over random faults and still waits latencyMs', async () => {
    add();
    emulator.setFaults({ resetRate: 1, latencyMs: 100 });
    emulator.failNext({}, { code: 'UNAUTHENTICATED' });
    const started = Date.now();
    await expectEnvelope(await getOp(), 401, 'UNAUTHENTICATED');
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    expect(emulator.requests.at(-1)).toMatchObject({ fault: 'scripted', status: 401, authorized: true });
  });

  it('rejects invalid answers', () => {
    expect(() => emulator.failNext({}, { code: 'OK' })).toThrow(RangeError);
    expect(() => emulator.failNext({}, { code: 'NOPE' as 'OK' })).toThrow(RangeError);
    expect(() => emulator.failNext({ route: 'list' as 'get' }, { code: 'INTERNAL' })).toThrow(RangeError);
    expect(() => emulator.failNext({}, { code: 'INTERNAL', retryDelay: '2 seconds' })).toThrow(RangeError);
    expect(() => emulator.failNext({}, { code: 'INTERNAL', retryAfter: '3\r\nx-evil: 1' })).toThrow(RangeError);
    expect(() => emulator.failNext({}, { code: 'INTERNAL', times: 0 })).toThrow(RangeError);
  });
});

describe("IAM Credentials' generateAccessToken", () => {
  const TARGET = 'canceller@team.iam.gserviceaccount.com';
  const mint = (bearer: string | undefined, body = { scope: [SCOPE], lifetime: '3600s' }, target = TARGET) =>
    fetch(`${emulator.url}/v1/projects/-/serviceAccounts/${target}:generateAccessToken`, {
      method: 'POST',
      headers: { ...(bearer === undefined ? {} : auth(bearer)), 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('refuses a caller without a valid token (401)', async () => {
    await expectEnvelope(await mint(undefined), 401, 'UNAUTHENTICATED');
    await expectEnvelope(await mint('ya29.not-issued'), 401, 'UNAUTHENTICATED');
  });

  it('refuses a caller not told it may impersonate the account (403)', async () => {
    const error = await expectEnvelope(await mint(token), 403, 'PERMISSION_DENIED');
    expect(error['message']).toMatch(/iam\.serviceAccounts\.getAccessToken/);
  });

  it('mints a token that acts as the account, authenticated by the caller', async () => {
    emulator.allowImpersonation(TARGET);
    const res = await mint(token);
    expect(res.status).toBe(200);
    const { accessToken, expireTime } = (await json(res)) as { accessToken: string; expireTime: string };
    expect(Date.parse(expireTime) - Date.now()).toBeGreaterThan(3500_000);
    expect(emulator.tokensIssued()).toContain(accessToken);
    add();
    expect((await getOp(OP, 'v1', accessToken)).status).toBe(200);
    const [call, get] = emulator.requests.slice(-2);
    expect(call).toMatchObject({ route: 'iam', name: TARGET, principal: emulator.serviceAccountEmail });
    expect(get).toMatchObject({ route: 'get', principal: TARGET, authorized: true });
  });

  it('allows callers one by one: another account may not mint for the target', async () => {
    emulator.allowImpersonation(TARGET, 'someone-else@p.iam.gserviceaccount.com');
    await expectEnvelope(await mint(token), 403, 'PERMISSION_DENIED');
  });

  it('wants a scope, and caps the lifetime at an hour', async () => {
    emulator.allowImpersonation(TARGET);
    await expectEnvelope(await mint(token, { scope: [], lifetime: '60s' }), 400, 'INVALID_ARGUMENT');
    const res = await mint(token, { scope: [SCOPE], lifetime: '43200s' });
    const { expireTime } = (await json(res)) as { expireTime: string };
    expect(Date.parse(expireTime) - Date.now()).toBeLessThanOrEqual(3600_000);
  });

  it('takes failNext answers for the iam route, and only there', async () => {
    emulator.allowImpersonation(TARGET);
    emulator.failNext({ route: 'iam', name: TARGET }, { code: 'UNAVAILABLE' });
    add();
    expect((await getOp()).status).toBe(200);
    await expectEnvelope(await mint(token), 503, 'UNAVAILABLE');
    expect((await mint(token)).status).toBe(200);
  });

  it('logs every call with the account its bearer acts as', async () => {
    add();
    await getOp();
    expect(emulator.requests.at(-1)).toMatchObject({ route: 'get', principal: emulator.serviceAccountEmail });
  });
});
