/**
 * Nothing secret leaves the worker: a set of cancellers covering every outcome and the credential failures runs
 * on a real dev server, then every history, description (memo, search attributes), result, failure and worker
 * log line is scanned for the tokens the emulator issued, the JWTs it was sent, `ya29.`, `Bearer <token>`,
 * JWT shapes and private keys.
 */
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { DefaultLogger, Runtime, type LogEntry, type Worker } from '@temporalio/worker';
import { GoogleAuth } from 'google-auth-library';
import type { PollOptions } from '../src/domain/canceller-input';
import { startCancel } from '../src/temporal/client';
import { CLOUD_PLATFORM_SCOPE, googleAuthorizer } from '../src/google/google-auth';
import type { ScriptedFailure, ScriptedOperation, ServiceAccountKey } from '../src/testing/emulator';
import { createCancellerWorker } from '../src/temporal/worker';
import { startStack, unique, workflowBundle, type Stack } from './support/harness';

const logLines: string[] = [];

// Installed before the stack exists: the Runtime is created once, with the first connection or worker.
const runtime = Runtime.install({
  logger: new DefaultLogger('TRACE', (entry: LogEntry) => {
    logLines.push(`${entry.level} ${entry.message} ${render(entry.meta)}`);
  }),
  telemetryOptions: { logging: { filter: { core: 'DEBUG', other: 'INFO' }, forward: {} } },
});

const FAST_POLL: PollOptions = { initialInterval: '100ms', maximumInterval: '300ms' };
const TEAM = 'team.iam.gserviceaccount.com';
/** An account the worker may impersonate, and IAM Credentials lets it. */
const IMPERSONATED = `scan@${TEAM}`;
const HOST = 'alloydb.googleapis.com';
const VERSION = 'v1beta';

/**
 * What the scanner found in a text: one label per kind of secret. Base64 runs (payload data in TRACE logs,
 * task tokens) are decoded and scanned too, so an encoded token cannot slip past.
 */
export function findSecrets(text: string, secrets: readonly string[]): string[] {
  const decoded = (text.match(/[A-Za-z0-9+/]{16,}={0,2}/g) ?? []).map((run) =>
    Buffer.from(run, 'base64').toString('latin1'),
  );
  const found = new Set<string>();
  for (const candidate of [text, ...decoded]) {
    for (const secret of secrets) {
      if (secret.length >= 8 && candidate.includes(secret)) found.add(`secret ${secret.slice(0, 12)}…`);
    }
    if (/ya29\./.test(candidate)) found.add('ya29. token');
    if (/Bearer\s+(?!\[redacted\])[A-Za-z0-9._~+/=-]{8,}/i.test(candidate)) found.add('Bearer token');
    // header.payload: base64 JSON payloads start with eyJ too, but hold no dot.
    if (/eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/.test(candidate)) found.add('JWT');
    if (/PRIVATE KEY/.test(candidate)) found.add('PRIVATE KEY');
  }
  return [...found];
}

describe('the scanner', () => {
  const token = 'ya29.emulator.AbCdEfGhIjKlMnOpQrStUvWxYz012345';
  const opaque = 'opaque-token-0123456789';

  test('finds a planted token, however it is dressed', () => {
    expect(findSecrets(`{"message":"token was ${opaque}"}`, [opaque])).toEqual([`secret ${opaque.slice(0, 12)}…`]);
    expect(findSecrets(`failed: ${token}`, [])).toContain('ya29. token');
    expect(findSecrets('authorization: Bearer abcdefgh12345678', [])).toEqual(['Bearer token']);
    expect(findSecrets('jwt eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4In0.c2ln', [])).toEqual(['JWT']);
    expect(findSecrets('-----BEGIN PRIVATE KEY-----\nMIIE', [])).toEqual(['PRIVATE KEY']);
  });

  test('finds a token inside base64 payload data, as TRACE logs carry it', () => {
    const payload = Buffer.from(JSON.stringify({ message: `token was ${opaque}` })).toString('base64');
    expect(findSecrets(`{"data":"${payload}"}`, [opaque])).toEqual([`secret ${opaque.slice(0, 12)}…`]);
    expect(findSecrets(`{"data":"${Buffer.from(token).toString('base64')}"}`, [])).toEqual(['ya29. token']);
  });

  test('passes redacted and ordinary text', () => {
    expect(findSecrets('token was Bearer [redacted] ([redacted])', [token])).toEqual([]);
    expect(findSecrets('{"outcome":"CANCELLED","polls":3}', [token, opaque])).toEqual([]);
    // A base64 JSON payload starts with eyJ but is not a JWT.
    expect(findSecrets('{"data":"eyJyZXN1bHQiOiJhY2NlcHRlZCJ9"}', [token, opaque])).toEqual([]);
  });
});

