import { InvalidArgumentError } from '../../src/domain/invalid-argument';
import {
  BUILD_ID_ENV,
  CANCELLER_VERSIONING_BEHAVIOR,
  DEPLOYMENT_NAME_ENV,
  describeDeployment,
  workerDeploymentFromEnv,
} from '../../src/temporal/worker-deployment';

describe('workerDeploymentFromEnv', () => {
  test('neither variable (or only blanks): unversioned, as before', () => {
    expect(workerDeploymentFromEnv({})).toBeUndefined();
    expect(workerDeploymentFromEnv({ [DEPLOYMENT_NAME_ENV]: ' ', [BUILD_ID_ENV]: '' })).toBeUndefined();
  });

  test('both: versioned, the cancellers AUTO_UPGRADE', () => {
    expect(workerDeploymentFromEnv({ [DEPLOYMENT_NAME_ENV]: ' gcp-lro ', [BUILD_ID_ENV]: '0.3.0+abc1234' })).toEqual({
      useWorkerVersioning: true,
      version: { deploymentName: 'gcp-lro', buildId: '0.3.0+abc1234' },
      defaultVersioningBehavior: 'AUTO_UPGRADE',
    });
    expect(CANCELLER_VERSIONING_BEHAVIOR).toBe('AUTO_UPGRADE');
  });

  test.each([
    [
      'a name without a build ID',
      { [DEPLOYMENT_NAME_ENV]: 'gcp-lro' },
      `${BUILD_ID_ENV}: must be set when ${DEPLOYMENT_NAME_ENV} is`,
    ],
    [
      'a build ID without a name',
      { [BUILD_ID_ENV]: 'b1' },
      `${DEPLOYMENT_NAME_ENV}: must be set when ${BUILD_ID_ENV} is`,
    ],
    [
      "a '.' in the name",
      { [DEPLOYMENT_NAME_ENV]: 'gcp.lro', [BUILD_ID_ENV]: 'b1' },
      `${DEPLOYMENT_NAME_ENV}: must not contain '.' or ':'`,
    ],
    [
      "a ':' in the name",
      { [DEPLOYMENT_NAME_ENV]: 'gcp:lro', [BUILD_ID_ENV]: 'b1' },
      `${DEPLOYMENT_NAME_ENV}: must not contain '.' or ':'`,
    ],
    [
      "a name starting '__'",
      { [DEPLOYMENT_NAME_ENV]: '__lro', [BUILD_ID_ENV]: 'b1' },
      `${DEPLOYMENT_NAME_ENV}: must not start with '__'`,
    ],
    [
      "a build ID starting '__'",
      { [DEPLOYMENT_NAME_ENV]: 'gcp-lro', [BUILD_ID_ENV]: '__unversioned__' },
      `${BUILD_ID_ENV}: must not start with '__'`,
    ],
    [
      'a line break in the build ID',
      { [DEPLOYMENT_NAME_ENV]: 'gcp-lro', [BUILD_ID_ENV]: 'b1\nINFO forged' },
      `${BUILD_ID_ENV}: must not contain control`,
    ],
    [
      'a build ID of 109 bytes',
      { [DEPLOYMENT_NAME_ENV]: 'gcp-lro', [BUILD_ID_ENV]: 'b'.repeat(109) },
      `${BUILD_ID_ENV}: must be at most 108 bytes, not 109: a server whose workflow IDs are limited to 255`,
    ],
    [
      'a build ID of 55 characters and 110 bytes',
      { [DEPLOYMENT_NAME_ENV]: 'gcp-lro', [BUILD_ID_ENV]: 'é'.repeat(55) },
      `${BUILD_ID_ENV}: must be at most 108 bytes, not 110`,
    ],
    [
      'a deployment name of 109 bytes',
      { [DEPLOYMENT_NAME_ENV]: 'd'.repeat(109), [BUILD_ID_ENV]: 'b1' },
      `${DEPLOYMENT_NAME_ENV}: must be at most 108 bytes, not 109`,
    ],
  ])('%s: refused, naming the variable and the rule', (_label, env, message) => {
    let thrown: unknown;
    try {
      workerDeploymentFromEnv(env);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(InvalidArgumentError);
    expect((thrown as Error).message.startsWith(message)).toBe(true);
    expect((thrown as Error).message).not.toContain('\n');
  });

  test('a deployment name and a build ID of 108 bytes each are accepted (the server registers them)', () => {
    expect(
      workerDeploymentFromEnv({ [DEPLOYMENT_NAME_ENV]: 'd'.repeat(108), [BUILD_ID_ENV]: 'b'.repeat(108) }),
    ).toBeDefined();
  });
});

describe('describeDeployment', () => {
  test('says nothing of an unversioned worker, and names build, deployment and behaviour of a versioned one', () => {
    expect(describeDeployment(undefined)).toBe('');
    expect(describeDeployment({ useWorkerVersioning: false, version: { deploymentName: 'd', buildId: 'b' } })).toBe('');
    expect(describeDeployment(workerDeploymentFromEnv({ [DEPLOYMENT_NAME_ENV]: 'd', [BUILD_ID_ENV]: 'b' }))).toBe(
      '; build "b" of Worker Deployment "d" (AUTO_UPGRADE)',
    );
  });
});
