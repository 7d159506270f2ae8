import { continueAsNew, patched } from '@temporalio/workflow';
import { validateAwaitInput, type AwaitOperationInput } from '../src/domain/canceller-input';
import type { AwaitOperationResult } from '../src/domain/outcome';
import { RELEASE_0_2_PATCH, runCanceller, validatedOrRecorded, type CancellerState } from './canceller';
import { legacyAwaitOperation } from './legacy-0.1';

/**
 * A durable cancel-with-timeout: waits for the operation to finish; if `timeout` passes first, cancels it
 * and confirms the cancel exactly as `cancelOperation` does (unless `cancelOnTimeout` is false).
 *
 * @param input one JSON object, as the Web UI's Start Workflow form passes it.
 * @param carried state from the previous run after continue-as-new; never set it yourself.
 */
export async function awaitOperation(
  input: AwaitOperationInput,
  carried?: CancellerState,
): Promise<AwaitOperationResult> {
  if (!patched(RELEASE_0_2_PATCH)) return legacyAwaitOperation(input, carried);
  const { settings, carried: state } = validatedOrRecorded(() => validateAwaitInput(input), carried);
  return runCanceller(settings, state, (state) => continueAsNew<typeof awaitOperation>(input, state));
}
