/** The state a canceller's run carries: only continue-as-new may hand one over, and only one of the right shape. */
import { InvalidArgumentError } from '../../src/domain/invalid-argument';
import { carriedState, initialState, MAX_WAITERS } from '../../workflows/canceller-state';
import { validateCancelInput } from '../../src/domain/canceller-input';

const SETTINGS = validateCancelInput({
  operation: 'https://alloydb.googleapis.com/v1/projects/p/locations/l/operations/o',
});
const STATE = initialState(SETTINGS, Date.parse('2026-11-30T00:00:00Z'));

function refusal(carried: unknown, continuedAsNew = true): string {
  try {
    carriedState(carried, continuedAsNew);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect((err as InvalidArgumentError).field).toBe('carried');
    return (err as InvalidArgumentError).rule;
  }
  throw new Error('not refused');
}

test('no state is no state', () => {
  expect(carriedState(undefined, false)).toBeUndefined();
  expect(carriedState(null, true)).toBeUndefined();
});

test('a run continued as new keeps the state it was given', () => {
  const carried = { ...STATE, polls: 7, waiters: ['parent-1'] };
  expect(carriedState(carried, true)).toEqual(carried);
});

test('a run continued as new keeps knowing that the service does not support WaitOperation', () => {
  const carried = { ...STATE, polls: 3, waitUnsupported: true };
  expect(carriedState(carried, true)).toEqual(carried);
});

test('a first run knows nothing of WaitOperation: the state of a get-mode canceller is as it was', () => {
  expect(STATE).not.toHaveProperty('waitUnsupported');
});

test('a state given to a first run is refused: only continue-as-new hands one over', () => {
  expect(refusal(STATE, false)).toMatch(/continue-as-new only/);
});

test.each([
  ['not an object', 'state'],
  ['an array', []],
  ['a missing number', { ...STATE, deadline: undefined }],
  ['a number that is not finite', { ...STATE, startedAt: Infinity }],
  ['a flag that is not a boolean', { ...STATE, cancelSent: 'yes' }],
  ['an unknown phase', { ...STATE, phase: 'sleeping' }],
  ['too many waiters', { ...STATE, waiters: Array.from({ length: MAX_WAITERS + 1 }, (_, i) => `w-${i}`) }],
  ['a waiter that is not a workflow ID', { ...STATE, waiters: [''] }],
  ['a waiter ID too long', { ...STATE, waiters: ['x'.repeat(1_001)] }],
  ['a waitUnsupported flag that is not a boolean', { ...STATE, waitUnsupported: 'yes' }],
])('a state of the wrong shape is refused: %s', (_label, carried) => {
  expect(refusal(carried)).toBeTruthy();
});
