import { continueAsNew, patched } from '@temporalio/workflow';
import { validateCancelInput, type CancelOperationInput } from '../src/domain/canceller-input';
import type { CancelOperationResult } from '../src/domain/outcome';
import { RELEASE_0_2_PATCH, runCanceller, validatedOrRecorded, type CancellerState } from './canceller';
import { withoutTimedOut } from './canceller-failures';
import { legacyCancelOperation } from './legacy-0.1';

/**
 * Cancels a Google Cloud long-running operation and confirms it: sends `:cancel`, then polls GetOperation
 * until the operation is CANCELLED, finishes anyway, or the timeout passes, and records the outcome in the
 * result, the `LroOutcome` search attribute and the memo.
 *
 * @param input one JSON object, as the Web UI's Start Workflow form passes it.
 * @param carried state from the previous run after continue-as-new; never set it yourself.
 */
export async function cancelOperation(
  input: CancelOperationInput,
  carried?: CancellerState,
): Promise<CancelOperationResult> {
  if (!patched(RELEASE_0_2_PATCH)) return legacyCancelOperation(input, carried);
  const { settings, carried: state } = validatedOrRecorded(() => validateCancelInput(input), carried);
  const result = await runCanceller(settings, state, (state) => continueAsNew<typeof cancelOperation>(input, state));
  return withoutTimedOut(result);
}
