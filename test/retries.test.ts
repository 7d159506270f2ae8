/**
 * Temporal does the retrying: on a real dev server, a retry waits as long as Google's RetryInfo says, and a
 * non-retryable answer is never sent twice.
 */
import { WorkflowFailedError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import type { PollOptions } from '../src/domain/canceller-input';
import { startCancel } from '../src/temporal/client';
import type { RecordedRequest } from '../src/testing/emulator';
import { startStack, unique, type Stack } from './support/harness';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.stop();
});

const FAST_POLL: PollOptions = { initialInterval: '100ms', maximumInterval: '500ms' };

/** A running AlloyDB operation whose accepted cancel shows on the next GET. */
function alloydbOperation() {
  const name = `projects/p/locations/l/operations/${unique()}`;
  stack.emulator.addOperation({
    name,
    apiVersion: 'v1beta',
    service: 'alloydb.googleapis.com',
    afterCancel: { to: { kind: 'cancelled' } },
  });
  return { url: `https://alloydb.googleapis.com/v1beta/${name}`, name };
}

function requestsFor(name: string, route: RecordedRequest['route']): RecordedRequest[] {
  return stack.emulator.requests.filter((r) => r.name === name && r.route === route);
}

describe('a retry waits as long as RetryInfo says', () => {
  test.each([
    ['2s', 1900, 3500],
    ['4s', 3900, 5500],
  ] as const)(
    'a 429 with RetryInfo %s on the first GetOperation is retried after it, not after the 1 s default backoff',
    async (retryDelay, atLeastMs, belowMs) => {
      const op = alloydbOperation();
      stack.emulator.failNext({ route: 'get', name: op.name }, { code: 'RESOURCE_EXHAUSTED', retryDelay });
      const handle = await startCancel(
        stack.env.client,
        { operation: op.url, poll: FAST_POLL },
        { taskQueue: stack.taskQueue },
      );
      expect(await handle.result()).toMatchObject({ outcome: 'CANCELLED', cancelAccepted: true, polls: 1 });

      const [limited, retried] = requestsFor(op.name, 'get');
      expect(limited).toMatchObject({ status: 429, fault: 'scripted' });
      expect(retried).toMatchObject({ status: 200 });
      expect(requestsFor(op.name, 'get')).toHaveLength(2);
      const gap = (retried?.at ?? 0) - (limited?.at ?? 0);
      expect(gap).toBeGreaterThanOrEqual(atLeastMs);
      expect(gap).toBeLessThan(belowMs);
    },
  );
});

describe('a non-retryable answer is not retried', () => {
  test('400 INVALID_ARGUMENT to the cancel: one request, and the workflow fails with that type', async () => {
    const op = alloydbOperation();
    stack.emulator.failNext({ route: 'cancel', name: op.name }, { code: 'INVALID_ARGUMENT' });
    const handle = await startCancel(
      stack.env.client,
      { operation: op.url, poll: FAST_POLL },
      { taskQueue: stack.taskQueue },
    );
    const err = await handle.result().catch((e: unknown) => e);

    expect(err).toBeInstanceOf(WorkflowFailedError);
    const failure = (err as WorkflowFailedError).cause;
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: 'INVALID_ARGUMENT', nonRetryable: true });
    const activityFailure = failure?.cause;
    expect(activityFailure).toBeInstanceOf(ActivityFailure);
    expect((activityFailure as ActivityFailure).cause).toBeInstanceOf(ApplicationFailure);
    expect((activityFailure as ActivityFailure).cause).toMatchObject({ type: 'INVALID_ARGUMENT', nonRetryable: true });

    expect(requestsFor(op.name, 'cancel')).toEqual([expect.objectContaining({ status: 400, fault: 'scripted' })]);
    expect(requestsFor(op.name, 'get')).toHaveLength(0);
    expect(stack.emulator.operation(op.name)).toMatchObject({
      done: false,
      metadata: { requestedCancellation: false },
    });
  });
});
