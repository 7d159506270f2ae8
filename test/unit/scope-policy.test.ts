/**
 * The worker's scope policy: which services, which resources, and which accounts to act as, read from its
 * environment and checked before any token is fetched.
 */
import { ApplicationFailure } from '@temporalio/common';
import { InvalidArgumentError } from '../../src/domain/invalid-argument';
import { parseOperationRef } from '../../src/domain/operation-ref';
import { checkScope, fallsUnder, scopePolicyFromEnv, type ScopePolicy } from '../../src/domain/scope-policy';

const ref = (url: string) => parseOperationRef({ operation: url });
const ALLOYDB = ref('https://alloydb.googleapis.com/v1/projects/prod-eu/locations/europe-west1/operations/o');
const REGIONAL = ref(
  'https://us-central1-aiplatform.googleapis.com/v1/projects/prod-eu/locations/us-central1/operations/o',
);
const DAI = ref('https://dai.googleapis.com/v1/operations/ingest/jobs/j');

function denial(policy: ScopePolicy, target = ALLOYDB, impersonate?: string): ApplicationFailure | undefined {
  try {
    checkScope(policy, target, impersonate);
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ type: 'PERMISSION_DENIED', nonRetryable: true });
    return err as ApplicationFailure;
  }
}

describe('reading the variables', () => {
  test('unset or empty variables allow anything, and no impersonation', () => {
    expect(scopePolicyFromEnv({})).toEqual({});
    expect(scopePolicyFromEnv({ LRO_ALLOWED_SERVICES: ' ', LRO_ALLOWED_RESOURCES: '' })).toEqual({});
  });

  test('lists are comma-separated, trimmed, services and accounts lower-cased', () => {
    const policy = scopePolicyFromEnv({
      LRO_ALLOWED_SERVICES: ' AlloyDB.googleapis.com , clouddeploy.googleapis.com',
      LRO_ALLOWED_RESOURCES: 'projects/prod-*, organizations/4242',
      LRO_IMPERSONATION_ALLOWED: 'Canceller@p.iam.gserviceaccount.com,*@team.iam.gserviceaccount.com',
    });
    expect([...(policy.services ?? [])]).toEqual(['alloydb.googleapis.com', 'clouddeploy.googleapis.com']);
    expect(policy.resources).toEqual([
      ['projects', 'prod-*'],
      ['organizations', '4242'],
    ]);
    expect(policy.impersonation).toEqual(['canceller@p.iam.gserviceaccount.com', '*@team.iam.gserviceaccount.com']);
  });

  test.each([
    ['LRO_ALLOWED_SERVICES', 'alloydb'],
    ['LRO_ALLOWED_SERVICES', 'https://alloydb.googleapis.com'],
    ['LRO_ALLOWED_RESOURCES', 'projects/p*d'],
    ['LRO_ALLOWED_RESOURCES', 'projects/**'],
    ['LRO_ALLOWED_RESOURCES', 'projects/.*'],
    ['LRO_ALLOWED_RESOURCES', 'projects/[a-z]+'],
    ['LRO_ALLOWED_RESOURCES', 'projects//x'],
    ['LRO_ALLOWED_RESOURCES', 'projects/../x'],
    ['LRO_ALLOWED_RESOURCES', '/projects/p'],
    ['LRO_IMPERSONATION_ALLOWED', '*'],
    ['LRO_IMPERSONATION_ALLOWED', 'user*@p.iam.gserviceaccount.com'],
    ['LRO_IMPERSONATION_ALLOWED', 'no-domain'],
  ])('%s=%p stops the worker, naming the variable', (variable, value) => {
    let thrown: unknown;
    try {
      scopePolicyFromEnv({ [variable]: value });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(InvalidArgumentError);
    expect((thrown as InvalidArgumentError).field).toBe(variable);
  });
});

describe('resource patterns: whole segments, a trailing * within one, no regular expressions', () => {
  test.each([
    ['projects/prod-*', 'projects/prod-eu/locations/l/operations/o', true],
    ['projects/prod-*', 'projects/prod/locations/l/operations/o', false],
    ['projects/prod-*', 'projects/staging/locations/l/operations/o', false],
    ['projects/*/locations/us-*', 'projects/p/locations/us-central1/operations/o', true],
    ['projects/*/locations/us-*', 'projects/p/locations/europe-west1/operations/o', false],
    ['organizations/4242', 'organizations/4242/locations/global/operations/x', true],
    ['organizations/4242', 'organizations/42424/locations/global/operations/x', false],
    ['projects/123456789', 'projects/my-project/locations/l/operations/o', false],
    ['operations/*', 'operations/ingest/jobs/j', true],
    ['projects/p/locations/l/operations/o', 'projects/p/locations/l/operations/o', false],
  ])('%s over %s: %s', (pattern, name, expected) => {
    expect(fallsUnder(name, pattern.split('/'))).toBe(expected);
  });
});

describe('checking an operation', () => {
  test('the services: regional hosts count as their service', () => {
    const policy = scopePolicyFromEnv({ LRO_ALLOWED_SERVICES: 'aiplatform.googleapis.com' });
    expect(denial(policy, REGIONAL)).toBeUndefined();
    expect(denial(policy, ALLOYDB)?.message).toBe(
      'LRO_ALLOWED_SERVICES: the worker may not act on alloydb.googleapis.com',
    );
  });

  test('the resources: a name without a project falls under no pattern unless one names its first collection', () => {
    const projects = scopePolicyFromEnv({ LRO_ALLOWED_RESOURCES: 'projects/prod-*' });
    expect(denial(projects)).toBeUndefined();
    expect(denial(projects, DAI)?.message).toMatch(
      /^LRO_ALLOWED_RESOURCES: operations\/ingest\/jobs\/j falls under none/,
    );
    expect(
      denial(scopePolicyFromEnv({ LRO_ALLOWED_RESOURCES: 'projects/prod-*,operations/ingest' }), DAI),
    ).toBeUndefined();
  });

  test('impersonation: refused when unset, allowed for exact emails and whole domains', () => {
    expect(denial({}, ALLOYDB, 'a@p.iam.gserviceaccount.com')?.message).toMatch(
      /^LRO_IMPERSONATION_ALLOWED: is not set/,
    );
    const policy = scopePolicyFromEnv({
      LRO_IMPERSONATION_ALLOWED: 'ops@other.iam.gserviceaccount.com,*@team.iam.gserviceaccount.com',
    });
    expect(denial(policy, ALLOYDB, 'ops@other.iam.gserviceaccount.com')).toBeUndefined();
    expect(denial(policy, ALLOYDB, 'anyone@team.iam.gserviceaccount.com')).toBeUndefined();
    expect(denial(policy, ALLOYDB, 'admin@other.iam.gserviceaccount.com')?.message).toMatch(/may not act as admin@/);
    expect(denial(policy, ALLOYDB, 'x@evil-team.iam.gserviceaccount.com')).toBeDefined();
    expect(denial(policy, ALLOYDB, 'x@sub.team.iam.gserviceaccount.com')).toBeDefined();
    // The worker's own identity needs no permission.
    expect(denial(policy)).toBeUndefined();
  });
});
