/**
 * Operation summaries: one named fixture per state, and the bounds that keep a summary small enough for
 * workflow history whatever the service sends.
 */
import {
  MAX_FIELD_LENGTH,
  MAX_METADATA_FIELDS,
  namesSameOperation,
  summarizeOperation,
  type OperationSummary,
} from '../../src/domain/operation-summary';

const NAME = 'projects/p/locations/l/operations/o';
const ALLOYDB_METADATA = {
  '@type': 'type.googleapis.com/google.cloud.alloydb.v1beta.OperationMetadata',
  createTime: '2024-05-01T12:00:00Z',
  target: 'projects/p/locations/l/clusters/c',
  verb: 'create',
  requestedCancellation: false,
  apiVersion: 'v1beta',
};

/** Not done yet: `done` false, and `done` missing altogether (proto3 JSON omits false). */
const PENDING_OP = { name: NAME, metadata: ALLOYDB_METADATA, done: false };
const PENDING_OP_WITHOUT_DONE = { name: NAME, metadata: ALLOYDB_METADATA };
const SUCCESSFUL_OP = {
  name: NAME,
  metadata: ALLOYDB_METADATA,
  done: true,
  response: {
    '@type': 'type.googleapis.com/google.cloud.alloydb.v1beta.Cluster',
    name: 'projects/p/locations/l/clusters/c',
  },
};
const ERROR_OP = {
  name: NAME,
  metadata: ALLOYDB_METADATA,
  done: true,
  error: { code: 9, message: 'The cluster is in an invalid state.', details: [] },
};
const CANCELLED_OP = {
  name: NAME,
  metadata: { ...ALLOYDB_METADATA, requestedCancellation: true },
  done: true,
  error: { code: 1, message: 'Operation was cancelled.' },
};
/** Done with neither `error` nor `response`: "some services might not provide the result". */
const BAD_OP = { name: NAME, metadata: ALLOYDB_METADATA, done: true };

describe('summarizeOperation: states', () => {
  it('PENDING_OP is running', () => {
    expect(summarizeOperation(PENDING_OP)).toMatchObject({ name: NAME, state: 'running', done: false });
  });

  it('PENDING_OP without "done" is running', () => {
    expect(summarizeOperation(PENDING_OP_WITHOUT_DONE)).toMatchObject({ name: NAME, state: 'running', done: false });
  });

  it('SUCCESSFUL_OP succeeded, and keeps only the response type', () => {
    const summary = summarizeOperation(SUCCESSFUL_OP);
    expect(summary).toMatchObject({
      state: 'succeeded',
      done: true,
      responseType: 'type.googleapis.com/google.cloud.alloydb.v1beta.Cluster',
    });
    expect(summary).not.toHaveProperty('response');
  });

  it('SUCCESSFUL_OP with an empty response succeeded, without a response type', () => {
    const summary = summarizeOperation({ ...SUCCESSFUL_OP, response: {} });
    expect(summary.state).toBe('succeeded');
    expect(summary).not.toHaveProperty('responseType');
  });

  it('ERROR_OP failed, with its code, code name and message', () => {
    expect(summarizeOperation(ERROR_OP)).toMatchObject({
      state: 'failed',
      done: true,
      error: { code: 9, status: 'FAILED_PRECONDITION', message: 'The cluster is in an invalid state.' },
    });
  });

  it('CANCELLED_OP (error.code 1) is cancelled', () => {
    expect(summarizeOperation(CANCELLED_OP)).toMatchObject({
      state: 'cancelled',
      done: true,
      error: { code: 1, status: 'CANCELLED', message: 'Operation was cancelled.' },
    });
  });

  it('BAD_OP (done with neither error nor response) is done-without-result', () => {
    expect(summarizeOperation(BAD_OP)).toEqual({
      name: NAME,
      metadata: expect.any(Object),
      state: 'done-without-result',
      done: true,
    });
  });

  it('an error without a numeric code failed as UNKNOWN', () => {
    expect(summarizeOperation({ ...ERROR_OP, error: { message: 'no code' } })).toMatchObject({
      state: 'failed',
      error: { code: 2, status: 'UNKNOWN', message: 'no code' },
    });
    expect(summarizeOperation({ ...ERROR_OP, error: { code: '1' } })).toMatchObject({
      state: 'failed',
      error: { code: 2 },
    });
  });

  it('an error code outside the enum keeps its number and is named UNKNOWN', () => {
    expect(summarizeOperation({ ...ERROR_OP, error: { code: 99 } })).toMatchObject({
      state: 'failed',
      error: { code: 99, status: 'UNKNOWN', message: '' },
    });
  });

  it('error wins over response when a service sends both', () => {
    expect(summarizeOperation({ ...SUCCESSFUL_OP, error: CANCELLED_OP.error }).state).toBe('cancelled');
  });

  it('a missing name and metadata give an empty name and no metadata', () => {
    const summary = summarizeOperation({ done: false });
    expect(summary).toEqual({ name: '', state: 'running', done: false });
  });
});

