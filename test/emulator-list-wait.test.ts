/**
 * ListOperations (filters, paging, a page as a poll, unreachable locations) and WaitOperation (held until done or
 * its timeout), over real HTTP against the real emulator.
 */
import { GoogleEmulator } from '../src/testing/emulator';
import type { ScriptedOperation } from '../src/testing/emulator';

const LOCATION = 'projects/p/locations/us-central1';
const OP = `${LOCATION}/operations/op-1`;
const ALLOYDB = 'alloydb.googleapis.com';
const ALLOYDB_METADATA = 'type.googleapis.com/google.cloud.alloydb.v1.OperationMetadata';

let emulator: GoogleEmulator;
let token: string;

beforeEach(async () => {
  emulator = await GoogleEmulator.start();
  const res = await fetch(`${emulator.url}/computeMetadata/v1/instance/service-accounts/default/token`, {
    headers: { 'Metadata-Flavor': 'Google' },
  });
  token = ((await res.json()) as { access_token: string }).access_token;
});

afterEach(async () => {
  await emulator.close();
});

function auth(): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

function add(script: Partial<ScriptedOperation> & { name?: string } = {}): void {
  emulator.addOperation({ name: OP, ...script });
}

interface ListAnswer {
  operations: { name: string; done?: boolean; error?: { code: number }; metadata?: Record<string, unknown> }[];
  nextPageToken?: string;
  unreachable?: string[];
}

async function listRaw(parent: string, params: Record<string, string> = {}): Promise<Response> {
  const query = new URLSearchParams(params).toString();
  return fetch(`${emulator.url}/v1/${parent}/operations${query === '' ? '' : `?${query}`}`, {
    headers: auth(),
  });
}

async function list(parent: string, params: Record<string, string> = {}): Promise<ListAnswer> {
  const res = await listRaw(parent, params);
  expect(res.status).toBe(200);
  return (await res.json()) as ListAnswer;
}

async function names(parent: string, params: Record<string, string> = {}): Promise<string[]> {
  return (await list(parent, params)).operations.map((op) => op.name);
}

function wait(name = OP, body?: string, signal?: AbortSignal): Promise<Response> {
  return fetch(`${emulator.url}/v1/${name}:wait`, {
    method: 'POST',
    headers: { ...auth(), 'content-type': 'application/json' },
    ...(body !== undefined && { body }),
    ...(signal !== undefined && { signal }),
  });
}

function getOp(name = OP): Promise<Response> {
  return fetch(`${emulator.url}/v1/${name}`, { headers: auth() });
}

async function timed<T>(run: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = Date.now();
  const value = await run();
  return { value, ms: Date.now() - started };
}

async function expectEnvelope(res: Response, status: number, rpc: string): Promise<string> {
  expect(res.status).toBe(status);
  const body = (await res.json()) as { error: { code: number; status: string; message: string } };
  expect(body.error).toMatchObject({ code: status, status: rpc });
  return body.error.message;
}

describe('ListOperations filter', () => {
  beforeEach(() => {
    add({ name: `${LOCATION}/operations/running-update`, metadata: { '@type': ALLOYDB_METADATA, verb: 'update' } });
    add({
      name: `${LOCATION}/operations/done-update`,
      metadata: { '@type': ALLOYDB_METADATA, verb: 'update' },
      initial: { kind: 'succeeded' },
    });
    add({ name: `${LOCATION}/operations/running-create`, metadata: { verb: 'create' }, omitFalseDone: true });
  });

  it('answers only the operations a done or metadata filter matches, terms joined by AND', async () => {
    expect(await names(LOCATION, { filter: 'done = false' })).toEqual([
      `${LOCATION}/operations/running-update`,
      `${LOCATION}/operations/running-create`,
    ]);
    expect(await names(LOCATION, { filter: 'done=true' })).toEqual([`${LOCATION}/operations/done-update`]);
    expect(await names(LOCATION, { filter: 'metadata.verb = "update" AND done = false' })).toEqual([
      `${LOCATION}/operations/running-update`,
    ]);
    expect(await names(LOCATION, { filter: `metadata.@type = "${ALLOYDB_METADATA}"` })).toEqual([
      `${LOCATION}/operations/running-update`,
      `${LOCATION}/operations/done-update`,
    ]);
    expect(await names(LOCATION, { filter: 'metadata.requestedCancellation = "false" AND done = true' })).toEqual([
      `${LOCATION}/operations/done-update`,
    ]);
  });

  it('answers every operation when their service is configured to ignore filters, even an unparseable one', async () => {
    add({ name: `${LOCATION}/operations/alloydb`, service: ALLOYDB, initial: { kind: 'succeeded' } });
    emulator.configureService(ALLOYDB, { listFilter: 'ignore' });
    expect(await names(LOCATION, { filter: 'done = false' })).toHaveLength(4);
    expect(await names(LOCATION, { filter: 'state != DONE' })).toHaveLength(4);

    emulator.configureService(ALLOYDB, {});
    expect(await names(LOCATION, { filter: 'done = true' })).toEqual([
      `${LOCATION}/operations/done-update`,
      `${LOCATION}/operations/alloydb`,
    ]);
  });

  it.each(['done = maybe', 'name = "x"', 'done = true AND', 'done = true OR done = false', 'metadata.verb = update'])(
    'answers 400 INVALID_ARGUMENT naming the filter %j',
    async (filter) => {
      const message = await expectEnvelope(await listRaw(LOCATION, { filter }), 400, 'INVALID_ARGUMENT');
      expect(message).toContain(`"${filter}"`);
    },
  );
});

