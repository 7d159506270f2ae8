/**
 * GcpLroPlugin as the SDK applies it (`configureWorker`, `runWorker`): the activities and the Nexus handler added to
 * the user's, the environment read when a worker is created and not before, a clash of activity names refused, and
 * the HTTP dispatcher it built closed when the worker stops.
 */
import type { Worker, WorkerOptions } from '@temporalio/worker';
import type { Dispatcher } from 'undici';
import * as httpDispatcher from '../../src/google/http-dispatcher';
import { GcpLroPlugin } from '../../src/temporal/plugin';
import { InvalidArgumentError } from '../../src/domain/invalid-argument';
import { lroNexusServiceHandler } from '../../src/temporal/nexus-handler';

const PACKAGE_ACTIVITIES = [
  'cancelAndGet',
  'getOperation',
  'waitOperation',
  'requestCancel',
  'cancellerOutcome',
  'listMatches',
  'sendCancels',
  'confirmOperations',
];
const userOptions = (activities: object): WorkerOptions => ({ taskQueue: 'my-app', activities });

afterEach(() => {
  delete process.env['LRO_EMULATOR_HOST'];
});

test("adds the package's activities beside the user's, and its Nexus service unless told not to", () => {
  const mine = { sendInvoice: async () => 'sent' };
  const configured = new GcpLroPlugin().configureWorker({ ...userOptions(mine), nexusServices: [] });
  expect(Object.keys(configured.activities ?? {}).sort()).toEqual(['sendInvoice', ...PACKAGE_ACTIVITIES].sort());
  expect(configured.nexusServices).toEqual([lroNexusServiceHandler]);
  expect(new GcpLroPlugin({ nexus: false }).configureWorker(userOptions(mine)).nexusServices).toBeUndefined();
});

test('reads the environment when a worker is created, not when the plugin is', () => {
  process.env['LRO_EMULATOR_HOST'] = 'emulator.example.com:8085';
  const plugin = new GcpLroPlugin();
  expect(() => plugin.configureWorker(userOptions({}))).toThrow(InvalidArgumentError);
  expect(() => plugin.configureWorker(userOptions({}))).toThrow(/LRO_EMULATOR_HOST: must be a loopback address/);
});

test('refuses a worker whose own activity has one of its names', () => {
  const mine = { getOperation: async () => 'mine' };
  expect(() => new GcpLroPlugin().configureWorker(userOptions(mine))).toThrow(
    /already has activities named getOperation/,
  );
});

test('closes the dispatcher it built when the worker stops, and leaves one it was given open', async () => {
  const built: ReturnType<typeof httpDispatcher.createDispatcher>[] = [];
  const create = httpDispatcher.createDispatcher;
  jest.spyOn(httpDispatcher, 'createDispatcher').mockImplementation((...args) => {
    const dispatcher = create(...args);
    built.push(dispatcher);
    return dispatcher;
  });
  const plugin = new GcpLroPlugin();
  plugin.configureWorker(userOptions({}));
  const given = new GcpLroPlugin({ deps: { dispatcher: fakeDispatcher() } as never });
  given.configureWorker(userOptions({}));
  expect(built).toHaveLength(1);
  expect((built[0] as unknown as { closed: boolean } | undefined)?.closed).toBe(false);
  await plugin.runWorker({} as Worker, async () => undefined);
  await given.runWorker({} as Worker, async () => undefined);
  expect(built).toHaveLength(1);
  expect((built[0] as unknown as { closed: boolean } | undefined)?.closed).toBe(true);
});

function fakeDispatcher(): Dispatcher {
  return { close: () => Promise.reject(new Error('a given dispatcher must not be closed')) } as unknown as Dispatcher;
}
