/**
 * The inputs of cancelOperation and awaitOperation: one JSON object each, defaults filled in, and every
 * mistake refused naming its field before anything is sent.
 */
import { DEFAULT_POLL_SCHEDULE, POLL_SCHEDULES } from '../../src/domain/backoff';
import {
  DEFAULT_NOT_FOUND_GRACE_MS,
  DEFAULT_TIMEOUT_MS,
  validateAwaitInput,
  validateCancelInput,
} from '../../src/domain/canceller-input';
import { ApplicationFailure } from '@temporalio/common';
import { InvalidArgumentError } from '../../src/domain/invalid-argument';
import { parseOperationRef } from '../../src/domain/operation-ref';

const ALLOYDB_OP = 'https://alloydb.googleapis.com/v1beta/projects/p/locations/l/operations/o';
const ALLOYDB_REF = parseOperationRef({ operation: ALLOYDB_OP });

/** The smallest valid inputs, as the Web UI's Start Workflow form would send them. */
const MINIMAL_CANCEL = { operation: ALLOYDB_OP };
const MINIMAL_AWAIT = { operation: ALLOYDB_OP, timeout: '2h' };

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

type Validate = (input: unknown) => unknown;

/** Asserts that `validate(input)` is refused for `field`, with a message naming `rule`. */
function expectRefused(validate: Validate, input: unknown, field: string, rule: RegExp): void {
  let thrown: unknown;
  try {
    validate(input);
  } catch (err) {
    thrown = err;
  }
  expect(thrown).toBeInstanceOf(InvalidArgumentError);
  // An ApplicationFailure: it fails a workflow (not its task) wherever it is thrown.
  expect(thrown).toBeInstanceOf(ApplicationFailure);
  expect(thrown).toMatchObject({ type: 'INVALID_ARGUMENT', nonRetryable: true, details: [{ field }] });
  expect((thrown as InvalidArgumentError).field).toBe(field);
  expect((thrown as InvalidArgumentError).message).toMatch(rule);
}

const BOTH: [string, Validate, object][] = [
  ['cancel', validateCancelInput, MINIMAL_CANCEL],
  ['await', validateAwaitInput, MINIMAL_AWAIT],
];

describe('validateCancelInput', () => {
  it('fills in the defaults', () => {
    expect(validateCancelInput(MINIMAL_CANCEL)).toEqual({
      ref: ALLOYDB_REF,
      mode: 'cancel',
      waitMs: 0,
      cancelOnTimeout: true,
      cancelTimeoutMs: DEFAULT_TIMEOUT_MS,
      notFoundGraceMs: DEFAULT_NOT_FOUND_GRACE_MS,
      schedule: DEFAULT_POLL_SCHEDULE,
      pollMode: 'get',
    });
    expect(DEFAULT_TIMEOUT_MS).toBe(HOUR);
    expect(DEFAULT_NOT_FOUND_GRACE_MS).toBe(30 * SECOND);
  });

  it('reads durations as strings', () => {
    const settings = validateCancelInput({
      ...MINIMAL_CANCEL,
      timeout: '10m',
      notFoundGracePeriod: '5s',
      poll: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '30s' },
    });
    expect(settings).toMatchObject({
      cancelTimeoutMs: 10 * MINUTE,
      notFoundGraceMs: 5 * SECOND,
      schedule: { initialIntervalMs: 2 * SECOND, backoffCoefficient: 2, maximumIntervalMs: 30 * SECOND, jitter: 0.1 },
    });
  });

  it('reads durations as milliseconds', () => {
    const settings = validateCancelInput({
      ...MINIMAL_CANCEL,
      timeout: 600_000,
      notFoundGracePeriod: 5_000,
      poll: { initialInterval: 100, maximumInterval: 500 },
    });
    expect(settings).toMatchObject({
      cancelTimeoutMs: 600_000,
      notFoundGraceMs: 5_000,
      schedule: { initialIntervalMs: 100, backoffCoefficient: 1.3, maximumIntervalMs: 500 },
    });
  });

  it('accepts the resource-name form', () => {
    const settings = validateCancelInput({
      operation: 'projects/p/locations/l/operations/o',
      service: 'alloydb.googleapis.com',
      apiVersion: 'v1beta',
    });
    expect(settings.ref).toEqual(ALLOYDB_REF);
  });

  it('accepts a not-found grace period of zero', () => {
    expect(validateCancelInput({ ...MINIMAL_CANCEL, notFoundGracePeriod: '0s' }).notFoundGraceMs).toBe(0);
  });

  it('refuses a zero timeout', () => {
    expectRefused(validateCancelInput, { ...MINIMAL_CANCEL, timeout: '0s' }, 'timeout', /must be at least 1 ms/);
  });

  it('refuses the await-only fields', () => {
    expectRefused(
      validateCancelInput,
      { ...MINIMAL_CANCEL, cancelOnTimeout: false },
      'cancelOnTimeout',
      /is not a known field/,
    );
    expectRefused(
      validateCancelInput,
      { ...MINIMAL_CANCEL, cancelTimeout: '1h' },
      'cancelTimeout',
      /is not a known field/,
    );
  });
});