describe('ListOperations paging', () => {
  it('pages 2,500 operations at most 1000 at a time, every one exactly once and in order', async () => {
    const all = Array.from({ length: 2500 }, (_, i) => `${LOCATION}/operations/op-${String(i).padStart(4, '0')}`);
    for (const name of all) add({ name });
    const pages: number[] = [];
    const seen: string[] = [];
    let pageToken: string | undefined;
    do {
      const page = await list(LOCATION, { pageSize: '5000', ...(pageToken !== undefined && { pageToken }) });
      pages.push(page.operations.length);
      seen.push(...page.operations.map((op) => op.name));
      pageToken = page.nextPageToken;
    } while (pageToken !== undefined);
    expect(pages).toEqual([1000, 1000, 500]);
    expect(seen).toEqual(all);
    expect(await names(LOCATION)).toHaveLength(2500);
  });

  it('resumes where the last page stopped even when listing changes which operations match', async () => {
    const all = Array.from({ length: 10 }, (_, i) => `${LOCATION}/operations/op-${i}`);
    for (const name of all) add({ name });
    for (const name of all) {
      const res = await fetch(`${emulator.url}/v1/${name}:cancel`, {
        method: 'POST',
        headers: auth(),
      });
      expect(res.status).toBe(200);
    }
    const seen: string[] = [];
    let pageToken: string | undefined;
    do {
      const page = await list(LOCATION, { filter: 'done = false', pageSize: '4', ...(pageToken && { pageToken }) });
      seen.push(...page.operations.map((op) => op.name));
      pageToken = page.nextPageToken;
    } while (pageToken !== undefined);
    expect(seen).toEqual(all);
  });
});

describe('a list counts as a poll', () => {
  it('shows an accepted cancel (default afterCancel) CANCELLED in the list after the one that saw it running', async () => {
    add();
    expect((await fetch(`${emulator.url}/v1/${OP}:cancel`, { method: 'POST', headers: auth() })).status).toBe(200);

    const first = await list(LOCATION);
    expect(first.operations).toEqual([expect.objectContaining({ name: OP, done: false })]);
    expect(first.operations[0]?.metadata).toEqual({ requestedCancellation: true });
    const second = await list(LOCATION);
    expect(second.operations).toEqual([
      expect.objectContaining({ name: OP, done: true, error: { code: 1, message: 'Operation was cancelled.' } }),
    ]);
    expect(emulator.count({ route: 'get' })).toBe(0);
  });

  it('counts nothing for an operation the filter leaves out', async () => {
    add({ finish: { to: { kind: 'succeeded' }, afterPolls: 1 } });
    expect(await names(LOCATION, { filter: 'done = true' })).toEqual([]);
    expect(await names(LOCATION, { filter: 'done = true' })).toEqual([]);
    expect(emulator.operation(OP)).toMatchObject({ done: false });
  });
});