describe('summarizeOperation: malformed answers', () => {
  it.each([
    ['null', null],
    ['an array', [PENDING_OP]],
    ['a string', JSON.stringify(PENDING_OP)],
    ['a number', 1],
  ])('throws a TypeError for %s', (_, value) => {
    expect(() => summarizeOperation(value)).toThrow(TypeError);
    expect(() => summarizeOperation(value)).toThrow('not a JSON object');
  });

  it.each([
    ['"true"', 'true'],
    ['1', 1],
    ['an object', {}],
  ])('throws a TypeError when done is %s', (_, done) => {
    expect(() => summarizeOperation({ ...BAD_OP, done })).toThrow(TypeError);
    expect(() => summarizeOperation({ ...BAD_OP, done })).toThrow('"done" is not a boolean');
  });
});

describe('summarizeOperation: metadata', () => {
  const metadataOf = (summary: OperationSummary) => {
    expect(summary.metadata).toBeDefined();
    return summary.metadata!;
  };

  it('keeps @type and the top-level scalar fields', () => {
    expect(metadataOf(summarizeOperation(PENDING_OP))).toEqual({
      type: 'type.googleapis.com/google.cloud.alloydb.v1beta.OperationMetadata',
      cancelRequested: false,
      fields: {
        createTime: '2024-05-01T12:00:00Z',
        target: 'projects/p/locations/l/clusters/c',
        verb: 'create',
        requestedCancellation: false,
        apiVersion: 'v1beta',
      },
      truncated: false,
    });
  });

  it('reads requestedCancellation as cancelRequested', () => {
    expect(metadataOf(summarizeOperation(CANCELLED_OP)).cancelRequested).toBe(true);
  });

  it('reads cancelRequested (google.cloud.common) as cancelRequested', () => {
    const op = {
      name: NAME,
      metadata: { '@type': 'type.googleapis.com/google.cloud.common.OperationMetadata', cancelRequested: true },
    };
    expect(metadataOf(summarizeOperation(op)).cancelRequested).toBe(true);
  });

  it('leaves cancelRequested out when the service reports neither flag (dai)', () => {
    const op = {
      name: 'operations/a/b/c',
      metadata: { '@type': 'type.googleapis.com/google.cloud.dai.v1.Metadata', progress: 40 },
    };
    expect(metadataOf(summarizeOperation(op))).not.toHaveProperty('cancelRequested');
  });

  it('drops nested objects and arrays, and says so', () => {
    const op = {
      ...PENDING_OP,
      metadata: { verb: 'create', progress: { percent: 40 }, warnings: ['w'], count: 3, missing: null },
    };
    expect(metadataOf(summarizeOperation(op))).toEqual({
      fields: { verb: 'create', count: 3, missing: null },
      truncated: true,
    });
  });

  it('drops non-finite numbers', () => {
    const op = { ...PENDING_OP, metadata: { ratio: Number.NaN, big: Number.POSITIVE_INFINITY } };
    expect(metadataOf(summarizeOperation(op))).toEqual({ fields: {}, truncated: true });
  });

  it(`keeps at most ${MAX_METADATA_FIELDS} fields`, () => {
    const many = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`field${i}`, i]));
    const metadata = metadataOf(summarizeOperation({ ...PENDING_OP, metadata: many }));
    expect(Object.keys(metadata.fields)).toHaveLength(MAX_METADATA_FIELDS);
    expect(metadata.fields['field0']).toBe(0);
    expect(metadata.truncated).toBe(true);
  });

  it(`keeps exactly ${MAX_METADATA_FIELDS} fields without marking the summary truncated`, () => {
    const exact = Object.fromEntries(Array.from({ length: MAX_METADATA_FIELDS }, (_, i) => [`field${i}`, i]));
    const metadata = metadataOf(summarizeOperation({ ...PENDING_OP, metadata: { '@type': 't', ...exact } }));
    expect(Object.keys(metadata.fields)).toHaveLength(MAX_METADATA_FIELDS);
    expect(metadata.truncated).toBe(false);
  });

  it(`cuts strings to ${MAX_FIELD_LENGTH} characters`, () => {
    const metadata = metadataOf(summarizeOperation({ ...PENDING_OP, metadata: { statusDetail: 's'.repeat(10_000) } }));
    const kept = metadata.fields['statusDetail'] as string;
    expect(kept).toHaveLength(MAX_FIELD_LENGTH);
    expect(kept.endsWith('…')).toBe(true);
    expect(metadata.truncated).toBe(true);
  });

  it('drops fields with very long keys', () => {
    const metadata = metadataOf(summarizeOperation({ ...PENDING_OP, metadata: { ['k'.repeat(65)]: 1, short: 2 } }));
    expect(metadata).toEqual({ fields: { short: 2 }, truncated: true });
  });
});