describe('on a real dev server', () => {
  let stack: Stack;
  let key: ServiceAccountKey;
  let keyWorker: Worker;
  let keyWorkerRunning: Promise<void>;
  let keyTaskQueue: string;

  beforeAll(async () => {
    stack = await startStack({ policy: { impersonation: [`*@${TEAM}`] } });
    stack.emulator.allowImpersonation(IMPERSONATED);
    key = stack.emulator.trustServiceAccountKey();
    keyTaskQueue = unique('tq-key');
    keyWorker = await createCancellerWorker({
      connection: stack.env.nativeConnection,
      namespace: stack.env.namespace ?? 'default',
      taskQueue: keyTaskQueue,
      deps: {
        ...stack.deps,
        authorizer: googleAuthorizer(new GoogleAuth({ credentials: key, scopes: CLOUD_PLATFORM_SCOPE })),
      },
      workflowBundle: await workflowBundle(),
    });
    keyWorkerRunning = keyWorker.run();
  });
  afterAll(async () => {
    keyWorker?.shutdown();
    await keyWorkerRunning;
    await stack?.stop();
  });

  function operation(script: Omit<ScriptedOperation, 'name'> = {}): { url: string; name: string } {
    const name = `projects/p/locations/l/operations/${unique('secret')}`;
    stack.emulator.addOperation({ name, apiVersion: VERSION, service: HOST, ...script });
    return { url: `https://${HOST}/${VERSION}/${name}`, name };
  }

  /** A running operation whose first request is answered with `failure`. */
  function echoed(script: Omit<ScriptedOperation, 'name'>, failure: ScriptedFailure): string {
    const op = operation(script);
    stack.emulator.failNext({ name: op.name }, failure);
    return op.url;
  }

  const handles: WorkflowHandle[] = [];
  const outcomes: string[] = [];

  /** Starts a canceller, waits for it, and keeps its handle and what it ended with (result or failure). */
  async function run(input: Record<string, unknown>, taskQueue = stack.taskQueue): Promise<string> {
    const handle = await startCancel(stack.env.client, input as never, { taskQueue, workflowId: unique('scan') });
    handles.push(handle);
    const ended = await handle.result().then(
      (result) => (result as { outcome: string }).outcome,
      (err: unknown) => {
        outcomes.push(render(err));
        return err instanceof WorkflowFailedError ? `failed: ${failureType(err)}` : `threw: ${String(err)}`;
      },
    );
    outcomes.push(ended);
    return ended;
  }

  test('no token, JWT or private key reaches history, descriptions, results or worker logs', async () => {
    // Every outcome, plus PERMISSION_DENIED, bad input, and the first use of the service-account key.
    const first = await Promise.all([
      run({ operation: operation({ afterCancel: { to: { kind: 'cancelled' }, afterPolls: 1 } }).url, poll: FAST_POLL }),
      run({ operation: operation({ afterCancel: { to: { kind: 'succeeded' } } }).url, poll: FAST_POLL }),
      run({
        operation: operation({ afterCancel: { to: { kind: 'failed', error: { code: 13, message: 'disk' } } } }).url,
        poll: FAST_POLL,
      }),
      run({ operation: operation({ onCancel: 'unimplemented' }).url, poll: FAST_POLL }),
      run({ operation: operation({ onCancel: 'failed-precondition' }).url, poll: FAST_POLL }),
      run({
        operation: `https://${HOST}/${VERSION}/operations/${unique('missing')}`,
        poll: FAST_POLL,
        notFoundGracePeriod: '300ms',
      }),
      run({ operation: operation({ afterCancel: { to: { kind: 'running' } } }).url, timeout: '1s', poll: FAST_POLL }),
      run({ operation: operation({ onCancel: 'permission-denied' }).url, poll: FAST_POLL }),
      run({ operation: 'http://127.0.0.1:1/v1/operations/x' }),
      run({ operation: operation().url, poll: FAST_POLL }, keyTaskQueue),
      run({ operation: operation().url, poll: FAST_POLL, impersonate: IMPERSONATED }),
      run({ operation: operation().url, poll: FAST_POLL, impersonate: `refused@${TEAM}` }),
    ]);
    expect(first).toEqual([
      'CANCELLED',
      'COMPLETED',
      'FAILED',
      'UNIMPLEMENTED',
      'NOT_CANCELLABLE',
      'NOT_FOUND',
      'TIMED_OUT',
      'failed: PERMISSION_DENIED',
      'failed: INVALID_ARGUMENT',
      'CANCELLED',
      'CANCELLED',
      'failed: PERMISSION_DENIED',
    ]);

    // The emulator now echoes credentials it has seen back in its error messages.
    const token = stack.emulator.tokensIssued().at(-1) ?? '';
    const jwt = stack.emulator.requests.find((r) => r.bearer?.startsWith('eyJ'))?.bearer ?? '';
    const impersonated = stack.emulator.requests.find((r) => r.principal === IMPERSONATED)?.bearer ?? '';
    expect(impersonated).toMatch(/^ya29\./);
    expect(token).toMatch(/^ya29\./);
    expect(jwt).toMatch(/^eyJ/);
    const second = await Promise.all([
      run({ operation: echoed({}, { code: 'INTERNAL', message: `token was Bearer ${token}` }), poll: FAST_POLL }),
      run({
        operation: echoed(
          {},
          { code: 'INVALID_ARGUMENT', message: `Bad header "Authorization: Bearer ${token}" (${token})` },
        ),
      }),
      run({ operation: echoed({}, { code: 'UNAUTHENTICATED', message: `token ${token} is not valid`, times: 2 }) }),
      run(
        { operation: echoed({}, { code: 'INTERNAL', message: `jwt was Bearer ${jwt.slice(0, 40)}` }), poll: FAST_POLL },
        keyTaskQueue,
      ),
      run({
        operation: echoed({}, { code: 'INTERNAL', message: `impersonated token ${impersonated} was refused` }),
        poll: FAST_POLL,
        impersonate: IMPERSONATED,
      }),
    ]);
    expect(second).toEqual([
      'CANCELLED',
      'failed: INVALID_ARGUMENT',
      'failed: UNAUTHENTICATED',
      'CANCELLED',
      'CANCELLED',
    ]);

    // A 401 after revocation: the worker refreshes its token once and carries on.
    stack.emulator.revokeTokens();
    expect(await run({ operation: operation().url, poll: FAST_POLL })).toBe('CANCELLED');
    expect(stack.emulator.requests.some((r) => r.status === 401)).toBe(true);

    // Every credential the emulator issued or was sent, and the key file's secret parts.
    const keyBody = key.private_key.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '');
    const secrets = [
      ...new Set([
        ...stack.emulator.tokensIssued(),
        ...stack.emulator.requests.flatMap((r) => (r.bearer ? [r.bearer] : [])),
        key.private_key,
        ...(keyBody.match(/.{1,48}/g) ?? []),
      ]),
    ];

    const texts: string[] = [...outcomes];
    let events = 0;
    for (const handle of handles) {
      const history = await handle.fetchHistory();
      events += history.events?.length ?? 0;
      texts.push(render(history));
      const description = await handle.describe();
      texts.push(
        render({ memo: description.memo, searchAttributes: description.searchAttributes, raw: description.raw }),
      );
      texts.push(render(description.typedSearchAttributes.getAll()));
    }

    // Every workflow above has ended, so its activity and workflow logs are out; only buffered ones remain.
    runtime.flushLogs();

    const leaks = [
      ...texts.map((text, i) => ({ where: `workflow text ${i}`, text })),
      ...logLines.map((text, i) => ({ where: `log line ${i}`, text })),
    ]
      .map(({ where, text }) => ({ where, found: findSecrets(text, secrets), text: excerpt(text) }))
      .filter((leak) => leak.found.length > 0);
    process.stderr.write(
      `secrets scan: ${handles.length} workflows scanned, ${events} history events scanned, ` +
        `${logLines.length} log lines scanned, ${secrets.length} secrets checked ` +
        `(${stack.emulator.tokensIssued().length} tokens), leaked = ${leaks.length}\n`,
    );
    expect(handles.length).toBe(18);
    expect(events).toBeGreaterThan(100);
    expect(logLines.length).toBeGreaterThan(0);
    expect(leaks).toEqual([]);
  });

  // An RS256 JWT is longer than the 1,024 characters a message is cut to: the answer is redacted before the
  // cut, and a cut JWT (header.payload-prefix) is still recognised.
  test('a service-account JWT echoed in an error message is redacted even when the message is cut', async () => {
    // A first call with the key, so the emulator has seen (and can echo) its JWT.
    await (await startCancel(stack.env.client, { operation: operation().url }, { taskQueue: keyTaskQueue })).result();
    const jwt = [...stack.emulator.requests].reverse().find((r) => r.bearer?.startsWith('eyJ'))?.bearer ?? '';
    expect(jwt).toMatch(/^eyJ/);
    const operationUrl = echoed({}, { code: 'INTERNAL', message: `jwt was Bearer ${jwt} (${jwt})` });
    const handle = await startCancel(
      stack.env.client,
      { operation: operationUrl, poll: FAST_POLL },
      { taskQueue: keyTaskQueue },
    );
    expect((await handle.result()).outcome).toBe('CANCELLED');
    expect(findSecrets(render(await handle.fetchHistory()), [jwt.slice(0, 40)])).toEqual([]);
  });
});