describe('ListOperations and unreachable locations', () => {
  beforeEach(() => {
    for (const location of ['us-central1', 'europe-west9', 'asia-east1']) {
      add({ name: `projects/p/locations/${location}/operations/op-${location}` });
    }
    add({ name: 'projects/q/locations/us-east1/operations/other-project' });
    add({ name: 'organizations/o/locations/global/operations/org-op' });
    emulator.setUnreachable([
      'projects/p/locations/europe-west9',
      'projects/q/locations/europe-west9',
      'organizations/o/locations/eu',
    ]);
  });

  it('lists every reachable location under locations/- and names the unreachable ones on every page', async () => {
    // Without partial success, a location that cannot answer fails the whole listing, as on Google's services.
    await expectEnvelope(await listRaw('projects/p/locations/-'), 503, 'UNAVAILABLE');
    const partial = { returnPartialSuccess: 'true' };
    const first = await list('projects/p/locations/-', { ...partial, pageSize: '1' });
    expect(first.operations.map((op) => op.name)).toEqual([
      'projects/p/locations/us-central1/operations/op-us-central1',
    ]);
    expect(first.unreachable).toEqual(['projects/p/locations/europe-west9']);
    const second = await list('projects/p/locations/-', {
      ...partial,
      pageSize: '1',
      pageToken: first.nextPageToken ?? '',
    });
    expect(second.operations.map((op) => op.name)).toEqual([
      'projects/p/locations/asia-east1/operations/op-asia-east1',
    ]);
    expect(second.unreachable).toEqual(['projects/p/locations/europe-west9']);
    expect(second.nextPageToken).toBeUndefined();

    expect(await list('organizations/o/locations/-', partial)).toEqual({
      operations: [expect.objectContaining({ name: 'organizations/o/locations/global/operations/org-op' })],
      unreachable: ['organizations/o/locations/eu'],
    });
    emulator.setUnreachable([]);
    expect(await list('projects/p/locations/-', partial)).not.toHaveProperty('unreachable');
    expect(await names('projects/p/locations/-')).toHaveLength(3);
  });

  it('answers 503 UNAVAILABLE to a list of an unreachable location, and serves its operations otherwise', async () => {
    await expectEnvelope(await listRaw('projects/p/locations/europe-west9'), 503, 'UNAVAILABLE');
    expect((await getOp('projects/p/locations/europe-west9/operations/op-europe-west9')).status).toBe(200);
    expect(() => emulator.setUnreachable(['projects/p/locations/-'])).toThrow(RangeError);
    expect(() => emulator.setUnreachable(['europe-west9'])).toThrow(RangeError);
  });
});

