/**
 * Workflow IDs: one canceller per operation, derived from the canonical URL, whatever form the user wrote.
 */
import { createHash } from 'node:crypto';
import { MAX_ID_LENGTH } from '../../src/domain/bounded-id';
import { InvalidArgumentError } from '../../src/domain/invalid-argument';
import { MAX_OPERATION_LENGTH } from '../../src/domain/operation-ref';
import { operationSearchValue } from '../../src/domain/search-attributes';
import { awaitWorkflowId, cancelWorkflowId, unboundedWorkflowId } from '../../src/domain/workflow-id';

const ALLOYDB_OP = 'https://alloydb.googleapis.com/v1beta/projects/p/locations/l/operations/o';
const ALLOYDB_BY_NAME = {
  operation: 'projects/p/locations/l/operations/o',
  service: 'alloydb.googleapis.com',
  apiVersion: 'v1beta',
};
/** What the README tells a Python, Go or Java parent to compute, written with node:crypto. */
function documentedRule(id: string): string {
  if (id.length <= 255) return id;
  return `${id.slice(0, 183)};sha256=${createHash('sha256').update(id).digest('hex')}`;
}
const ALLOYDB_PREFIX = 'https://alloydb.googleapis.com/v1/projects/p/locations/l/operations/';

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

  it(`stay within ${MAX_ID_LENGTH} characters (SQL's VARCHAR(255)) for the longest accepted operation`, () => {
    const prefix = 'https://alloydb.googleapis.com/v1/operations/';
    const longest = `${prefix}${'o'.repeat(MAX_OPERATION_LENGTH - prefix.length)}`;
    const asAccount = { operation: longest, impersonate: `${'a'.repeat(30)}@p.iam.gserviceaccount.com` };
    for (const id of [cancelWorkflowId(longest), awaitWorkflowId(longest), cancelWorkflowId(asAccount)]) {
      expect(id).toHaveLength(MAX_ID_LENGTH);
    }
    expect(operationSearchValue(longest)).toHaveLength(MAX_ID_LENGTH);

    const longestName = `operations/${'o'.repeat(MAX_OPERATION_LENGTH - 'https://alloydb.googleapis.com/v1/operations/'.length)}`;
    expect(cancelWorkflowId({ operation: longestName, service: 'alloydb.googleapis.com', apiVersion: 'v1' })).toBe(
      cancelWorkflowId(longest),
    );
  });

  it('stay whole up to 255 characters, and past it keep a readable head and the SHA-256 of the whole', () => {
    const fits = `${ALLOYDB_PREFIX}${'o'.repeat(255 - 'lro-cancel:'.length - ALLOYDB_PREFIX.length)}`;
    expect(cancelWorkflowId(fits)).toBe(`lro-cancel:${fits}`);
    expect(cancelWorkflowId(fits)).toHaveLength(255);
    expect(awaitWorkflowId(fits)).toBe(unboundedWorkflowId('await', fits)); // 'lro-await:' is one shorter

    const long = `${fits}o`;
    const id = cancelWorkflowId(long);
    expect(id).toHaveLength(255);
    expect(id.startsWith(`lro-cancel:${ALLOYDB_PREFIX}`)).toBe(true);
    expect(id).toMatch(/;sha256=[0-9a-f]{64}$/);
    expect(id).toBe(documentedRule(`lro-cancel:${long}`));
    expect(cancelWorkflowId({ operation: long })).toBe(id);
    expect(cancelWorkflowId(long)).toBe(id); // deterministic
  });

  it('tell apart long operations that differ only past the readable head, or by account', () => {
    const head = `${ALLOYDB_PREFIX}${'o'.repeat(400)}`;
    const ids = new Set([
      cancelWorkflowId(`${head}1`),
      cancelWorkflowId(`${head}2`),
      awaitWorkflowId(`${head}1`),
      cancelWorkflowId({ operation: `${head}1`, impersonate: 'a@p.iam.gserviceaccount.com' }),
      cancelWorkflowId({ operation: `${head}1`, impersonate: 'b@p.iam.gserviceaccount.com' }),
    ]);
    expect(ids.size).toBe(5);
    for (const id of ids) expect(id).toHaveLength(255);
    expect(cancelWorkflowId({ operation: `${head}1`, impersonate: 'a@p.iam.gserviceaccount.com' })).toBe(
      documentedRule(`lro-cancel:${head}1;as=a@p.iam.gserviceaccount.com`),
    );
  });

  it('give LroOperation the URL up to 255 characters, and the same rule past it', () => {
    const url = `${ALLOYDB_PREFIX}${'o'.repeat(600)}`;
    expect(operationSearchValue(ALLOYDB_OP)).toBe(ALLOYDB_OP);
    expect(operationSearchValue(url)).toBe(documentedRule(url));
    expect(operationSearchValue(url).startsWith(ALLOYDB_PREFIX)).toBe(true);
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
