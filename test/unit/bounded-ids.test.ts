/**
 * boundedUnlessRecorded: the bounded value for new runs, the whole one for a run that used it before, and one
 * answer per value for the whole run (patched() itself turns true once a replaying run goes on live).
 */
const sdk = { inWorkflow: true, runId: 'run-1', patchedAnswers: [] as boolean[], patchedCalls: 0 };

jest.mock('@temporalio/workflow', () => ({
  inWorkflowContext: () => sdk.inWorkflow,
  workflowInfo: () => ({ runId: sdk.runId }),
  patched: () => {
    sdk.patchedCalls++;
    return sdk.patchedAnswers.shift() ?? true;
  },
}));

import { boundedUnlessRecorded } from '../../workflows/bounded-ids';

beforeEach(() => {
  Object.assign(sdk, { inWorkflow: true, patchedAnswers: [], patchedCalls: 0 });
});

test('a value that fits is itself, and asks nothing of patched()', () => {
  sdk.runId = 'fits';
  expect(boundedUnlessRecorded('lro-cancel:u', 'lro-cancel:u')).toBe('lro-cancel:u');
  expect(sdk.patchedCalls).toBe(0);
});

test('outside a workflow (client code importing the workflows entry), the bounded value', () => {
  sdk.inWorkflow = false;
  expect(boundedUnlessRecorded('bounded', 'whole')).toBe('bounded');
  expect(sdk.patchedCalls).toBe(0);
});

test('a run replaying a history without the marker keeps the whole value, even once it runs on live', () => {
  sdk.runId = 'upgraded';
  sdk.patchedAnswers = [false, true, true];
  expect(boundedUnlessRecorded('bounded', 'whole')).toBe('whole');
  expect(boundedUnlessRecorded('bounded', 'whole')).toBe('whole');
  expect(sdk.patchedCalls).toBe(1);
  // Another long value, first met live, is bounded.
  expect(boundedUnlessRecorded('bounded-2', 'whole-2')).toBe('bounded-2');
});

test('a new run bounds the value, and each run decides for itself', () => {
  sdk.runId = 'new';
  expect(boundedUnlessRecorded('bounded', 'whole')).toBe('bounded');
  sdk.runId = 'old';
  sdk.patchedAnswers = [false];
  expect(boundedUnlessRecorded('bounded', 'whole')).toBe('whole');
  sdk.runId = 'new';
  expect(boundedUnlessRecorded('bounded', 'whole')).toBe('bounded');
});