describe('WaitOperation', () => {
  it('answers a done operation at once, and logs the wait on its own route', async () => {
    add({ initial: { kind: 'succeeded' } });
    const { value: res, ms } = await timed(() => wait(OP, '{"timeout": "30s"}'));
    // "At once" against a 30 s timeout; the bound leaves room for a loaded machine.
    expect(ms).toBeLessThan(1_000);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ name: OP, done: true, response: expect.any(Object) });
    expect(emulator.count({ route: 'wait' })).toBe(1);
    expect(emulator.requests.at(-1)).toMatchObject({ route: 'wait', name: OP, method: 'POST', status: 200 });
  });

  it('holds the answer until a timed finish, and answers done at it, long before the timeout', async () => {
    const started = Date.now();
    add({ finish: { to: { kind: 'succeeded' }, afterMs: 300 } });
    const res = await wait(OP, '{"timeout": "10s"}');
    const ms = Date.now() - started;
    expect(ms).toBeGreaterThanOrEqual(300);
    expect(ms).toBeLessThan(1_300);
    expect(await res.json()).toMatchObject({ name: OP, done: true });
  });

  it('answers the operation as it stands once the timeout passes', async () => {
    add();
    const { value: res, ms } = await timed(() => wait(OP, '{"timeout": "0.2s"}'));
    expect(ms).toBeGreaterThanOrEqual(195);
    expect(ms).toBeLessThan(800);
    expect(await res.json()).toEqual({ name: OP, metadata: { requestedCancellation: false }, done: false });

    add({ omitFalseDone: true });
    expect(await (await wait(OP, '{"timeout": "0s"}')).json()).not.toHaveProperty('done');
  });

  it('answers 501 UNIMPLEMENTED for a service configured without wait, and 404 for an unknown operation', async () => {
    add({ service: ALLOYDB });
    emulator.configureService(ALLOYDB, { wait: false });
    const message = await expectEnvelope(await wait(OP, '{"timeout": "5s"}'), 501, 'UNIMPLEMENTED');
    expect(message).toMatch(/not supported/);
    await expectEnvelope(await wait(`${LOCATION}/operations/nope`, '{}'), 404, 'NOT_FOUND');
    expect(() => emulator.configureService(ALLOYDB, { listFilter: 'drop' as 'ignore' })).toThrow(RangeError);
  });

  it('answers CANCELLED at once after an accepted cancel due after one poll (the default)', async () => {
    add();
    expect((await fetch(`${emulator.url}/v1/${OP}:cancel`, { method: 'POST', headers: auth() })).status).toBe(200);
    const { value: res, ms } = await timed(() => wait(OP));
    expect(ms).toBeLessThan(1_000);
    expect(await res.json()).toMatchObject({ name: OP, done: true, error: { code: 1 } });
  });

  it('wakes on a cancel, a timed afterCancel and setState while it is held', async () => {
    add({ afterCancel: { to: { kind: 'cancelled' }, afterMs: 100 } });
    const cancelled = timed(() => wait(OP, '{"timeout": "5s"}'));
    await new Promise((resolve) => setTimeout(resolve, 50));
    await fetch(`${emulator.url}/v1/${OP}:cancel`, { method: 'POST', headers: auth() });
    const { value: res, ms } = await cancelled;
    expect(ms).toBeGreaterThanOrEqual(150);
    expect(ms).toBeLessThan(1_150);
    expect(await res.json()).toMatchObject({ done: true, error: { code: 1 } });

    add({ name: `${OP}-2` });
    const set = timed(() => wait(`${OP}-2`, '{}'));
    setTimeout(() => emulator.setState(`${OP}-2`, { kind: 'failed', error: { code: 9, message: 'No.' } }), 100);
    const { value: failed, ms: failedMs } = await set;
    expect(failedMs).toBeLessThan(1_100);
    expect(await failed.json()).toMatchObject({ done: true, error: { code: 9, message: 'No.' } });
  });

  it('counts one poll when it answers, none when its client leaves first', async () => {
    add({ finish: { to: { kind: 'succeeded' }, afterPolls: 3 } });
    await expect(wait(OP, '{"timeout": "0.3s"}', AbortSignal.timeout(100))).rejects.toThrow();
    expect(emulator.requests.at(-1)).toMatchObject({ route: 'wait', status: 0 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await (await getOp()).json()).toMatchObject({ done: false });
    expect(await (await wait(OP, '{"timeout": "0s"}')).json()).toMatchObject({ done: false });
    expect(await (await wait(OP, '{"timeout": "0s"}')).json()).toMatchObject({ done: true });
  });

  it('rejects a body that is not a WaitOperationRequest with a proto3 duration', async () => {
    add();
    await expectEnvelope(await wait(OP, '{"timeout": "30"}'), 400, 'INVALID_ARGUMENT');
    await expectEnvelope(await wait(OP, '{"timeout": 30}'), 400, 'INVALID_ARGUMENT');
    await expectEnvelope(await wait(OP, '{"deadline": "30s"}'), 400, 'INVALID_ARGUMENT');
    await expectEnvelope(await wait(OP, '[]'), 400, 'INVALID_ARGUMENT');
  });

  it('takes the outage, scripted failures and stalls as a GET does', async () => {
    add({ finish: { to: { kind: 'succeeded' }, afterPolls: 1 } });
    emulator.setFaults({ operationsFailUntil: Date.now() + 60_000 });
    await expectEnvelope(await wait(OP, '{"timeout": "0s"}'), 503, 'UNAVAILABLE');
    emulator.setFaults({});
    emulator.failNext({ route: 'wait', name: OP }, { code: 'RESOURCE_EXHAUSTED' });
    await expectEnvelope(await wait(OP, '{"timeout": "0s"}'), 429, 'RESOURCE_EXHAUSTED');
    expect(emulator.requests.filter((r) => r.route === 'wait').map((r) => r.fault)).toEqual(['outage', 'scripted']);
    expect(emulator.operation(OP)).toMatchObject({ done: false });

    emulator.failNext({ route: 'wait' }, { stallMs: 150 });
    const { value: res, ms } = await timed(() => wait(OP, '{"timeout": "5s"}'));
    expect(ms).toBeGreaterThanOrEqual(145);
    expect(await res.json()).toMatchObject({ done: true });
  });

  it('drops held waits when the emulator closes, without answering them', async () => {
    add();
    const held = wait(OP, '{"timeout": "30s"}');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const { ms } = await timed(async () => {
      await emulator.close();
      await expect(held).rejects.toThrow();
    });
    expect(ms).toBeLessThan(1000);
  });
});