function failureType(err: WorkflowFailedError): string | undefined {
  let failure: unknown = err.cause;
  for (let depth = 0; depth < 4 && failure; depth++) {
    const type = (failure as { type?: string }).type;
    if (type) return type;
    failure = (failure as { cause?: unknown }).cause;
  }
  return undefined;
}

/** JSON of anything: byte arrays as UTF-8 text (payloads), errors with message, stack, details and cause. */
function render(value: unknown): string {
  const seen = new WeakSet<object>();
  return (
    JSON.stringify(value, function (this: unknown, _key, item: unknown) {
      if (typeof item === 'bigint') return item.toString();
      if (item instanceof Uint8Array) return Buffer.from(item).toString('utf8');
      if (item && typeof item === 'object' && (item as { type?: string }).type === 'Buffer') {
        const data = (item as { data?: number[] }).data;
        if (Array.isArray(data)) return Buffer.from(data).toString('utf8');
      }
      if (item instanceof Error) {
        return { ...item, name: item.name, message: item.message, stack: item.stack, cause: item.cause };
      }
      if (item && typeof item === 'object') {
        if (seen.has(item)) return '[circular]';
        seen.add(item);
        if (typeof (item as { toNumber?: unknown }).toNumber === 'function' && 'low' in item) return String(item);
      }
      return item;
    }) ?? String(value)
  );
}

/** The text around the first suspicious spot, for the failure report. */
function excerpt(text: string): string {
  const at = text.search(/eyJ[A-Za-z0-9_-]{8,}\.|ya29\.|Bearer\s+(?!\[redacted\])|PRIVATE KEY/i);
  return at === -1 ? text.slice(0, 300) : text.slice(Math.max(0, at - 200), at + 200);
}
