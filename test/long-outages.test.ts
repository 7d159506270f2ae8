/**
 * Outages longer than a call's retry window, on the time-skipping server (minutes of retries pass in seconds):
 * an operator's `extendTimeout` reaches a call Temporal is already retrying, so the canceller outlives the outage
 * instead of failing when that call's old schedule-to-close time passes.
 */
import { extendTimeoutUpdate } from '../src/domain/canceller-api';
import { startCancel } from '../src/temporal/client';
import { startStack, unique, type Stack } from './support/harness';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ server: 'time-skipping' });
});
afterAll(async () => {
  await stack?.stop();
});

test('extendTimeout reaches a GET Temporal is retrying: confirmed after a 10-minute outage', async () => {
  const name = `projects/p/locations/us-central1/operations/${unique()}`;
  stack.emulator.addOperation({ name, apiVersion: 'v1', afterCancel: { to: { kind: 'cancelled' } } });
  // The GET after the cancel, then 15 attempts of the next one: about 10 minutes of Temporal's backoff.
  stack.emulator.failNext({ route: 'get', name }, { code: 'UNAVAILABLE', times: 16 });
  const handle = await startCancel(
    stack.env.client,
    { operation: `https://alloydb.googleapis.com/v1/${name}`, timeout: '5s', poll: { initialInterval: '100ms' } },
    { taskQueue: stack.taskQueue },
  );
  // Time is not skipped until we wait for the result: the next GET is now being retried by Temporal.
  for (let i = 0; i < 200 && stack.emulator.count({ route: 'get', name }) < 2; i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await handle.executeUpdate(extendTimeoutUpdate, { args: ['1h'] });

  const result = await handle.result();
  expect(result).toMatchObject({ outcome: 'CANCELLED', cancelAccepted: true, polls: 1 });
  expect(stack.emulator.count({ route: 'get', name })).toBe(17);
  expect(Date.parse(result.finishedAt) - Date.parse(result.startedAt)).toBeGreaterThan(5 * 60_000);
});
