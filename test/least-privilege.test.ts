/**
 * Least privilege, on a real dev server: the worker acts only on the services and resources its operators allow,
 * and as the service account a canceller names when they allow it (a token minted through IAM Credentials with
 * the worker's own token), sending the headers Google's own clients send.
 */
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { statusQuery } from '../src/domain/canceller-api';
import type { CancelOperationInput } from '../src/domain/canceller-input';
import type { CancelOperationResult } from '../src/domain/outcome';
import { scopePolicyFromEnv } from '../src/domain/scope-policy';
import { LRO_OUTCOME } from '../src/domain/search-attributes';
import { startCancel } from '../src/temporal/client';
import { routingValue } from '../src/google/operations-client';
import { startStack, unique, type Stack } from './support/harness';

let stack: Stack;

const TEAM = 'team.iam.gserviceaccount.com';
const CANCELLER = `canceller@${TEAM}`;

beforeAll(async () => {
  stack = await startStack({
    policy: scopePolicyFromEnv({
      LRO_ALLOWED_SERVICES: 'alloydb.googleapis.com,clouddeploy.googleapis.com',
      LRO_ALLOWED_RESOURCES: 'projects/prod-*,organizations/4242',
      LRO_IMPERSONATION_ALLOWED: `*@${TEAM},ops@other.iam.gserviceaccount.com`,
    }),
  });
});
afterAll(async () => {
  await stack?.stop();
});

const FAST = { initialInterval: '100ms', maximumInterval: '300ms' } as const;

function operation(service: string, name: string): { name: string; url: string } {
  const full = `${name}/${unique()}`;
  stack.emulator.addOperation({ name: full, apiVersion: 'v1', afterCancel: { to: { kind: 'cancelled' } } });
  return { name: full, url: `https://${service}/v1/${full}` };
}

async function start(input: CancelOperationInput): Promise<WorkflowHandle> {
  return startCancel(stack.env.client, { poll: FAST, ...input }, { taskQueue: stack.taskQueue });
}

async function refusal(handle: WorkflowHandle): Promise<ApplicationFailure> {
  const err = await handle.result().catch((e: unknown) => e);
  expect(err).toBeInstanceOf(WorkflowFailedError);
  return (err as WorkflowFailedError).cause as ApplicationFailure;
}

describe('the scope policy', () => {
  test.each([
    ['alloydb.googleapis.com', 'projects/prod-eu/locations/europe-west1/operations'],
    ['clouddeploy.googleapis.com', 'organizations/4242/locations/global/operations'],
  ])('an operation inside it is cancelled (%s, %s)', async (service, parent) => {
    const op = operation(service, parent);
    const result: CancelOperationResult = await (await start({ operation: op.url })).result();
    expect(result.outcome).toBe('CANCELLED');
  });

  test.each([
    ['datastream.googleapis.com', 'projects/prod-eu/locations/l/operations', 'LRO_ALLOWED_SERVICES'],
    ['alloydb.googleapis.com', 'projects/staging/locations/l/operations', 'LRO_ALLOWED_RESOURCES'],
    ['alloydb.googleapis.com', 'organizations/1/locations/l/operations', 'LRO_ALLOWED_RESOURCES'],
    // No project to check it against: a name without one falls under no pattern unless one names it.
    ['alloydb.googleapis.com', 'operations/ingest', 'LRO_ALLOWED_RESOURCES'],
  ])(
    'an operation outside it ends ERROR with PERMISSION_DENIED naming the variable (%s, %s)',
    async (service, parent, variable) => {
      const op = operation(service, parent);
      const handle = await start({ operation: op.url });
      const failure = await refusal(handle);
      expect(failure).toBeInstanceOf(ApplicationFailure);
      expect(failure).toMatchObject({ type: 'PERMISSION_DENIED', nonRetryable: true });
      expect(failure.message.startsWith(`${variable}: `)).toBe(true);
      expect((await handle.describe()).typedSearchAttributes.get(LRO_OUTCOME)).toBe('ERROR');
      expect(stack.emulator.requests.filter((r) => r.name === op.name)).toHaveLength(0);
    },
  );
});

