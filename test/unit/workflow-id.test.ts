/**
 * Workflow IDs: one canceller per operation, derived from the canonical URL, whatever form the user wrote.
 */
import { InvalidArgumentError } from '../../src/domain/invalid-argument';
import { MAX_OPERATION_LENGTH } from '../../src/domain/operation-ref';
import { awaitWorkflowId, cancelWorkflowId } from '../../src/domain/workflow-id';

const ALLOYDB_OP = 'https://alloydb.googleapis.com/v1beta/projects/p/locations/l/operations/o';
const ALLOYDB_BY_NAME = {
  operation: 'projects/p/locations/l/operations/o',
  service: 'alloydb.googleapis.com',
  apiVersion: 'v1beta',
};
/** Temporal's default limit on a workflow ID. */
const TEMPORAL_MAX_ID_LENGTH = 1_000;

describe('cancelWorkflowId and awaitWorkflowId', () => {
  it('prefix the canonical URL', () => {
    expect(cancelWorkflowId(ALLOYDB_OP)).toBe(`lro-cancel:${ALLOYDB_OP}`);
    expect(awaitWorkflowId(ALLOYDB_OP)).toBe(`lro-await:${ALLOYDB_OP}`);
  });

  it('give the same ID for the URL form and the resource-name form', () => {
    expect(cancelWorkflowId(ALLOYDB_BY_NAME)).toBe(cancelWorkflowId(ALLOYDB_OP));
    expect(cancelWorkflowId({ operation: ALLOYDB_OP })).toBe(cancelWorkflowId(ALLOYDB_OP));
    expect(awaitWorkflowId(ALLOYDB_BY_NAME)).toBe(awaitWorkflowId(ALLOYDB_OP));
  });

  it('give the same ID whatever the case of the host and an explicit :443', () => {
    expect(cancelWorkflowId('https://AlloyDB.GoogleAPIs.com:443/v1beta/projects/p/locations/l/operations/o')).toBe(
      cancelWorkflowId(ALLOYDB_OP),
    );
  });

  it('are deterministic', () => {
    expect(cancelWorkflowId(ALLOYDB_OP)).toBe(cancelWorkflowId(ALLOYDB_OP));
  });

  it('differ between cancel and await, and between operations', () => {
    expect(cancelWorkflowId(ALLOYDB_OP)).not.toBe(awaitWorkflowId(ALLOYDB_OP));
    expect(cancelWorkflowId(ALLOYDB_OP)).not.toBe(cancelWorkflowId(`${ALLOYDB_OP}2`));
    expect(cancelWorkflowId(ALLOYDB_OP)).not.toBe(cancelWorkflowId(ALLOYDB_OP.replace(/\/o$/, '/O')));
  });

  it(`stay within ${TEMPORAL_MAX_ID_LENGTH} characters for the longest accepted operation`, () => {
    const prefix = 'https://alloydb.googleapis.com/v1/operations/';
    const longest = `${prefix}${'o'.repeat(MAX_OPERATION_LENGTH - prefix.length)}`;
    expect(cancelWorkflowId(longest).length).toBeLessThanOrEqual(TEMPORAL_MAX_ID_LENGTH);
    expect(awaitWorkflowId(longest).length).toBeLessThanOrEqual(TEMPORAL_MAX_ID_LENGTH);

    const longestName = `operations/${'o'.repeat(MAX_OPERATION_LENGTH - 'https://alloydb.googleapis.com/v1/operations/'.length)}`;
    expect(cancelWorkflowId({ operation: longestName, service: 'alloydb.googleapis.com', apiVersion: 'v1' })).toBe(
      cancelWorkflowId(longest),
    );
  });

  it('refuse an operation that does not parse', () => {
    expect(() => cancelWorkflowId('https://alloydb.googleapis.com/v1/operations/../x')).toThrow(InvalidArgumentError);
    expect(() => awaitWorkflowId({ operation: 'operations/o' })).toThrow(InvalidArgumentError);
  });
});

describe('a canceller that acts as another account', () => {
  it('has an ID of its own, so a start naming an account never joins one acting as another', () => {
    const own = cancelWorkflowId({ operation: ALLOYDB_OP });
    const asA = cancelWorkflowId({ operation: ALLOYDB_OP, impersonate: 'a@p.iam.gserviceaccount.com' });
    const asB = cancelWorkflowId({ operation: ALLOYDB_OP, impersonate: 'b@p.iam.gserviceaccount.com' });
    expect(new Set([own, asA, asB]).size).toBe(3);
    expect(asA).toBe(`lro-cancel:${ALLOYDB_OP};as=a@p.iam.gserviceaccount.com`);
    expect(awaitWorkflowId({ operation: ALLOYDB_OP, impersonate: 'a@p.iam.gserviceaccount.com' })).toBe(
      `lro-await:${ALLOYDB_OP};as=a@p.iam.gserviceaccount.com`,
    );
  });
});