describe('summarizeOperation: size', () => {
  const SIXTY_FOUR_KIB = 64 * 1024;
  const TEN_MB = 10 * 1024 * 1024;
  const jsonBytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value), 'utf8');

  it('summarises a 10 MB response in well under 64 KiB', () => {
    const op = { ...SUCCESSFUL_OP, response: { '@type': 't'.repeat(TEN_MB / 2), payload: 'p'.repeat(TEN_MB / 2) } };
    expect(jsonBytes(op)).toBeGreaterThan(TEN_MB);
    expect(jsonBytes(summarizeOperation(op))).toBeLessThan(SIXTY_FOUR_KIB);
  });

  it('summarises 10 MB of metadata in well under 64 KiB', () => {
    const fields = Object.fromEntries(Array.from({ length: 1_000 }, (_, i) => [`field${i}`, 'x'.repeat(10 * 1024)]));
    const op = {
      name: 'n'.repeat(TEN_MB / 4),
      metadata: { '@type': 't'.repeat(TEN_MB / 4), ...fields },
      done: true,
      error: { code: 13, message: 'm'.repeat(TEN_MB / 4) },
    };
    expect(jsonBytes(op)).toBeGreaterThan(TEN_MB);
    expect(jsonBytes(summarizeOperation(op))).toBeLessThan(SIXTY_FOUR_KIB);
  });

  it('stays under 64 KiB even when every kept character needs escaping', () => {
    const hostile = '\u0001"\\\u00e9\u{1f600}'.repeat(5_000);
    const fields = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`${'\u0002'.repeat(60)}${i}`, hostile]));
    const op = { name: hostile, metadata: { '@type': hostile, ...fields }, done: true, response: { '@type': hostile } };
    expect(jsonBytes(summarizeOperation(op))).toBeLessThan(SIXTY_FOUR_KIB);
  });
});

describe('namesSameOperation: an answer names the operation asked for', () => {
  it.each([
    ['projects/p/locations/l/operations/o', 'projects/p/locations/l/operations/o'],
    ['projects/my-project/locations/l/operations/o', 'projects/123456789012/locations/l/operations/o'],
    ['projects/123456789012/locations/l/operations/o', 'projects/my-project/locations/l/operations/o'],
    // Speech-to-Text answers GET v1/operations/{id} with the bare ID.
    ['operations/8254262642733152416', '8254262642733152416'],
    // Vertex AI may answer a short form with the full nested name.
    ['projects/p/locations/l/operations/456', 'projects/p/locations/l/endpoints/123/operations/456'],
    ['operations/ingest/jobs/j', 'operations/ingest/jobs/j'],
    ['stream-ops.x', 'stream-ops.x'],
    ['stream-ops.x', 'projects/p/locations/l/operations/stream-ops.x'],
  ])('%s ~ %s', (asked, answered) => {
    expect(namesSameOperation(asked, answered)).toBe(true);
  });

  it.each([
    ['projects/p/locations/l/operations/o', ''],
    ['projects/p/locations/l/operations/o', 'projects/p/locations/l/operations/other'],
    ['projects/p/locations/l/operations/o', 'projects/p/locations/l/operations/o/extra'],
    ['projects/p/locations/l/operations/o', 'projects/p/locations/l/jobs/o'],
    ['projects/p/locations/l/operations/o', 'projects/p/locations/l/operations//o'],
    ['operations/1', 'operations/2'],
    ['operations/1', '2'],
  ])('%s !~ %s', (asked, answered) => {
    expect(namesSameOperation(asked, answered)).toBe(false);
  });
});

describe('summarizeOperation: an answer with fields an Operation does not have is not one', () => {
  it.each([
    [{ name: NAME, fields: { a: { stringValue: 'x' } }, createTime: '2024-05-01T12:00:00Z' }, /fields, createTime/],
    [{ name: NAME, rulesetName: 'projects/p/rulesets/r' }, /rulesetName/],
    [{ name: NAME, done: false, status: 'RUNNING' }, /status/],
  ])('refuses %p', (value, rule) => {
    expect(() => summarizeOperation(value)).toThrow(rule);
  });
});