describe('validateAwaitInput', () => {
  it('fills in the defaults', () => {
    expect(validateAwaitInput(MINIMAL_AWAIT)).toEqual({
      ref: ALLOYDB_REF,
      mode: 'await',
      waitMs: 2 * HOUR,
      cancelOnTimeout: true,
      cancelTimeoutMs: DEFAULT_TIMEOUT_MS,
      notFoundGraceMs: DEFAULT_NOT_FOUND_GRACE_MS,
      schedule: DEFAULT_POLL_SCHEDULE,
      pollMode: 'get',
    });
  });

  it('requires timeout', () => {
    expectRefused(validateAwaitInput, MINIMAL_CANCEL, 'timeout', /is required/);
  });

  it('reads cancelOnTimeout and cancelTimeout', () => {
    expect(validateAwaitInput({ ...MINIMAL_AWAIT, cancelOnTimeout: false, cancelTimeout: 90_000 })).toMatchObject({
      cancelOnTimeout: false,
      cancelTimeoutMs: 90_000,
    });
  });

  it.each([['true'], [1], [{}]])('refuses cancelOnTimeout %p, which is not a boolean', (cancelOnTimeout) => {
    expectRefused(
      validateAwaitInput,
      { ...MINIMAL_AWAIT, cancelOnTimeout },
      'cancelOnTimeout',
      /must be true or false/,
    );
  });

  it('refuses a bad cancelTimeout by name', () => {
    expectRefused(
      validateAwaitInput,
      { ...MINIMAL_AWAIT, cancelTimeout: 'later' },
      'cancelTimeout',
      /must be a duration/,
    );
  });
});

