import type { NativeConnection } from '@temporalio/worker';
import { usesPrebuiltBundle } from '../../src/temporal/worker';

test('the prebuilt bundle only where nothing must be bundled in with the workflows', () => {
  expect(usesPrebuiltBundle({})).toBe(true);
  expect(usesPrebuiltBundle({ maxCachedWorkflows: 10 })).toBe(true);
  for (const options of [
    { workflowBundle: { codePath: '/elsewhere.js' } },
    { interceptors: { workflowModules: ['./my-interceptors'] } },
    { plugins: [{ name: 'otel' }] },
    { connection: { plugins: [{ name: 'otel' }] } as unknown as NativeConnection },
    { bundlerOptions: { ignoreModules: ['fs'] } },
    { dataConverter: { payloadConverterPath: './converter' } },
    { dataConverter: { failureConverterPath: './failures' } },
  ]) {
    expect({ options, prebuilt: usesPrebuiltBundle(options as never) }).toEqual({ options, prebuilt: false });
  }
});