describe('impersonation', () => {
  test("one generateAccessToken call with the worker's token, then the cancel and get carry the minted token", async () => {
    stack.emulator.allowImpersonation(CANCELLER);
    const op = operation('alloydb.googleapis.com', 'projects/prod-a/locations/l/operations');
    const handle = await start({ operation: op.url, impersonate: CANCELLER });
    const result = await handle.result();
    expect(result).toMatchObject({ outcome: 'CANCELLED', principal: CANCELLER });
    const mint = stack.emulator.requests.filter((r) => r.route === 'iam' && r.name === CANCELLER);
    expect(mint).toHaveLength(1);
    expect(mint[0]).toMatchObject({ principal: stack.emulator.serviceAccountEmail, status: 200 });
    const calls = stack.emulator.requests.filter((r) => r.name === op.name);
    expect(calls.map((r) => [r.route, r.principal])).toEqual([
      ['cancel', CANCELLER],
      ['get', CANCELLER],
    ]);
    expect(String((await handle.describe()).memo?.['summary'])).toMatch(new RegExp(`, as ${CANCELLER}$`));
  });

  test('100 cancellers under one account mint one token', async () => {
    const account = `batch@${TEAM}`;
    stack.emulator.allowImpersonation(account);
    const handles = await Promise.all(
      Array.from({ length: 100 }, () =>
        start({
          operation: operation('alloydb.googleapis.com', 'projects/prod-b/locations/l/operations').url,
          impersonate: account,
        }),
      ),
    );
    const results = await Promise.all(handles.map((h) => h.result()));
    expect(results.every((r) => r.outcome === 'CANCELLED' && r.principal === account)).toBe(true);
    expect(stack.emulator.requests.filter((r) => r.route === 'iam' && r.name === account)).toHaveLength(1);
  });

  test('an account outside LRO_IMPERSONATION_ALLOWED is refused with zero calls', async () => {
    const op = operation('alloydb.googleapis.com', 'projects/prod-c/locations/l/operations');
    const account = 'admin@prod-c.iam.gserviceaccount.com';
    const failure = await refusal(await start({ operation: op.url, impersonate: account }));
    expect(failure).toMatchObject({ type: 'PERMISSION_DENIED' });
    expect(failure.message).toMatch(/^LRO_IMPERSONATION_ALLOWED: /);
    expect(stack.emulator.requests.filter((r) => r.name === op.name || r.name === account)).toHaveLength(0);
  });

  test('IAM Credentials refusing the account (403) ends ERROR with PERMISSION_DENIED', async () => {
    const op = operation('alloydb.googleapis.com', 'projects/prod-d/locations/l/operations');
    const account = `not-granted@${TEAM}`;
    const handle = await start({ operation: op.url, impersonate: account });
    const failure = await refusal(handle);
    expect(failure).toMatchObject({ type: 'PERMISSION_DENIED', nonRetryable: true });
    expect(failure.message).toMatch(/not-granted@/);
    expect((await handle.describe()).typedSearchAttributes.get(LRO_OUTCOME)).toBe('ERROR');
    expect(stack.emulator.requests.filter((r) => r.name === op.name)).toHaveLength(0);
  });

  test('IAM Credentials unavailable (503) is retried, and the cancel then goes out as the account', async () => {
    const account = `flaky@${TEAM}`;
    stack.emulator.allowImpersonation(account);
    stack.emulator.failNext({ route: 'iam', name: account }, { code: 'UNAVAILABLE', times: 4 });
    const op = operation('alloydb.googleapis.com', 'projects/prod-e/locations/l/operations');
    const result = await (await start({ operation: op.url, impersonate: account })).result();
    expect(result).toMatchObject({ outcome: 'CANCELLED', principal: account });
    const mints = stack.emulator.requests.filter((r) => r.route === 'iam' && r.name === account);
    expect(mints.map((r) => r.status)).toEqual([503, 503, 503, 503, 200]);
  });

  test('the status query shows who acts', async () => {
    stack.emulator.allowImpersonation(CANCELLER);
    const name = `projects/prod-f/locations/l/operations/${unique()}`;
    stack.emulator.addOperation({ name, apiVersion: 'v1', afterCancel: { to: { kind: 'running' } } });
    const handle = await start({
      operation: `https://alloydb.googleapis.com/v1/${name}`,
      impersonate: CANCELLER,
      poll: { initialInterval: '1h' },
    });
    for (let i = 0; i < 100 && (await handle.query(statusQuery)).polls < 1; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(await handle.query(statusQuery)).toMatchObject({ principal: CANCELLER, polls: 1 });
    await handle.terminate();
  });
});

describe("the headers Google's own clients send", () => {
  test('the routing header percent-encodes as python-api-core does', () => {
    expect(routingValue('projects/p/databases/(default)/operations/a b~c')).toBe(
      'projects/p/databases/%28default%29/operations/a%20b~c',
    );
  });

  test('every Operations call carries x-goog-request-params and x-goog-api-client', async () => {
    const op = operation('alloydb.googleapis.com', 'projects/prod-g/locations/us-central1/operations');
    await (await start({ operation: op.url })).result();
    const calls = stack.emulator.requests.filter((r) => r.name === op.name);
    expect(calls.length).toBeGreaterThanOrEqual(2);
    for (const call of calls) {
      // As python-api-core writes it: slashes kept, everything else outside [A-Za-z0-9_.~-] percent-encoded.
      expect(call.headers['x-goog-request-params']).toBe(`name=${op.name}`);
      expect(call.headers['x-goog-api-client']).toMatch(/^gl-node\/[0-9.]+ temporal-gcp-lro\/[0-9.]+$/);
    }
  });
});
