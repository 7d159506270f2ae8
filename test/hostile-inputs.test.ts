/**
 * A corpus of hostile cancelOperation inputs (test/hostile-inputs.json): every one is refused with
 * INVALID_ARGUMENT naming its field, by the validator and end to end on a real dev server, and none of them
 * makes the worker send a request (or fetch a token) anywhere: decoy servers on this machine stay silent.
 *
 * Placeholders in the corpus, filled in at runtime: `{DECOY}` (the port of a decoy on 127.0.0.1), `{DECOY6}`
 * (a decoy on [::1]) and `{PAD:N}` (N letters, so the file stays readable while cases reach 1 MB).
 */
import { WorkflowFailedError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import { validateCancelInput } from '../src/domain/canceller-input';
import { InvalidArgumentError } from '../src/domain/invalid-argument';
import { parseOperationRef, type OperationRefInput } from '../src/domain/operation-ref';
import { assertAllowed, parseAllowedHosts } from '../src/domain/host-allowlist';
import { GoogleEmulator } from '../src/testing/emulator';
import corpus from './hostile-inputs.json';
import { startStack, unique, type Stack } from './support/harness';

/** One corpus entry. `rejectedBy: 'allowlist'` marks inputs that are well-formed but name a non-Google host. */
interface HostileCase {
  name: string;
  input: unknown;
  field: string;
  rejectedBy?: 'allowlist';
}

/** How the package refuses an input: by the input validator (in the workflow) or by the host allowlist. */
type Rejection = { by: 'input' | 'allowlist'; field: string } | { by: 'nobody' };

const CASES = corpus as HostileCase[];
const BATCH_SIZE = 30;

/** Fills in the placeholders; JSON text round-trip keeps own `__proto__` keys as data, as the wire does. */
function materialise(entry: HostileCase, ports: { decoy: number; decoy6: number }): HostileCase {
  const text = JSON.stringify(entry)
    .replace(/\{DECOY\}/g, String(ports.decoy))
    .replace(/\{DECOY6\}/g, String(ports.decoy6))
    .replace(/\{PAD:([0-9]+)\}/g, (_, n: string) => 'a'.repeat(Number(n)));
  return JSON.parse(text) as HostileCase;
}

function rejection(input: unknown): Rejection {
  try {
    validateCancelInput(input);
  } catch (err) {
    if (!(err instanceof InvalidArgumentError)) throw err;
    return { by: 'input', field: err.field };
  }
  try {
    assertAllowed(parseOperationRef(input as OperationRefInput), parseAllowedHosts(''));
  } catch (err) {
    if (!(err instanceof InvalidArgumentError)) throw err;
    return { by: 'allowlist', field: err.field };
  }
  return { by: 'nobody' };
}

function expected(entry: HostileCase): Rejection {
  return { by: entry.rejectedBy ?? 'input', field: entry.field };
}

describe('the corpus', () => {
  test('holds at least 100 distinctly named cases', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(100);
    expect(new Set(CASES.map((entry) => entry.name)).size).toBe(CASES.length);
  });

  test('places decoy addresses in IP, localhost and service forms', () => {
    const text = JSON.stringify(CASES);
    for (const needle of ['//127.0.0.1:{DECOY}', '//localhost:{DECOY}', '//2130706433:{DECOY}', '//[::1]:{DECOY6}']) {
      expect(text).toContain(needle);
    }
    expect(text).toContain('//0x7f000001:{DECOY}');
  });
});

describe('the validator', () => {
  // Ports do not change which rule fires; any two distinct values will do here.
  const ports = { decoy: 8080, decoy6: 8081 };

  test.each(CASES.map((entry) => [entry.name, entry] as const))('refuses %s', (_name, entry) => {
    const hostile = materialise(entry, ports);
    expect(rejection(hostile.input)).toEqual(expected(hostile));
  });
});

describe('end to end on a real dev server', () => {
  let stack: Stack;
  let decoy: GoogleEmulator;
  let decoy6: GoogleEmulator;

  beforeAll(async () => {
    [stack, decoy, decoy6] = await Promise.all([
      startStack(),
      GoogleEmulator.start(),
      GoogleEmulator.start({ host: '::1' }),
    ]);
  });
  afterAll(async () => {
    await decoy6?.close();
    await decoy?.close();
    await stack?.stop();
  });

  /** Why a started workflow did not fail the expected way, or undefined if it did. */
  async function problemWith(entry: HostileCase): Promise<string | undefined> {
    const handle = await stack.env.client.workflow.start('cancelOperation', {
      args: [entry.input],
      taskQueue: stack.taskQueue,
      workflowId: unique('hostile'),
    });
    const err = await handle.result().then(
      (result: unknown) => result,
      (e: unknown) => e,
    );
    if (!(err instanceof WorkflowFailedError)) return `did not fail: ${JSON.stringify(err)?.slice(0, 200)}`;
    let failure: unknown = err.cause;
    const viaActivity = failure instanceof ApplicationFailure && failure.cause instanceof ActivityFailure;
    if (viaActivity) failure = (failure as ApplicationFailure).cause?.cause;
    if (!(failure instanceof ApplicationFailure)) return `failed with ${String(failure)}`;
    if (failure.type !== 'INVALID_ARGUMENT' || !failure.nonRetryable) {
      return `failed with type ${failure.type}, nonRetryable ${failure.nonRetryable}`;
    }
    if (!failure.message.startsWith(`${entry.field}: `))
      return `message does not name ${entry.field}: ${failure.message}`;
    if (viaActivity !== (entry.rejectedBy === 'allowlist')) {
      return `refused ${viaActivity ? 'by the activity' : 'by the workflow'}, expected otherwise`;
    }
    return undefined;
  }

  test('every case fails INVALID_ARGUMENT, and no decoy, operation route or token route is reached', async () => {
    const ports = { decoy: port(decoy), decoy6: port(decoy6) };
    const hostile = CASES.map((entry) => materialise(entry, ports));
    const operationRequests = () =>
      stack.emulator.requests.filter((r) => r.route !== 'metadata' && r.route !== 'token');
    const operationsBefore = operationRequests().length;
    const tokensBefore = stack.emulator.count({ route: 'token' });
    const tokensIssuedBefore = stack.emulator.tokensIssued().length;

    const started = Date.now();
    const problems: string[] = [];
    for (let i = 0; i < hostile.length; i += BATCH_SIZE) {
      const batch = hostile.slice(i, i + BATCH_SIZE);
      const answers = await Promise.all(batch.map((entry) => problemWith(entry)));
      answers.forEach((problem, j) => {
        if (problem !== undefined) problems.push(`${batch[j]?.name}: ${problem}`);
      });
    }
    process.stderr.write(
      `hostile inputs: ${hostile.length} workflows refused in ${Date.now() - started} ms; ` +
        `decoy requests ${decoy.requests.length + decoy6.requests.length}\n`,
    );

    expect(problems).toEqual([]);
    expect(decoy.requests).toHaveLength(0);
    expect(decoy6.requests).toHaveLength(0);
    expect(operationRequests().slice(operationsBefore)).toEqual([]);
    expect(stack.emulator.count({ route: 'token' })).toBe(tokensBefore);
    expect(stack.emulator.tokensIssued()).toHaveLength(tokensIssuedBefore);
  });
});

function port(emulator: GoogleEmulator): number {
  return Number(emulator.hostPort.slice(emulator.hostPort.lastIndexOf(':') + 1));
}