describe.each(BOTH)('%s input: shape', (_, validate, minimal) => {
  it('refuses an unknown top-level field, naming it', () => {
    expectRefused(
      validate,
      { ...minimal, extra: 1 },
      'extra',
      /is not a known field \(known: operation, service, apiVersion,/,
    );
  });

  it('refuses an unknown poll field, naming it', () => {
    expectRefused(
      validate,
      { ...minimal, poll: { extra: 1 } },
      'poll.extra',
      /is not a known field \(known: schedule, initialInterval/,
    );
  });

  it.each([
    ['an array', [minimal]],
    ['null', null],
    ['a string', ALLOYDB_OP],
    ['undefined', undefined],
  ])('refuses %s as the input', (__, input) => {
    expectRefused(validate, input, 'input', /must be a JSON object/);
  });

  it('refuses a number as the operation', () => {
    expectRefused(validate, { ...minimal, operation: 42 }, 'operation', /must be a string/);
  });

  it('refuses a missing operation', () => {
    const { operation: __, ...rest } = minimal as { operation: string };
    expectRefused(validate, rest, 'operation', /must be a string/);
  });

  it('refuses a string as poll', () => {
    expectRefused(validate, { ...minimal, poll: 'fast' }, 'poll', /must be a JSON object/);
    expectRefused(validate, { ...minimal, poll: [] }, 'poll', /must be a JSON object/);
  });

  it('refuses an operation that does not parse, naming the operation', () => {
    expectRefused(
      validate,
      { ...minimal, operation: `${ALLOYDB_OP}/..` },
      'operation',
      /must not contain "\." or "\.\." path segments/,
    );
  });

  it('refuses a timeout that is not a duration', () => {
    expectRefused(validate, { ...minimal, timeout: 'forever' }, 'timeout', /must be a duration/);
    expectRefused(validate, { ...minimal, timeout: true }, 'timeout', /must be a duration/);
  });

  it('refuses a negative not-found grace period', () => {
    expectRefused(validate, { ...minimal, notFoundGracePeriod: -1 }, 'notFoundGracePeriod', /must be at least 0 ms/);
  });
});

describe.each(BOTH)('%s input: poll', (_, validate, minimal) => {
  const scheduleOf = (poll: unknown) => (validate({ ...minimal, poll }) as { schedule: unknown }).schedule;

  it('uses the default schedule for an empty poll object', () => {
    expect(scheduleOf({})).toEqual(DEFAULT_POLL_SCHEDULE);
  });

  it('raises the default maximum to an initial interval above it', () => {
    expect(scheduleOf({ initialInterval: '2m' })).toMatchObject({
      initialIntervalMs: 2 * MINUTE,
      maximumIntervalMs: 2 * MINUTE,
    });
  });

  it('accepts a maximum equal to the initial interval', () => {
    expect(scheduleOf({ initialInterval: '5s', maximumInterval: 5_000 })).toMatchObject({
      initialIntervalMs: 5_000,
      maximumIntervalMs: 5_000,
    });
  });

  it('refuses a maximumInterval below initialInterval', () => {
    expectRefused(
      validate,
      { ...minimal, poll: { initialInterval: '10s', maximumInterval: '5s' } },
      'poll.maximumInterval',
      /must not be less than poll.initialInterval/,
    );
    expectRefused(
      validate,
      { ...minimal, poll: { maximumInterval: '500ms' } },
      'poll.maximumInterval',
      /must not be less than/,
    );
  });

  it('refuses bad intervals by their full name', () => {
    expectRefused(
      validate,
      { ...minimal, poll: { initialInterval: 'often' } },
      'poll.initialInterval',
      /must be a duration/,
    );
    expectRefused(
      validate,
      { ...minimal, poll: { maximumInterval: 0 } },
      'poll.maximumInterval',
      /must be at least 1 ms/,
    );
  });

  it.each([1, 1.3, 10])('accepts backoffCoefficient %p', (backoffCoefficient) => {
    expect(scheduleOf({ backoffCoefficient })).toMatchObject({ backoffCoefficient });
  });

  it.each([0, 0.99, 10.01, -2, '1.5', true, Number.NaN, Number.POSITIVE_INFINITY])(
    'refuses backoffCoefficient %p',
    (backoffCoefficient) => {
      expectRefused(
        validate,
        { ...minimal, poll: { backoffCoefficient } },
        'poll.backoffCoefficient',
        /must be a number from 1 to 10/,
      );
    },
  );

  it('keeps the default jitter, which users cannot set', () => {
    expect(scheduleOf({ initialInterval: '3s' })).toMatchObject({ jitter: DEFAULT_POLL_SCHEDULE.jitter });
    expectRefused(validate, { ...minimal, poll: { jitter: 0 } }, 'poll.jitter', /is not a known field/);
  });
});

describe('poll.schedule', () => {
  it.each(Object.entries(POLL_SCHEDULES))('selects the named schedule %s', (name, schedule) => {
    expect(validateCancelInput({ ...MINIMAL_CANCEL, poll: { schedule: name } }).schedule).toEqual(schedule);
    expect(validateAwaitInput({ ...MINIMAL_AWAIT, poll: { schedule: name } }).schedule).toEqual(schedule);
  });

  it('lets explicit parts override the named schedule', () => {
    expect(
      validateCancelInput({ ...MINIMAL_CANCEL, poll: { schedule: 'frugal', maximumInterval: '10m' } }).schedule,
    ).toEqual({
      ...POLL_SCHEDULES.frugal,
      maximumIntervalMs: 10 * MINUTE,
    });
  });

  it('refuses an unknown name or a non-string, naming poll.schedule', () => {
    expectRefused(
      validateCancelInput,
      { ...MINIMAL_CANCEL, poll: { schedule: 'fast' } },
      'poll.schedule',
      /must be one of default, balanced, prompt, frugal/,
    );
    expectRefused(validateCancelInput, { ...MINIMAL_CANCEL, poll: { schedule: 3 } }, 'poll.schedule', /must be one of/);
    expectRefused(
      validateCancelInput,
      { ...MINIMAL_CANCEL, poll: { schedule: 'toString' } },
      'poll.schedule',
      /must be one of/,
    );
  });
});

describe.each(BOTH)('%s input: poll.mode', (_, validate, minimal) => {
  const modeOf = (poll: unknown) => (validate({ ...minimal, poll }) as { pollMode: unknown }).pollMode;

  it('is get unless asked: WaitOperation is an explicit opt-in', () => {
    expect((validate(minimal) as { pollMode: unknown }).pollMode).toBe('get');
    expect(modeOf({})).toBe('get');
    expect(modeOf({ mode: null })).toBe('get');
  });

  it.each(['get', 'wait'])('takes %p', (mode) => {
    expect(modeOf({ mode })).toBe(mode);
  });

  it('goes with a schedule, which wait mode keeps for failures and services without WaitOperation', () => {
    expect(validate({ ...minimal, poll: { mode: 'wait', schedule: 'frugal' } })).toMatchObject({
      pollMode: 'wait',
      schedule: POLL_SCHEDULES.frugal,
    });
  });

  it.each(['WAIT', 'Wait', 'long-poll', 'poll', '', 1, true, ['wait'], { wait: true }])('refuses %p', (mode) => {
    expectRefused(validate, { ...minimal, poll: { mode } }, 'poll.mode', /^poll\.mode: must be one of get, wait/);
  });
});

describe.each(BOTH)('%s input: impersonate', (_, validate, minimal) => {
  it('takes a service-account email', () => {
    const account = 'canceller@my-project.iam.gserviceaccount.com';
    expect(validate({ ...minimal, impersonate: account })).toMatchObject({ impersonate: account });
  });

  it('leaves it out when not given: the worker acts as itself', () => {
    expect(validate(minimal)).not.toHaveProperty('impersonate');
  });

  it.each(['Canceller@p.iam.gserviceaccount.com', 'canceller', 'a@b', '*@p.iam.gserviceaccount.com', 42, ''])(
    'refuses %p',
    (impersonate) => {
      expectRefused(validate, { ...minimal, impersonate }, 'impersonate', /must be a service-account email/);
    },
  );
});
